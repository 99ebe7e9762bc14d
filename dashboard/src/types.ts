/**
 * The REST views the dashboard reads, as the server defines them (server/src/<feature>/*.service.ts). Kept here as
 * types only, so the bundle carries no server code; API tests on the server pin the real shapes.
 */
export type DeviceKind = 'speaker' | 'board';
export const DELIVERY_STATES = ['queued', 'delivered', 'started', 'finished', 'failed', 'preempted', 'skipped', 'expired'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
export type Priority = 'normal' | 'priority' | 'emergency';

export interface AreaView {
  code: string;
  name: string;
  level: string;
  parentCode: string | null;
  path: string;
}

export interface TelemetryView {
  at: string;
  receivedAt: string;
  uptimeS: number;
  timelineVersion: number | null;
  playing: string | null;
  volume: number | null;
  muted: boolean | null;
  freeDiskBytes: number | null;
  rssBytes: number | null;
  clockOffsetMs: number | null;
  outboxSize: number | null;
  agentVersion: string | null;
  outputLevelLufs: number | null;
  signalDbm: number | null;
  temperatureC: number | null;
}

export interface DeviceView {
  id: string;
  name: string;
  kind: DeviceKind;
  areaCode: string;
  tags: string[];
  online: boolean;
  lastSeenAt: string | null;
  presenceChangedAt: string | null;
  presenceReason: string | null;
  agentVersion: string | null;
  timelineVersion: number;
  ackedTimelineVersion: number;
  createdAt: string;
  telemetry: TelemetryView | null;
  revokedAt: string | null;
  profileId: string | null;
}

export interface AlarmView {
  id: string;
  deviceId: string;
  kind: string;
  active: boolean;
  detail: string;
  raisedAt: string;
  clearedAt: string | null;
  clearedDetail: string | null;
  ackedAt: string | null;
  ackedBy: string | null;
  ackedByUserId: string | null;
}

export type ContentType = 'audio' | 'text' | 'image' | 'stream' | string;
export type ContentState = 'draft' | 'submitted' | 'approved' | 'rejected' | 'archived';

export interface ContentView {
  id: string;
  type: ContentType;
  title: string;
  state: ContentState;
  mediaSha256: string | null;
  text: string | null;
  url: string | null;
  style: Record<string, unknown> | null;
  image: { sha256: string; width: number | null; height: number | null } | null;
  durationMs: number;
  validFrom: string | null;
  validUntil: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string | null;
  submittedBy: string | null;
  submittedAt: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  rejectedBy: string | null;
  rejectedAt: string | null;
  rejectReason: string | null;
  archivedBy: string | null;
  archivedAt: string | null;
  history: Array<{ action: string; by: string; at: string; reason?: string | null }>;
}

export interface MediaAudioView {
  [key: string]: unknown;
}

export interface MediaView {
  sha256: string;
  bytes: number;
  durationMs: number;
  mime: string;
  codec: string;
  originalName: string;
  createdAt: string;
  createdBy: string;
  audio: MediaAudioView | null;
}

export interface MediaJobView {
  id: string;
  state: 'receiving' | 'queued' | 'processing' | 'done' | 'failed';
  progress: number;
  originalName: string;
  bytes: number | null;
  sourceSha256: string | null;
  mediaSha256: string | null;
  created: boolean | null;
  reason: string | null;
  message: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface TargetSpec {
  areas: string[];
  groups: string[];
  devices: string[];
}

export interface ScheduleView {
  id: string;
  contentId: string;
  priority: Priority;
  startAt: string;
  rrule: string | null;
  exdates: string[];
  timezone: string;
  repeat: number;
  gapSeconds: number;
  volume: number | null;
  onPreempt: string;
  status: 'active' | 'cancelled';
  approval?: 'not-required' | 'pending' | 'approved' | 'rejected';
  approvedBy?: string | null;
  approvedAt?: string | null;
  rejectedBy?: string | null;
  rejectedReason?: string | null;
  targets: TargetSpec;
  occurrences: Array<{ id: string; startAt: string; durationMs: number }>;
  generatedUntil: string | null;
  deviceCount: number;
  summary: Record<string, number>;
  createdBy: string;
  createdAt: string;
  updatedAt: string | null;
}

export interface DeliveryView {
  occurrenceId: string;
  deviceId: string;
  state: DeliveryState;
  queuedAt: string;
  deliveredAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  playedMs: number | null;
  reason: string | null;
}

export interface UserView {
  id: string;
  username: string;
  role: 'admin' | 'operator' | 'approver' | 'commune_officer';
  areaCode: string | null;
  disabled?: boolean;
  [key: string]: unknown;
}
