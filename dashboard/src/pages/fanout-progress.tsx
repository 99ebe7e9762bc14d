/**
 * Issue 14: a save that reaches many devices (schedule, command, alert) is accepted at once and sent in the
 * background; this shows how far it got, from the live `fanout.progress` events and, should the stream be down or
 * the job span areas the user's stream does not carry, from GET /api/v1/fanouts/:id once a second.
 */
import type { FanoutView } from '@loa/shared/rest';
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { defineStrings, useLang, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { Progress } from '../ui.js';

const S = defineStrings({
  vi: {
    queued: 'Đã nhận, chuẩn bị gửi tới {total} thiết bị…',
    materialising: 'Đang lập lịch cho {total} thiết bị…',
    sending: 'Đang gửi tới {done}/{total} thiết bị',
    done: 'Đã gửi tới {total} thiết bị',
    deferred: '{n} thiết bị đang ngoại tuyến sẽ nhận khi kết nối lại',
    failed: 'Gửi chưa xong: {error}',
    retrying: 'Lỗi khi gửi, đang thử lại: {error}',
  },
  en: {
    queued: 'Accepted, about to send to {total} devices…',
    materialising: 'Planning for {total} devices…',
    sending: 'Sending to {done}/{total} devices',
    done: 'Sent to {total} devices',
    deferred: '{n} offline devices get it when they reconnect',
    failed: 'Not sent: {error}',
    retrying: 'Sending failed, retrying: {error}',
  },
});

const FINAL = new Set(['done', 'failed']);

/** Follows one job until it ends; `onDone` once it has (to reload the resource's counts). */
export function FanoutProgress({ job: initial, onDone }: { job: FanoutView; onDone?: (job: FanoutView) => void }) {
  const t = useT(S);
  const lang = useLang();
  const [job, setJob] = useState(initial);
  const track = (j: FanoutView) =>
    setJob((prev) => {
      if (j.id !== prev.id || FINAL.has(prev.state)) return prev;
      // Live events and polls may cross: never step back.
      if (!FINAL.has(j.state) && Date.parse(j.updatedAt) < Date.parse(prev.updatedAt)) return prev;
      return j;
    });

  useLive('fanout.progress', (e) => {
    const j = (e as unknown as { job?: FanoutView }).job;
    if (j) track(j);
  });

  useEffect(() => {
    if (FINAL.has(job.state)) onDone?.(job);
  }, [job.state]);

  // Polling as well: the live stream may be down, or not carry a job whose devices span several areas.
  useEffect(() => {
    let stop = false;
    const poll = async () => {
      while (!stop) {
        await new Promise((r) => setTimeout(r, 1000));
        if (stop) return;
        try {
          const j = await get<FanoutView>(`/api/v1/fanouts/${encodeURIComponent(initial.id)}`);
          track(j);
          if (FINAL.has(j.state)) return;
        } catch {
          // the next round tries again
        }
      }
    };
    if (!FINAL.has(initial.state)) void poll();
    return () => {
      stop = true;
    };
  }, [initial.id]);

  const n = (v: number) => v.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-US');
  const vars = { done: n(job.done), total: n(job.total), error: job.error ?? '' };
  const text = job.state === 'queued' && job.error ? t('retrying', vars) : t(job.state, vars);
  return (
    <div data-testid="fanout-progress" data-fanout-id={job.id} data-state={job.state} data-done={job.done} data-total={job.total}>
      <p class={job.state === 'failed' ? 'error' : job.state === 'done' ? 'ok' : undefined}>{text}</p>
      {job.state === 'sending' || job.state === 'done' ? <Progress value={job.total > 0 ? job.done / job.total : 1} /> : null}
      {job.deferred > 0 ? <p class="small muted">{t('deferred', { n: n(job.deferred) })}</p> : null}
    </div>
  );
}
