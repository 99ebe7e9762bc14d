import { useState } from 'preact/hooks';
import { DateField, TimeField } from '../components/date-time-field.js';
import { fmtDate, fmtDateTime, fromLocalInput } from '../format.js';
import { useT } from '../i18n.js';
/** As the server's MAX_TIMES_OF_DAY (shared/src/rest/schedules.ts), not imported: the bundle stays free of zod. */
const MAX_TIMES_OF_DAY = 24;
import { Field } from '../ui.js';
import { buildRrule, describeRecurrence, useWords, type RuleParts } from './schedule-common.js';
import { S, startPartsOf, startTime, timesOfDay, type Form, type Freq, type SetField } from './schedule-form.js';
import { Chips } from './target-picker.js';

/**
 * When a schedule repeats: several times of day (issue 19), the frequency (daily, weekly on chosen days, monthly on a
 * day), how it ends, and exception dates. Dates are the dashboard's own pickers (Vietnam time, dd/mm/yyyy).
 */
export function RecurrenceBuilder({ f, set, setRule }: { f: Form; set: SetField; setRule: (patch: Partial<RuleParts>) => void }) {
  const t = useT(S);
  const words = useWords();
  const [exInput, setExInput] = useState('');
  const freq = (f.rule.freq ?? '') as Freq;
  const startParts = startPartsOf(f.start);
  const times = timesOfDay(f);
  return (
    <fieldset class="card" style={{ padding: '.75rem' }}>
      <legend class="field-label">{t('recurrence')}</legend>
      <div class="field" data-testid="times-of-day">
        <span class="field-label">{t('timesOfDay')}</span>
        <div class="row" style={{ alignItems: 'center', gap: '.4rem' }}>
          <span class="badge badge-info" data-testid="time-of-day-start">{startTime(f.start) ?? '—'}</span>
          {f.times.map((hm, i) => (
            <span key={i} class="row" style={{ alignItems: 'center', gap: '.2rem' }}>
              <TimeField name={`time-${i}`} label={t('newTime')} data-testid="time-of-day" value={hm} onChange={(v) => set('times', f.times.map((x, j) => (j === i ? v : x)))} />
              <button type="button" class="ghost" aria-label={`${t('remove')} ${hm}`} onClick={() => set('times', f.times.filter((_, j) => j !== i))}>
                ✕
              </button>
            </span>
          ))}
          <button type="button" data-testid="add-time" disabled={f.times.length >= MAX_TIMES_OF_DAY - 1} onClick={() => set('times', [...f.times, ''])}>
            {t('addTime')}
          </button>
        </div>
        <span class="muted small">{times.length > 1 ? t('timesN', { n: times.length, list: times.join(', ') }) : t('timesHint')}</span>
      </div>
      <div class="row">
        <Field label={t('freq')}>
          <select
            name="freq"
            value={freq}
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value as Freq;
              setRule({
                freq: v === '' ? null : v,
                byDay: v === 'WEEKLY' && startParts ? [{ weekday: startParts.weekday, n: null }] : [],
                byMonthDay: v === 'MONTHLY' && startParts ? [startParts.day] : [],
              });
            }}
          >
            <option value="">{t('none')}</option>
            <option value="DAILY">{t('daily')}</option>
            <option value="WEEKLY">{t('weekly')}</option>
            <option value="MONTHLY">{t('monthly')}</option>
          </select>
        </Field>
        {freq ? (
          <Field label={t('every')}>
            <input type="number" name="interval" min={1} max={99} value={f.rule.interval} onInput={(e) => setRule({ interval: Math.max(1, Number((e.target as HTMLInputElement).value) || 1) })} />
          </Field>
        ) : null}
        {freq === 'MONTHLY' && f.rule.byDay.length === 0 ? (
          <Field label={t('monthDay')}>
            <input
              type="number"
              name="monthDay"
              min={-1}
              max={31}
              value={f.rule.byMonthDay[0] ?? startParts?.day ?? 1}
              onInput={(e) => {
                const n = Number((e.target as HTMLInputElement).value);
                setRule({ byMonthDay: n === 0 || !Number.isFinite(n) ? [] : [n] });
              }}
            />
          </Field>
        ) : null}
      </div>
      {freq === 'WEEKLY' ? (
        <div class="field">
          <span class="field-label">{t('weekdays')}</span>
          <div class="row" style={{ gap: '.4rem' }}>
            {[0, 1, 2, 3, 4, 5, 6].map((wd) => {
              const on = f.rule.byDay.some((b) => b.weekday === wd);
              return (
                <label key={wd} class="badge badge-muted" style={{ display: 'inline-flex', gap: '.25rem', alignItems: 'center', padding: '.3rem .6rem', cursor: 'pointer' }}>
                  <input
                    type="checkbox"
                    name="byday"
                    value={String(wd)}
                    checked={on}
                    onChange={() => setRule({ byDay: on ? f.rule.byDay.filter((b) => b.weekday !== wd) : [...f.rule.byDay, { weekday: wd, n: null }].sort((a, b) => a.weekday - b.weekday) })}
                  />
                  {words.weekdayShort(wd)}
                </label>
              );
            })}
          </div>
        </div>
      ) : null}
      {freq ? (
        <div class="row">
          <Field label={t('end')}>
            <select name="endMode" value={f.endMode} onChange={(e) => set('endMode', (e.target as HTMLSelectElement).value as Form['endMode'])}>
              <option value="never">{t('endNever')}</option>
              <option value="until">{t('endUntil')}</option>
              <option value="count">{t('endCount')}</option>
            </select>
          </Field>
          {f.endMode === 'until' ? (
            <Field label={t('untilDate')}>
              <DateField name="until" label={t('untilDate')} data-testid="until" value={f.rule.until ?? ''} onChange={(v) => setRule({ until: v || null })} />
            </Field>
          ) : null}
          {f.endMode === 'count' ? (
            <Field label={t('countN')}>
              <input type="number" name="count" min={1} max={1000} value={f.rule.count ?? ''} onInput={(e) => setRule({ count: Number((e.target as HTMLInputElement).value) || null })} />
            </Field>
          ) : null}
        </div>
      ) : null}
      {freq && startParts ? <p class="muted small" data-testid="recurrence-words">{describeRecurrence(words, buildRrule({ ...f.rule, until: f.endMode === 'until' ? f.rule.until : null, count: f.endMode === 'count' ? f.rule.count : null }), fromLocalInput(f.start))}</p> : null}
      {freq ? (
        <div class="field">
          <span class="field-label">{t('exdates')}</span>
          <div class="row" style={{ alignItems: 'center', gap: '.4rem' }}>
            <DateField name="exdate" label={t('exdates')} data-testid="exdate" value={exInput} onChange={setExInput} />
            <button
              type="button"
              disabled={!exInput}
              onClick={() => {
                if (exInput && !f.exdates.includes(exInput)) set('exdates', [...f.exdates, exInput].sort());
                setExInput('');
              }}
            >
              {t('add')}
            </button>
          </div>
          <Chips items={f.exdates.map((x) => ({ id: x, label: /^\d{4}-\d{2}-\d{2}$/.test(x) ? fmtDate(`${x}T12:00:00+07:00`) : fmtDateTime(x) }))} onRemove={(id) => set('exdates', f.exdates.filter((x) => x !== id))} removeLabel={t('remove')} />
        </div>
      ) : null}
    </fieldset>
  );
}
