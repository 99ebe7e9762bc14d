import { useMemo } from 'preact/hooks';
import { ApiError } from '../api.js';
import { ApprovalReasons } from '../components/approval-reasons.js';
import { DateTimeField } from '../components/date-time-field.js';
import { fmtDuration, fromLocalInput, toLocalInput } from '../format.js';
import { useCommon, useT } from '../i18n.js';
import { href } from '../router.js';
import type { Priority, ScheduleView } from '@loa/shared/rest';
import { Badge, ErrorBox, Field, Modal, useAsync } from '../ui.js';
import { FanoutProgress } from './fanout-progress.js';
import { approvalTone, contentLabel, describeRecurrence, deviceMap, loadContents, loadDevices, priorityTone, useWords, type SaveResult } from './schedule-common.js';
import { Analysis } from './schedule-analysis.js';
import { S, useScheduleForm } from './schedule-form.js';
import { RecurrenceBuilder } from './recurrence-builder.js';
import { TargetPicker } from './target-picker.js';

/**
 * The schedule create/edit form, with a dry run shown before saving. Its parts (issue 19): the state in
 * schedule-form.ts, where it plays in target-picker.tsx, when in recurrence-builder.tsx, the check in
 * schedule-analysis.tsx.
 */
export function ScheduleEditor({ schedule, start, onClose, onSaved }: { schedule?: ScheduleView; start?: string; onClose: () => void; onSaved: (r: SaveResult) => void }) {
  const t = useT(S);
  const c = useCommon();
  const words = useWords();
  const contents = useAsync(() => loadContents(), []);
  const devices = useAsync(() => loadDevices(), []);
  const devById = useMemo(() => deviceMap(devices.data), [devices.data]);
  const { f, set, setRule, content, built, key, dry, accept, setAccept, saving, saveError, needAccept, saved, save } = useScheduleForm({ schedule, start, contents: contents.data, onSaved });
  const approved = useMemo(
    () => (contents.data ?? []).filter((x) => x.state === 'approved' && (!x.validUntil || Date.parse(x.validUntil) > Date.now())).sort((a, b) => a.title.localeCompare(b.title)),
    [contents.data],
  );

  const title = schedule ? t('editTitle') : t('newTitle');
  if (saved) return <SavedView result={saved} onClose={onClose} title={title} />;

  return (
    <Modal title={title} onClose={onClose}>
      <form
        class="form"
        data-testid="schedule-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <Field label={t('content')} hint={schedule ? t('contentFixed') : undefined}>
          <select name="contentId" value={f.contentId} disabled={Boolean(schedule)} required onChange={(e) => set('contentId', (e.target as HTMLSelectElement).value)}>
            <option value="">{t('pickContent')}</option>
            {(schedule && content && !approved.includes(content) ? [content, ...approved] : approved).map((x) => (
              <option key={x.id} value={x.id}>
                {contentLabel(x, words)} · {fmtDuration(x.durationMs)}
              </option>
            ))}
            {schedule && !content ? <option value={schedule.contentId}>{schedule.contentId}</option> : null}
          </select>
        </Field>
        {contents.error ? <ErrorBox error={contents.error} /> : null}
        {contents.data && approved.length === 0 && !schedule ? <p class="muted small">{t('noContent')}</p> : null}

        <div class="row">
          <Field label={t('startAt')}>
            <DateTimeField name="startAt" label={t('startAt')} data-testid="schedule-start" required value={/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(f.start) ? fromLocalInput(f.start) : ''} onChange={(iso) => set('start', iso ? toLocalInput(iso) : '')} />
          </Field>
          <Field label={t('priority')}>
            <select name="priority" value={f.priority} onChange={(e) => set('priority', (e.target as HTMLSelectElement).value as Priority)}>
              {(['normal', 'priority', 'emergency'] as const).map((p) => (
                <option key={p} value={p}>
                  {words.priority(p)}
                </option>
              ))}
            </select>
          </Field>
        </div>

        <RecurrenceBuilder f={f} set={set} setRule={setRule} />
        <TargetPicker f={f} set={set} />

        <fieldset class="card" style={{ padding: '.75rem' }}>
          <legend class="field-label">{t('options')}</legend>
          <div class="row">
            {(content?.type ?? 'audio') === 'audio' ? (
              <>
                <Field label={t('repeat')}>
                  <input type="number" name="repeat" min={1} max={20} value={f.repeat} onInput={(e) => set('repeat', Math.max(1, Math.min(20, Number((e.target as HTMLInputElement).value) || 1)))} />
                </Field>
                <Field label={t('gap')}>
                  <input type="number" name="gapSeconds" min={0} max={3600} value={f.gapSeconds} onInput={(e) => set('gapSeconds', Math.max(0, Math.min(3600, Number((e.target as HTMLInputElement).value) || 0)))} />
                </Field>
              </>
            ) : null}
            <Field label={t('volume')}>
              <input type="number" name="volume" min={0} max={100} value={f.volume} onInput={(e) => set('volume', (e.target as HTMLInputElement).value)} />
            </Field>
            <Field label={t('onPreempt')}>
              <select name="onPreempt" value={f.onPreempt} onChange={(e) => set('onPreempt', (e.target as HTMLSelectElement).value)}>
                <option value="">{t('preemptDefault')}</option>
                <option value="resume">{t('resume')}</option>
                <option value="restart">{t('restart')}</option>
                <option value="skip">{t('skip')}</option>
              </select>
            </Field>
          </div>
        </fieldset>

        <Analysis dry={dry} current={key} problem={built.problem} devById={devById} contents={contents.data} />

        {dry?.result && dry.key === key && dry.result.conflictTotals.conflicts > 0 ? (
          <label class="row" style={{ alignItems: 'center', gap: '.4rem', margin: '.5rem 0' }}>
            <input type="checkbox" name="acceptConflicts" data-testid="accept-conflicts" checked={accept} onChange={(e) => setAccept((e.target as HTMLInputElement).checked)} />
            <strong>{t('accept')}</strong>
          </label>
        ) : null}
        {needAccept && !accept ? (
          <div class="error" role="alert">
            {t('mustAccept')}
          </div>
        ) : null}
        {saveError ? <SaveError error={saveError} /> : null}

        <div class="row" style={{ justifyContent: 'flex-end', marginTop: '.75rem' }}>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
          <button type="submit" class="primary" data-testid="schedule-save" disabled={saving || !built.body}>
            {saving ? t('saving') : t('save')}
          </button>
        </div>
      </form>
    </Modal>
  );

  function SaveError({ error }: { error: unknown }) {
    const status = error instanceof ApiError ? error.status : 0;
    const prefix = status === 400 ? t('err400') : status === 403 ? t('err403') : status === 409 ? t('err409') : status === 404 ? t('err404') : c('error');
    return (
      <div class="error" role="alert" data-testid="schedule-error" data-status={status}>
        <strong>{prefix}:</strong> {error instanceof Error ? error.message : String(error)}
      </div>
    );
  }
}

