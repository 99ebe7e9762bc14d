import type { DeliveryState } from './enums.js';

/**
 * Vietnamese names of the states a report shows (issue 16). One map for every export and for the dashboard (the
 * words its schedule pages already used), so a district's spreadsheet and the screen it was downloaded from never
 * name the same state differently. Zod-free: a browser bundle may import it.
 */
export const DELIVERY_STATE_LABELS_VI: Readonly<Record<DeliveryState, string>> = {
  queued: 'Chờ gửi',
  delivered: 'Đã nhận',
  started: 'Đang phát',
  finished: 'Phát xong',
  failed: 'Lỗi',
  preempted: 'Bị ngắt',
  skipped: 'Bỏ qua',
  expired: 'Quá hạn',
};

/** An audit entry's outcome, as the audit export names it. */
export const AUDIT_OUTCOME_LABELS_VI: Readonly<Record<'ok' | 'refused' | 'error', string>> = {
  ok: 'Thành công',
  refused: 'Bị từ chối',
  error: 'Lỗi',
};

/** A state the map does not know (a newer server, a typo in stored data) shows as it is rather than as nothing. */
export const deliveryStateLabelVi = (state: string): string => (DELIVERY_STATE_LABELS_VI as Record<string, string>)[state] ?? state;

/** A schedule's priority, as the playout log names it. */
export const PRIORITY_LABELS_VI: Readonly<Record<'normal' | 'priority' | 'emergency', string>> = {
  normal: 'Thường',
  priority: 'Ưu tiên',
  emergency: 'Khẩn cấp',
};

export const priorityLabelVi = (priority: string): string => (PRIORITY_LABELS_VI as Record<string, string>)[priority] ?? priority;
