import type { LessonCheck, LessonText, PracticeFault } from '@loa/shared/rest';
import type { SandboxResponse } from '../practice/practice-sandboxes.js';

/** The trainee's view of its sandbox: requests run as the mirrored user, so the sandbox's own scoping applies. */
export type SandboxCall = (method: string, path: string, body?: unknown) => Promise<SandboxResponse>;

export interface CheckContext {
  call: SandboxCall;
  /** The trainee's area (the check's "my commune"/"my district"); null for a nationwide admin. */
  areaCode: string | null;
}

/** What is still missing; empty: the task was done. */
export type CheckOutcome = LessonText[];

/** Thrown when the sandbox answers something a check cannot read (down, 5xx): the service reports it, not "failed". */
export class SandboxReadError extends Error {}

interface ScheduleLike {
  id: string;
  createdBy: string;
  status: string;
  approval: string;
  rrule: string | null;
  times?: string[];
  targets: { areas: string[]; groups: string[]; devices: string[] };
  occurrences: unknown[];
  summary: Record<string, number>;
}

interface AlertLike {
  areaCode: string;
  createdBy: string;
  confirmedBy: string | null;
  status: string;
}

interface DeviceLike {
  id: string;
  kind: string;
}

interface DeviceCommandLike {
  type: string;
  state: string;
  resultAt: string | null;
}

const M = {
  noSchedule: { vi: 'Chưa có lịch phát nào do bạn tạo.', en: 'No schedule made by you yet.' },
  notMyArea: { vi: 'Lịch phát của bạn chưa nhắm tới địa bàn của bạn.', en: 'Your schedule does not target your area.' },
  notApproved: { vi: 'Lịch phát chưa được duyệt.', en: 'The schedule is not approved yet.' },
  notPlayed: { vi: 'Chưa có loa nào phát xong bản tin. Chờ tới giờ phát rồi kiểm tra lại.', en: 'No speaker has finished playing it yet. Wait for the time and check again.' },
  noFault: { vi: 'Không tìm thấy loa đang lỗi trong địa bàn (hãy bắt đầu lại bài học).', en: 'No faulty speaker found in your area (start the lesson again).' },
  noSelfTest: { vi: 'Chưa chạy tự kiểm tra trên loa đang lỗi, hoặc chưa có kết quả.', en: 'The self-test has not been run on the faulty speaker, or has no result yet.' },
  noAlert: { vi: 'Chưa có cảnh báo nào do một người gửi và người thứ hai xác nhận.', en: 'No alert requested by one person and confirmed by another yet.' },
  noRecurring: { vi: 'Chưa có lịch phát định kỳ do bạn tạo cho cả địa bàn.', en: 'No recurring schedule made by you for your whole area yet.' },
  fewOccurrences: { vi: 'Lịch định kỳ chưa có đủ số lần phát.', en: 'The recurring schedule has too few occurrences.' },
} satisfies Record<string, LessonText>;

async function read<T>(call: SandboxCall, path: string): Promise<T> {
  const r = await call('GET', path);
  if (r.status >= 500 || r.status === 0) throw new SandboxReadError(`${path}: ${r.status}`);
  if (r.status >= 400) return null as T; // the trainee may not read it: the check then finds nothing
  return r.body as T;
}

async function myUserId(call: SandboxCall): Promise<string> {
  const me = await read<{ userId?: string } | null>(call, '/api/v1/auth/me');
  if (!me?.userId) throw new SandboxReadError('the sandbox does not know the trainee');
  return me.userId;
}

const listOf = <T>(body: unknown): T[] => (Array.isArray(body) ? (body as T[]) : Array.isArray((body as { items?: unknown })?.items) ? ((body as { items: T[] }).items) : []);

const targetsArea = (s: ScheduleLike, areaCode: string | null): boolean => areaCode === null ? s.targets.areas.length > 0 : s.targets.areas.includes(areaCode);

/** The speakers a lesson's setup puts faults on: the first of the trainee's area by id, so setup and check agree. */
export async function faultTargets(call: SandboxCall, areaCode: string | null, count: number): Promise<string[]> {
  const q = new URLSearchParams({ kind: 'speaker', limit: '200' });
  if (areaCode !== null) q.set('areaCode', areaCode);
  const devices = listOf<DeviceLike>(await read<unknown>(call, `/api/v1/devices?${q.toString()}`));
  return devices
    .filter((d) => d.kind === 'speaker')
    .map((d) => d.id)
    .sort()
    .slice(0, count);
}

async function bulletinPlayed(ctx: CheckContext, minFinished: number): Promise<CheckOutcome> {
  const me = await myUserId(ctx.call);
  const mine = listOf<ScheduleLike>(await read<unknown>(ctx.call, '/api/v1/schedules')).filter((s) => s.createdBy === me && s.status === 'active');
  if (mine.length === 0) return [M.noSchedule];
  const onArea = mine.filter((s) => targetsArea(s, ctx.areaCode));
  if (onArea.length === 0) return [M.notMyArea];
  const approved = onArea.filter((s) => s.approval === 'approved');
  if (approved.length === 0) return [M.notApproved];
  return approved.some((s) => (s.summary.finished ?? 0) >= minFinished) ? [] : [M.notPlayed];
}

async function faultSelfTest(ctx: CheckContext, _fault: PracticeFault): Promise<CheckOutcome> {
  const [device] = await faultTargets(ctx.call, ctx.areaCode, 1);
  if (!device) return [M.noFault];
  const commands = listOf<DeviceCommandLike>(await read<unknown>(ctx.call, `/api/v1/devices/${encodeURIComponent(device)}/commands?limit=50`));
  if (commands.some((c) => c.type === 'selfTest' && c.resultAt !== null)) return [];
  // A commune officer reads no command journal: its commune page's speaker tests say the same.
  const tests = await read<{ lastSelfTest?: { at: string } | null } | null>(ctx.call, `/api/v1/commune/devices/${encodeURIComponent(device)}/tests`);
  return tests?.lastSelfTest ? [] : [M.noSelfTest];
}

async function alertTwoPerson(ctx: CheckContext): Promise<CheckOutcome> {
  const me = await myUserId(ctx.call);
  const alerts = listOf<AlertLike>(await read<unknown>(ctx.call, '/api/v1/alerts'));
  const ok = alerts.some((a) => a.confirmedBy !== null && a.confirmedBy !== a.createdBy && (a.createdBy === me || a.confirmedBy === me));
  return ok ? [] : [M.noAlert];
}

async function recurringAreaSchedule(ctx: CheckContext, minOccurrences: number): Promise<CheckOutcome> {
  const me = await myUserId(ctx.call);
  const recurring = listOf<ScheduleLike>(await read<unknown>(ctx.call, '/api/v1/schedules')).filter(
    (s) => s.createdBy === me && s.status === 'active' && s.rrule !== null && targetsArea(s, ctx.areaCode),
  );
  if (recurring.length === 0) return [M.noRecurring];
  return recurring.some((s) => s.occurrences.length >= minOccurrences) ? [] : [M.fewOccurrences];
}

/** Runs a lesson's named check. */
export function runCheck(check: LessonCheck, ctx: CheckContext): Promise<CheckOutcome> {
  switch (check.name) {
    case 'bulletin-played':
      return bulletinPlayed(ctx, check.params.minFinished);
    case 'fault-self-test':
      return faultSelfTest(ctx, check.params.fault);
    case 'alert-two-person':
      return alertTwoPerson(ctx);
    case 'recurring-area-schedule':
      return recurringAreaSchedule(ctx, check.params.minOccurrences);
  }
}
