import { ZONE, fmtDateTimeSeconds } from '../format.js';
import { defineStrings, getLang, useT } from '../i18n.js';
import type { Tone } from '../ui.js';
import type { AlarmView, DeviceView } from '@loa/shared/rest';

/** Shared by the overview, devices and device pages: labels for alarm kinds, presence reasons, priorities, commands. */
export const DEV = defineStrings({
  vi: {
    alarm_offline: 'Mất kết nối',
    'alarm_low-disk': 'Sắp hết dung lượng',
    'alarm_playback-failures': 'Phát lỗi nhiều lần',
    alarm_silence: 'Không có tiếng',
    reason_connect: 'kết nối',
    reason_shutdown: 'tắt máy',
    reason_will: 'mất kết nối đột ngột',
    'reason_heartbeat-timeout': 'quá thời gian không nhận tín hiệu',
    reason_resumed: 'kết nối lại',
    reason_revoked: 'bị thu hồi',
    'reason_server-restart': 'máy chủ khởi động lại',
    priority_normal: 'Thường',
    priority_priority: 'Ưu tiên',
    priority_emergency: 'Khẩn cấp',
    cmd_setVolume: 'Đặt âm lượng',
    cmd_stop: 'Dừng phát',
    cmd_playNow: 'Phát ngay',
    cmd_resync: 'Đồng bộ lại',
    cmd_restart: 'Khởi động lại',
    cmd_collectLogs: 'Thu thập nhật ký',
    cmd_selfTest: 'Tự kiểm tra',
    cmdstate_queued: 'Đang chờ',
    cmdstate_sent: 'Đã gửi',
    cmdstate_ok: 'Thành công',
    cmdstate_error: 'Lỗi',
    cmdstate_rejected: 'Bị từ chối',
    cmdstate_expired: 'Hết hạn',
    muted: 'Tắt tiếng',
    ack: 'Xác nhận',
    acked: 'Đã xác nhận',
  },
  en: {
    alarm_offline: 'Offline',
    'alarm_low-disk': 'Low disk',
    'alarm_playback-failures': 'Playback failures',
    alarm_silence: 'Silence',
    reason_connect: 'connected',
    reason_shutdown: 'shut down',
    reason_will: 'connection lost',
    'reason_heartbeat-timeout': 'heartbeat timeout',
    reason_resumed: 'resumed',
    reason_revoked: 'revoked',
    'reason_server-restart': 'server restart',
    priority_normal: 'Normal',
    priority_priority: 'Priority',
    priority_emergency: 'Emergency',
    cmd_setVolume: 'Set volume',
    cmd_stop: 'Stop',
    cmd_playNow: 'Play now',
    cmd_resync: 'Resync',
    cmd_restart: 'Restart',
    cmd_collectLogs: 'Collect logs',
    cmd_selfTest: 'Self-test',
    cmdstate_queued: 'Queued',
    cmdstate_sent: 'Sent',
    cmdstate_ok: 'OK',
    cmdstate_error: 'Error',
    cmdstate_rejected: 'Rejected',
    cmdstate_expired: 'Expired',
    muted: 'Muted',
    ack: 'Acknowledge',
    acked: 'Acknowledged',
  },
});
export type DevKey = keyof typeof DEV.vi;

/** Label lookups that fall back to the raw value for kinds/reasons the server adds later. */
export function useDevLabels() {
  const t = useT(DEV);
  const pick = (prefix: string, v: string | null | undefined): string => {
    if (v === null || v === undefined || v === '') return '—';
    const key = `${prefix}${v}`;
    return key in DEV.vi ? t(key as DevKey) : v;
  };
  return {
    t,
    alarm: (kind: string) => pick('alarm_', kind),
    reason: (r: string | null | undefined) => pick('reason_', r),
    priority: (p: string) => pick('priority_', p),
    command: (c: string) => pick('cmd_', c),
    cmdState: (s: string) => pick('cmdstate_', s),
  };
}

export const priorityTone = (p: string): Tone => (p === 'emergency' ? 'bad' : p === 'priority' ? 'warn' : 'muted');
export const commandTone = (s: string): Tone => (s === 'ok' ? 'ok' : s === 'sent' ? 'info' : s === 'error' || s === 'rejected' ? 'bad' : s === 'expired' ? 'warn' : 'muted');
export const COMMAND_FINAL = new Set(['ok', 'error', 'rejected', 'expired']);