function SavedView({ result, onClose, title }: { result: SaveResult; onClose: () => void; title: string }) {
  const t = useT(S);
  const c = useCommon();
  const words = useWords();
  const pending = result.approval === 'pending';
  return (
    <Modal title={title} onClose={onClose}>
      <div data-testid="schedule-saved" data-schedule-id={result.id} data-approval={result.approval ?? 'not-required'}>
        <p class="ok">
          <strong>{t('saved')}</strong>
        </p>
        <p>
          {t('approval')}:{' '}
          <span data-testid="schedule-approval">
            <Badge tone={approvalTone(result.approval)}>{words.approval(result.approval)}</Badge>
          </span>{' '}
          <Badge tone={priorityTone(result.priority)}>{words.priority(result.priority)}</Badge>
        </p>
        {pending ? <p class="muted">{t('pendingNote')}</p> : null}
        <ApprovalReasons result={result} label={t('reasons')} />
        <p class="small">{describeRecurrence(words, result.rrule, result.startAt)}</p>
        {result.times && result.times.length > 1 ? <p class="small" data-testid="saved-times">{t('timesN', { n: result.times.length, list: result.times.join(', ') })}</p> : null}
        <p class="small muted">
          {t('occurrences', { n: result.occurrences.length })} · {t('devicesN', { n: result.deviceCount })}
          {result.conflictTotals && result.conflictTotals.preemptions > 0 ? ` · ${t('preemptions', { n: result.conflictTotals.preemptions })}` : ''}
        </p>
        {/* Saved at once; the devices are sent their timelines in the background (issue 14). */}
        {result.fanout ? <FanoutProgress job={result.fanout} /> : null}
        <div class="row" style={{ justifyContent: 'flex-end' }}>
          <a class="button" href={href(`/deliveries/${result.id}`)}>
            {t('toDeliveries')}
          </a>
          <button type="button" class="primary" onClick={onClose}>
            {c('close')}
          </button>
        </div>
      </div>
    </Modal>
  );
}
