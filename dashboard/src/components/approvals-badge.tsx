/**
 * Issue 19 item 7: the menu's count of what waits for the signed-in approver's decision (the approval queue in its
 * area), kept current by the live events of the queue. Nothing is shown while nothing waits.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { APPROVALS_LIVE_EVENT, type ApprovalQueue } from '@loa/shared/rest';
import { get } from '../api.js';
import { getLang } from '../i18n.js';
import { useLive } from '../live.js';

/** Several changes in a burst (a submission and its auto-decision) make one read. */
const SETTLE_MS = 250;

export const queueTotal = (q: Pick<ApprovalQueue, 'counts'>): number => q.counts.contents + q.counts.schedules + q.counts.alerts;

export function useApprovalsCount(): number | null {
  const [n, setN] = useState<number | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const load = () =>
    void get<ApprovalQueue>('/api/v1/approvals').then(
      (q) => setN(queueTotal(q)),
      () => undefined,
    );
  const soon = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      timer.current = null;
      load();
    }, SETTLE_MS);
  };
  useEffect(() => {
    load();
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, []);
  useLive(APPROVALS_LIVE_EVENT, soon);
  // Contents (a shared library) also change state without a queue event from older servers.
  useLive('content.state', soon);
  // A reconnected stream may have missed changes.
  useLive('hello', soon);
  return n;
}

export function ApprovalsBadge() {
  const n = useApprovalsCount();
  if (!n) return null;
  return (
    <span class="badge badge-warn fb-nav-badge" data-testid="approvals-nav-badge" data-value={n} title={getLang() === 'vi' ? 'Đang chờ bạn phê duyệt' : 'Waiting for your approval'}>
      {n}
    </span>
  );
}