/** Roles that may send commands and acknowledge alarms (EDITORS on the server). */
export const mayCommand = (role: string): boolean => role === 'admin' || role === 'operator';
/** Roles that may read commands (READERS on the server). */
export const mayReadCommands = (role: string): boolean => role !== 'commune_officer';

/** Live event payloads (server/src/events/live-events.ts). */
export interface PresenceEvent {
  type: 'device.presence';
  deviceId: string;
  areaCode: string;
  online: boolean;
  reason: string;
  at: string;
}
export interface TelemetryEvent {
  type: 'device.telemetry';
  deviceId: string;
  areaCode: string;
  at: string;
  volume: number | null;
  muted: boolean | null;
  playing: string | null;
  diskFreeMb: number | null;
  outputLevelLufs: number | null;
  temperatureC: number | null;
  rssMb: number | null;
}
export interface AlarmEvent {
  type: 'alarm.raised' | 'alarm.cleared';
  alarm: AlarmView;
  areaCode: string;
}
export interface CommandResultEvent {
  type: 'command.result';
  commandId: string;
  deviceId: string;
  areaCode: string;
  status: string;
  result?: { message: string | null; data: Record<string, unknown> | null };
}

const MB = 1024 * 1024;

/** A device with a presence event applied (no refetch). */
export function withPresence(d: DeviceView, e: PresenceEvent): DeviceView {
  return { ...d, online: e.online, presenceChangedAt: e.at, presenceReason: e.reason, lastSeenAt: e.online ? e.at : d.lastSeenAt };
}

/** A device with a live telemetry sample applied over its latest stored one. */
export function withTelemetry(d: DeviceView, e: TelemetryEvent): DeviceView {
  const prev = d.telemetry;
  const telemetry = {
    at: e.at,
    receivedAt: e.at,
    uptimeS: prev?.uptimeS ?? 0,
    timelineVersion: prev?.timelineVersion ?? null,
    playing: e.playing ?? null,
    volume: e.volume ?? prev?.volume ?? null,
    muted: e.muted ?? prev?.muted ?? null,
    freeDiskBytes: e.diskFreeMb === null || e.diskFreeMb === undefined ? (prev?.freeDiskBytes ?? null) : Math.round(e.diskFreeMb * MB),
    rssBytes: e.rssMb === null || e.rssMb === undefined ? (prev?.rssBytes ?? null) : Math.round(e.rssMb * MB),
    clockOffsetMs: prev?.clockOffsetMs ?? null,
    outboxSize: prev?.outboxSize ?? null,
    agentVersion: prev?.agentVersion ?? null,
    outputLevelLufs: e.outputLevelLufs ?? null,
    signalDbm: prev?.signalDbm ?? null,
    temperatureC: e.temperatureC ?? prev?.temperatureC ?? null,
  };
  const lastSeenAt = !d.lastSeenAt || d.lastSeenAt < e.at ? e.at : d.lastSeenAt;
  return { ...d, telemetry, lastSeenAt };
}

/** The schedule id of an occurrence id ("sch_…:1763802000000"), to link to its deliveries. */
export const scheduleOfOccurrence = (occurrenceId: string): string | null => {
  const i = occurrenceId.lastIndexOf(':');
  return i > 0 ? occurrenceId.slice(0, i) : null;
};

/** Volume cell: "80" or "80 · muted". */
export function VolumeText({ volume, muted }: { volume: number | null | undefined; muted: boolean | null | undefined }) {
  const { t } = useDevLabels();
  if ((volume === null || volume === undefined) && !muted) return <span class="muted">—</span>;
  return (
    <span>
      {volume ?? '—'}
      {muted ? (
        <>
          {' '}
          <span class="badge badge-warn">{t('muted')}</span>
        </>
      ) : null}
    </span>
  );
}

/** Device events to the second, in the dashboard's fixed dd/mm/yyyy HH:mm:ss on Vietnam time. */
export function fmtInstant(iso: string | null | undefined): string {
  return fmtDateTimeSeconds(iso);
}
