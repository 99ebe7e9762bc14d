/**
 * Feedback settings (#/feedback/settings, administrators): categories and departments, time limits per priority,
 * working hours, extra holidays and make-up workdays (with the next 60 days' days off as the server counts them),
 * retention and auto-close, intake limits, the consent text, villages per commune, and the SMS gateway both ways
 * (secrets are set or cleared, never shown).
 */
import type { AreaView, FeedbackSettings, FeedbackSettingsUpdate, FeedbackSettingsView, FeedbackSmsSettings, FeedbackWorkingDaysView } from '@loa/shared/rest';
import { FEEDBACK_PRIORITIES } from '@loa/shared/rest';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { get, put } from '../api.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { href } from '../router.js';
import { ActionButton, ErrorBox, Field, Loading, PageHeader, useAreas, useAsync } from '../ui.js';
import { DateField, TimeField } from '../components/date-time-field.js';
import { withParent } from './admin-common.js';
import { priorityLabel } from './feedback-common.js';

const S = defineStrings({
  vi: {
    title: 'Cài đặt tiếp nhận ý kiến người dân',
    back: 'Ý kiến người dân',
    categories: 'Lĩnh vực',
    departments: 'Phòng ban (nơi chuyển ý kiến tới)',
    code: 'Mã (a-z, 0-9, -)',
    label: 'Tên',
    add: 'Thêm',
    remove: 'Bỏ',
    sla: 'Thời hạn theo mức độ',
    ackHours: 'Tiếp nhận trong (giờ)',
    answerHours: 'Trả lời trong (giờ)',
    clock: 'Cách tính',
    working: 'Giờ làm việc',
    calendar: 'Giờ liên tục (cả đêm, ngày nghỉ)',
    workingHours: 'Thời gian làm việc',
    days: 'Ngày làm việc trong tuần',
    periods: 'Các buổi làm việc',
    holidays: 'Ngày nghỉ',
    builtIn: 'Tính các ngày lễ, Tết theo quy định (Tết Dương lịch, Tết Nguyên đán, Giỗ Tổ, 30/4, 1/5, 2/9)',
    extra: 'Ngày nghỉ thêm (nghỉ bù, hoán đổi)',
    workdays: 'Ngày làm bù (làm việc vào ngày nghỉ)',
    preview: 'Ngày nghỉ trong 60 ngày tới (theo cài đặt đã lưu)',
    noDaysOff: 'Không có',
    weekend: 'Nghỉ cuối tuần',
    workday: 'Làm việc',
    retention: 'Lưu trữ và tự đóng',
    retentionDays: 'Xóa thông tin cá nhân sau khi đóng (ngày)',
    autoCloseDays: 'Tự đóng ý kiến đã trả lời nếu người dân không đánh giá sau (ngày)',
    limits: 'Giới hạn chống lạm dụng',
    perAddressPerHour: 'Số ý kiến mỗi địa chỉ mạng mỗi giờ',
    perPhonePerDay: 'Số ý kiến mỗi số điện thoại mỗi ngày',
    lookupsPerAddressPer10Min: 'Số lần tra cứu mỗi địa chỉ mạng mỗi 10 phút',
    consent: 'Lời đồng ý sử dụng thông tin cá nhân (hiện trên trang góp ý)',
    villages: 'Thôn, tổ dân phố theo xã',
    commune: 'Xã/phường',
    pickCommune: '— Chọn xã/phường —',
    villagesHint: 'Mỗi dòng một thôn / tổ dân phố',
    sms: 'Cổng tin nhắn SMS',
    smsOff: 'Chưa cấu hình cổng SMS.',
    smsOn: 'Cấu hình cổng SMS',
    smsRemove: 'Bỏ cấu hình cổng SMS',
    inbound: 'Nhận tin nhắn (tin nhắn thành ý kiến)',
    inboundEnabled: 'Nhận tin nhắn từ cổng SMS',
    webhookUrl: 'Địa chỉ webhook (đưa cho nhà cung cấp cổng SMS)',
    copy: 'Sao chép',
    copied: 'Đã sao chép',
    mapFrom: 'Trường số điện thoại gửi',
    mapText: 'Trường nội dung tin nhắn',
    mapMessageId: 'Trường mã tin nhắn (chống trùng)',
    mapReceivedAt: 'Trường thời điểm nhận',
    signatureHeader: 'Header chữ ký (HMAC-SHA256)',
    timestampHeader: 'Header thời điểm (tùy chọn)',
    defaultArea: 'Xã nhận khi tin nhắn không ghi mã xã',
    noDefaultArea: '— Không (từ chối) —',
    defaultCategory: 'Lĩnh vực mặc định',
    inboundSecret: 'Khóa bí mật ký webhook',
    outbound: 'Gửi tin nhắn (câu trả lời tới người dân)',
    outboundEnabled: 'Gửi câu trả lời bằng SMS',
    url: 'Địa chỉ gửi (URL)',
    method: 'Phương thức',
    headers: 'Header (JSON; {{secret}} được thay bằng khóa bí mật)',
    bodyTemplate: 'Mẫu nội dung (JSON; {{to}}, {{text}}, {{id}})',
    outboundSecret: 'Khóa bí mật gửi tin',
    secretSet: 'Đã đặt khóa',
    secretNotSet: 'Chưa đặt khóa',
    newSecret: 'Khóa mới',
    setSecret: 'Đặt khóa',
    clearSecret: 'Xóa khóa',
    saved: 'Đã lưu cài đặt.',
    badJson: 'Header: JSON không hợp lệ (một đối tượng tên → giá trị)',
    min16: 'Ít nhất 16 ký tự',
    secretHint: 'Khóa mới được lưu khi bấm Lưu; không bao giờ hiển thị lại.',
  },
  en: {
    title: 'Citizen feedback settings',
    back: 'Citizen feedback',
    categories: 'Categories',
    departments: 'Departments (transfer targets)',
    code: 'Code (a-z, 0-9, -)',
    label: 'Name',
    add: 'Add',
    remove: 'Remove',
    sla: 'Time limits per priority',
    ackHours: 'Acknowledge within (hours)',
    answerHours: 'Answer within (hours)',
    clock: 'Counted in',
    working: 'Working hours',
    calendar: 'Clock hours (nights and days off too)',
    workingHours: 'Working time',
    days: 'Working days of the week',
    periods: 'Working periods',
    holidays: 'Days off',
    builtIn: 'Count the statutory holidays (New Year, Tết, Hùng Kings, 30/4, 1/5, 2/9)',
    extra: 'Extra days off (make-up holidays)',
    workdays: 'Make-up working days',
    preview: 'Days off in the next 60 days (as saved)',
    noDaysOff: 'None',
    weekend: 'Weekend',
    workday: 'Working',
    retention: 'Retention and auto-close',
    retentionDays: 'Erase personal data after closing (days)',
    autoCloseDays: 'Close an answered item not rated after (days)',
    limits: 'Abuse limits',
    perAddressPerHour: 'Items per address per hour',
    perPhonePerDay: 'Items per phone per day',
    lookupsPerAddressPer10Min: 'Lookups per address per 10 minutes',
    consent: 'Consent text (shown on the public page)',
    villages: 'Villages per commune',
    commune: 'Commune',
    pickCommune: '— Pick a commune —',
    villagesHint: 'One village per line',
    sms: 'SMS gateway',
    smsOff: 'No SMS gateway configured.',
    smsOn: 'Configure an SMS gateway',
    smsRemove: 'Remove the SMS gateway',
    inbound: 'Incoming texts (a text becomes an item)',
    inboundEnabled: 'Take texts in from the gateway',
    webhookUrl: 'Webhook URL (give it to the gateway provider)',
    copy: 'Copy',
    copied: 'Copied',
    mapFrom: 'Sender number field',
    mapText: 'Message text field',
    mapMessageId: 'Message id field (duplicates)',
    mapReceivedAt: 'Received-at field',
    signatureHeader: 'Signature header (HMAC-SHA256)',
    timestampHeader: 'Timestamp header (optional)',
    defaultArea: 'Commune when the text names none',
    noDefaultArea: '— None (refuse) —',
    defaultCategory: 'Default category',
    inboundSecret: 'Webhook signing secret',
    outbound: 'Outgoing texts (answers to residents)',
    outboundEnabled: 'Send answers by SMS',
    url: 'Send URL',
    method: 'Method',
    headers: 'Headers (JSON; {{secret}} is replaced by the secret)',
    bodyTemplate: 'Body template (JSON; {{to}}, {{text}}, {{id}})',
    outboundSecret: 'Sending secret',
    secretSet: 'Set',
    secretNotSet: 'Not set',
    newSecret: 'New secret',
    setSecret: 'Set secret',
    clearSecret: 'Clear secret',
    saved: 'Settings saved.',
    badJson: 'Headers: invalid JSON (an object of name → value)',
    min16: 'At least 16 characters',
    secretHint: 'A new secret is stored with Save; it is never shown again.',
  },
});

const WEEKDAYS: Array<[number, string]> = [
  [1, 'T2'],
  [2, 'T3'],
  [3, 'T4'],
  [4, 'T5'],
  [5, 'T6'],
  [6, 'T7'],
  [7, 'CN'],
];

/** A gateway's usual shape, to start from when an administrator turns SMS on. */
export const DEFAULT_SMS: FeedbackSmsSettings = {
  inbound: { enabled: false, mapping: { from: 'from', text: 'text', messageId: 'id' }, signatureHeader: 'x-signature', defaultAreaCode: null, defaultCategory: 'khac' },
  outbound: { enabled: false, url: 'https://sms.example.vn/api/send', method: 'POST', headers: { authorization: 'Bearer {{secret}}' }, bodyTemplate: '{"to": {{to}}, "text": {{text}}, "ref": {{id}}}' },
};

/** yyyy-mm-dd of a day on Vietnam's calendar, `offset` days from now. */
export function vnDate(offsetDays: number, now = Date.now()): string {
  return new Date(now + 7 * 3_600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

export function FeedbackSettingsPage(_: PageProps) {
  const t = useT(S);
  const c = useCommon();
  const view = useAsync(() => get<FeedbackSettingsView>('/api/v1/feedback/settings'), []);
  const [draft, setDraft] = useState<{ settings: FeedbackSettings; sms: FeedbackSmsSettings | null } | null>(null);
  const [saved, setSaved] = useState(false);
  const [headersText, setHeadersText] = useState<string | null>(null);
  // New secrets typed in: sent with the next save (enabling the webhook needs its secret in the same request).
  const [secrets, setSecrets] = useState({ smsInboundSecret: '', smsOutboundSecret: '' });
  const v = view.data;
  const d = draft ?? (v ? { settings: v.settings, sms: v.sms } : null);
  const change = (f: (x: { settings: FeedbackSettings; sms: FeedbackSmsSettings | null }) => void) => {
    if (!d) return;
    const next = structuredClone(d);
    f(next);
    setDraft(next);
    setSaved(false);
  };
  const dirty = draft !== null || secrets.smsInboundSecret !== '' || secrets.smsOutboundSecret !== '';
  const save = async () => {
    if (!dirty) return;
    let sms = draft?.sms ?? null;
    if (draft && sms && headersText !== null) {
      let headers: unknown;
      try {
        headers = JSON.parse(headersText);
      } catch {
        throw new Error(t('badJson'));
      }
      if (!headers || typeof headers !== 'object' || Array.isArray(headers)) throw new Error(t('badJson'));
      sms = { ...sms, outbound: { ...sms.outbound, headers: headers as Record<string, string> } };
    }
    const body: FeedbackSettingsUpdate = {
      ...(draft ? { settings: draft.settings, sms } : {}),
      ...(secrets.smsInboundSecret ? { smsInboundSecret: secrets.smsInboundSecret } : {}),
      ...(secrets.smsOutboundSecret ? { smsOutboundSecret: secrets.smsOutboundSecret } : {}),
    };
    const next = await put<FeedbackSettingsView>('/api/v1/feedback/settings', body);
    view.set(() => next);
    setDraft(null);
    setHeadersText(null);
    setSecrets({ smsInboundSecret: '', smsOutboundSecret: '' });
    setSaved(true);
  };
  const clearSecret = async (key: 'smsInboundSecret' | 'smsOutboundSecret') => {
    const next = await put<FeedbackSettingsView>('/api/v1/feedback/settings', { [key]: null });
    view.set(() => next);
  };
  return (
    <div class="fb fb-settings" data-testid="feedback-settings">
      <PageHeader title={t('title')}>
        <a class="button" href={href('/feedback')}>
          ← {t('back')}
        </a>
      </PageHeader>
      <ErrorBox error={view.error} />
      <Loading when={view.loading && !v} />
      {d && v ? (
        <>
          <div class="report-columns">
            <Card title={t('categories')}>
              <CodeList testid="feedback-settings-categories" items={d.settings.categories} onChange={(items) => change((x) => (x.settings.categories = items))} />
            </Card>
            <Card title={t('departments')}>
              <CodeList testid="feedback-settings-departments" items={d.settings.departments} onChange={(items) => change((x) => (x.settings.departments = items))} />
            </Card>
          </div>

          <Card title={t('sla')}>
            <div class="table-wrap">
              <table data-testid="feedback-settings-sla">
                <thead>
                  <tr>
                    <th />
                    <th>{t('ackHours')}</th>
                    <th>{t('answerHours')}</th>
                    <th>{t('clock')}</th>
                  </tr>
                </thead>
                <tbody>
                  {FEEDBACK_PRIORITIES.map((p) => (
                    <tr key={p} data-priority={p}>
                      <th>{priorityLabel(p)}</th>
                      <td>
                        <input type="number" min={0.25} step={0.25} class="fb-num" value={d.settings.sla[p].ackHours} data-testid={`sla-${p}-ack`} onInput={(e) => change((x) => (x.settings.sla[p].ackHours = Number((e.target as HTMLInputElement).value)))} />
                      </td>
                      <td>
                        <input type="number" min={0.25} step={0.25} class="fb-num" value={d.settings.sla[p].answerHours} data-testid={`sla-${p}-answer`} onInput={(e) => change((x) => (x.settings.sla[p].answerHours = Number((e.target as HTMLInputElement).value)))} />
                      </td>
                      <td>
                        <select value={d.settings.sla[p].clock} data-testid={`sla-${p}-clock`} onChange={(e) => change((x) => (x.settings.sla[p].clock = (e.target as HTMLSelectElement).value as 'working' | 'calendar'))}>
                          <option value="working">{t('working')}</option>
                          <option value="calendar">{t('calendar')}</option>
                        </select>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>

          <div class="report-columns">
            <Card title={t('workingHours')}>
              <div class="field">
                <span class="field-label">{t('days')}</span>
                <div class="fb-days">
                  {WEEKDAYS.map(([n, label]) => (
                    <label key={n} class="fb-check">
                      <input
                        type="checkbox"
                        checked={d.settings.workingHours.days.includes(n)}
                        onChange={(e) =>
                          change((x) => {
                            const on = (e.target as HTMLInputElement).checked;
                            x.settings.workingHours.days = on ? [...new Set([...x.settings.workingHours.days, n])].sort() : x.settings.workingHours.days.filter((y) => y !== n);
                          })
                        }
                      />{' '}
                      {label}
                    </label>
                  ))}
                </div>
              </div>
              <div class="field">
                <span class="field-label">{t('periods')}</span>
                {d.settings.workingHours.periods.map(([from, to], i) => (
                  <div key={i} class="row-inline fb-period">
                    <TimeField value={from} label={`${t('periods')} ${i + 1}: ⟶`} onChange={(v) => change((x) => (x.settings.workingHours.periods[i]![0] = v))} />
                    <span>–</span>
                    <TimeField value={to} label={`${t('periods')} ${i + 1}: ⟵`} onChange={(v) => change((x) => (x.settings.workingHours.periods[i]![1] = v))} />
                    <button type="button" class="ghost" aria-label={t('remove')} onClick={() => change((x) => x.settings.workingHours.periods.splice(i, 1))}>
                      ✕
                    </button>
                  </div>
                ))}
                {d.settings.workingHours.periods.length < 4 ? (
                  <button type="button" onClick={() => change((x) => x.settings.workingHours.periods.push(['13:30', '17:00']))}>
                    + {t('add')}
                  </button>
                ) : null}
              </div>
            </Card>
            <Card title={t('holidays')}>
              <label class="fb-check">
                <input type="checkbox" checked={d.settings.holidays.builtIn} onChange={(e) => change((x) => (x.settings.holidays.builtIn = (e.target as HTMLInputElement).checked))} /> {t('builtIn')}
              </label>
              <DateList label={t('extra')} testid="feedback-settings-extra" dates={d.settings.holidays.extra} onChange={(ds) => change((x) => (x.settings.holidays.extra = ds))} />
              <DateList label={t('workdays')} testid="feedback-settings-workdays" dates={d.settings.holidays.workdays} onChange={(ds) => change((x) => (x.settings.holidays.workdays = ds))} />
              <CalendarPreview key={JSON.stringify(v.settings.holidays) + JSON.stringify(v.settings.workingHours.days)} />
            </Card>
          </div>

          <div class="report-columns">
            <Card title={t('retention')}>
              <NumberField label={t('retentionDays')} min={30} max={3650} value={d.settings.retentionDays} onChange={(n) => change((x) => (x.settings.retentionDays = n))} />
              <NumberField label={t('autoCloseDays')} min={1} max={90} value={d.settings.autoCloseDays} onChange={(n) => change((x) => (x.settings.autoCloseDays = n))} />
            </Card>
            <Card title={t('limits')}>
              {(['perAddressPerHour', 'perPhonePerDay', 'lookupsPerAddressPer10Min'] as const).map((k) => (
                <NumberField key={k} label={t(k)} min={1} max={1000} value={d.settings.limits[k]} onChange={(n) => change((x) => (x.settings.limits[k] = n))} />
              ))}
            </Card>
          </div>

          <Card title={t('consent')}>
            <textarea value={d.settings.consentText} maxLength={2000} data-testid="feedback-settings-consent" onInput={(e) => change((x) => (x.settings.consentText = (e.target as HTMLTextAreaElement).value))} />
          </Card>

          <Villages villages={d.settings.villages} onChange={(code, list) => change((x) => (list.length ? (x.settings.villages[code] = list) : delete x.settings.villages[code]))} />

          <Sms
            v={v}
            sms={d.sms}
            categories={d.settings.categories}
            headersText={headersText ?? JSON.stringify(d.sms?.outbound.headers ?? {}, null, 2)}
            onHeaders={(s) => {
              setHeadersText(s);
              if (!draft && d) setDraft(structuredClone(d));
              setSaved(false);
            }}
            change={(f) => change((x) => f(x))}
            secrets={secrets}
            onSecret={(key, value) => {
              setSecrets({ ...secrets, [key]: value });
              setSaved(false);
            }}
            clearSecret={clearSecret}
          />

          <div class="row fb-save-bar">
            <ActionButton class="primary" disabled={!dirty} onClick={save} data-testid="feedback-settings-save">
              {c('save')}
            </ActionButton>
            {dirty ? (
              <button
                type="button"
                class="ghost"
                onClick={() => {
                  setDraft(null);
                  setHeadersText(null);
                  setSecrets({ smsInboundSecret: '', smsOutboundSecret: '' });
                }}
              >
                {c('cancel')}
              </button>
            ) : null}
            {saved ? (
              <span class="ok" data-testid="feedback-settings-saved">
                {t('saved')}
              </span>
            ) : null}
          </div>
        </>
      ) : null}
    </div>
  );
}

function Card({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="card">
      <h2>{title}</h2>
      {children}
    </section>
  );
}

function NumberField({ label, value, min, max, onChange }: { label: string; value: number; min: number; max: number; onChange: (n: number) => void }) {
  return (
    <Field label={label}>
      <input type="number" class="fb-num" min={min} max={max} step={1} value={value} onInput={(e) => onChange(Math.round(Number((e.target as HTMLInputElement).value)))} />
    </Field>
  );
}

function CodeList({ items, onChange, testid }: { items: Array<{ code: string; label: string }>; onChange: (items: Array<{ code: string; label: string }>) => void; testid: string }) {
  const t = useT(S);
  const edit = (i: number, patch: Partial<{ code: string; label: string }>) => onChange(items.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  return (
    <div data-testid={testid}>
      {items.map((x, i) => (
        <div key={i} class="fb-code-row">
          <input type="text" value={x.code} placeholder={t('code')} aria-label={t('code')} pattern="[a-z0-9][a-z0-9\-]{0,31}" class="fb-code-input" onInput={(e) => edit(i, { code: (e.target as HTMLInputElement).value.trim() })} />
          <input type="text" value={x.label} placeholder={t('label')} aria-label={t('label')} maxLength={100} onInput={(e) => edit(i, { label: (e.target as HTMLInputElement).value })} />
          <button type="button" class="ghost" aria-label={t('remove')} onClick={() => onChange(items.filter((_, j) => j !== i))}>
            ✕
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...items, { code: '', label: '' }])}>
        + {t('add')}
      </button>
    </div>
  );
}

function DateList({ label, dates, onChange, testid }: { label: string; dates: string[]; onChange: (d: string[]) => void; testid: string }) {
  const t = useT(S);
  const [next, setNext] = useState('');
  return (
    <div class="field" data-testid={testid}>
      <span class="field-label">{label}</span>
      <div class="fb-chips">
        {[...dates].sort().map((d) => (
          <span key={d} class="badge badge-muted fb-chip">
            {d.split('-').reverse().join('/')}
            <button type="button" class="ghost" aria-label={t('remove')} onClick={() => onChange(dates.filter((x) => x !== d))}>
              ✕
            </button>
          </span>
        ))}
      </div>
      <span class="row-inline">
        <DateField value={next} label={label} data-testid={`${testid}-input`} onChange={setNext} />
        <button
          type="button"
          data-testid={`${testid}-add`}
          disabled={!next || dates.includes(next)}
          onClick={() => {
            onChange([...dates, next].sort());
            setNext('');
          }}
        >
          {t('add')}
        </button>
      </span>
    </div>
  );
}

/** The server's own calendar for the next 60 days: the days off it counts (holidays named), and make-up workdays. */
function CalendarPreview() {
  const t = useT(S);
  const cal = useAsync(() => get<FeedbackWorkingDaysView>('/api/v1/feedback/calendar', { from: vnDate(0), to: vnDate(60) }), []);
  const off = (cal.data?.days ?? []).filter((d) => !d.working || d.holiday !== null);
  const weekday = (iso: string) => WEEKDAYS[(new Date(`${iso}T00:00:00Z`).getUTCDay() + 6) % 7]?.[1] ?? '';
  return (
    <div class="field" data-testid="feedback-settings-preview">
      <span class="field-label">{t('preview')}</span>
      <ErrorBox error={cal.error} />
      {cal.data ? (
        off.length === 0 ? (
          <span class="muted small">{t('noDaysOff')}</span>
        ) : (
          <ul class="fb-plain fb-dayoff small">
            {off.map((d) => (
              <li key={d.date} data-date={d.date} data-working={d.working ? '1' : '0'}>
                {weekday(d.date)} {d.date.split('-').reverse().join('/')} — {d.working ? t('workday') : (d.holiday ?? t('weekend'))}
              </li>
            ))}
          </ul>
        )
      ) : null}
    </div>
  );
}

function Villages({ villages, onChange }: { villages: Record<string, string[]>; onChange: (code: string, list: string[]) => void }) {
  const t = useT(S);
  const areas = useAreas();
  const [code, setCode] = useState('');
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const communes = areas.filter((a: AreaView) => a.level === 'commune').sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  return (
    <Card title={t('villages')}>
      <Field label={t('commune')}>
        <select value={code} data-testid="feedback-settings-village-area" onChange={(e) => setCode((e.target as HTMLSelectElement).value)}>
          <option value="">{t('pickCommune')}</option>
          {communes.map((a) => (
            <option key={a.code} value={a.code}>
              {withParent(byCode, a)} {villages[a.code]?.length ? `(${villages[a.code]?.length})` : ''}
            </option>
          ))}
        </select>
      </Field>
      {code ? (
        <Field label={t('villages')} hint={t('villagesHint')}>
          <textarea
            key={code}
            data-testid="feedback-settings-villages"
            value={(villages[code] ?? []).join('\n')}
            onInput={(e) =>
              onChange(
                code,
                (e.target as HTMLTextAreaElement).value
                  .split('\n')
                  .map((s) => s.trim())
                  .filter(Boolean),
              )
            }
          />
        </Field>
      ) : null}
    </Card>
  );
}

type Draft = { settings: FeedbackSettings; sms: FeedbackSmsSettings | null };

function Sms({
  v,
  sms,
  categories,
  headersText,
  onHeaders,
  change,
  secrets,
  onSecret,
  clearSecret,
}: {
  v: FeedbackSettingsView;
  sms: FeedbackSmsSettings | null;
  categories: Array<{ code: string; label: string }>;
  headersText: string;
  onHeaders: (s: string) => void;
  change: (f: (x: Draft) => void) => void;
  secrets: { smsInboundSecret: string; smsOutboundSecret: string };
  onSecret: (key: 'smsInboundSecret' | 'smsOutboundSecret', value: string) => void;
  clearSecret: (key: 'smsInboundSecret' | 'smsOutboundSecret') => Promise<void>;
}) {
  const t = useT(S);
  const areas = useAreas();
  const [copied, setCopied] = useState(false);
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const communes = areas.filter((a) => a.level === 'commune').sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  const text = (label: string, value: string | undefined, set: (x: Draft, v: string) => void, testid?: string, optional = false) => (
    <Field label={label}>
      <input type="text" value={value ?? ''} data-testid={testid} onInput={(e) => change((x) => set(x, (e.target as HTMLInputElement).value))} required={!optional} />
    </Field>
  );
  return (
    <section class="card" data-testid="feedback-settings-sms">
      <h2>{t('sms')}</h2>
      {!sms ? (
        <>
          <p class="muted small">{t('smsOff')}</p>
          <button type="button" data-testid="feedback-sms-on" onClick={() => change((x) => (x.sms = structuredClone(DEFAULT_SMS)))}>
            {t('smsOn')}
          </button>
        </>
      ) : (
        <>
          <h3>{t('inbound')}</h3>
          <label class="fb-check">
            <input type="checkbox" checked={sms.inbound.enabled} data-testid="feedback-sms-inbound-enabled" onChange={(e) => change((x) => (x.sms!.inbound.enabled = (e.target as HTMLInputElement).checked))} /> {t('inboundEnabled')}
          </label>
          <Field label={t('webhookUrl')}>
            <span class="row-inline fb-copy">
              <input type="text" readOnly value={v.smsWebhookUrl} data-testid="feedback-sms-webhook-url" onFocus={(e) => (e.target as HTMLInputElement).select()} />
              <button
                type="button"
                onClick={() => {
                  void navigator.clipboard?.writeText(v.smsWebhookUrl).then(() => setCopied(true));
                }}
              >
                {copied ? t('copied') : t('copy')}
              </button>
            </span>
          </Field>
          <div class="row">
            {text(t('mapFrom'), sms.inbound.mapping.from, (x, s) => (x.sms!.inbound.mapping.from = s), 'feedback-sms-map-from')}
            {text(t('mapText'), sms.inbound.mapping.text, (x, s) => (x.sms!.inbound.mapping.text = s), 'feedback-sms-map-text')}
            {text(t('mapMessageId'), sms.inbound.mapping.messageId, (x, s) => (x.sms!.inbound.mapping.messageId = s || undefined), undefined, true)}
            {text(t('mapReceivedAt'), sms.inbound.mapping.receivedAt, (x, s) => (x.sms!.inbound.mapping.receivedAt = s || undefined), undefined, true)}
          </div>
          <div class="row">
            {text(t('signatureHeader'), sms.inbound.signatureHeader, (x, s) => (x.sms!.inbound.signatureHeader = s))}
            {text(t('timestampHeader'), sms.inbound.timestampHeader, (x, s) => (x.sms!.inbound.timestampHeader = s || undefined), undefined, true)}
          </div>
          <div class="row">
            <Field label={t('defaultArea')}>
              <select value={sms.inbound.defaultAreaCode ?? ''} onChange={(e) => change((x) => (x.sms!.inbound.defaultAreaCode = (e.target as HTMLSelectElement).value || null))}>
                <option value="">{t('noDefaultArea')}</option>
                {communes.map((a) => (
                  <option key={a.code} value={a.code}>
                    {withParent(byCode, a)}
                  </option>
                ))}
              </select>
            </Field>
            <Field label={t('defaultCategory')}>
              <select value={sms.inbound.defaultCategory} onChange={(e) => change((x) => (x.sms!.inbound.defaultCategory = (e.target as HTMLSelectElement).value))}>
                {categories.some((c) => c.code === sms.inbound.defaultCategory) ? null : <option value={sms.inbound.defaultCategory}>{sms.inbound.defaultCategory}</option>}
                {categories.map((c) => (
                  <option key={c.code} value={c.code}>
                    {c.label}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          <SecretField label={t('inboundSecret')} set={v.smsInboundSecretSet} minLength={16} testid="feedback-sms-inbound-secret" value={secrets.smsInboundSecret} onInput={(x) => onSecret('smsInboundSecret', x)} onClear={() => clearSecret('smsInboundSecret')} />

          <h3>{t('outbound')}</h3>
          <label class="fb-check">
            <input type="checkbox" checked={sms.outbound.enabled} data-testid="feedback-sms-outbound-enabled" onChange={(e) => change((x) => (x.sms!.outbound.enabled = (e.target as HTMLInputElement).checked))} /> {t('outboundEnabled')}
          </label>
          <div class="row">
            {text(t('url'), sms.outbound.url, (x, s) => (x.sms!.outbound.url = s), 'feedback-sms-outbound-url')}
            <Field label={t('method')}>
              <select value={sms.outbound.method} onChange={(e) => change((x) => (x.sms!.outbound.method = (e.target as HTMLSelectElement).value as 'POST' | 'GET'))}>
                <option value="POST">POST</option>
                <option value="GET">GET</option>
              </select>
            </Field>
          </div>
          <Field label={t('headers')}>
            <textarea class="fb-mono" value={headersText} onInput={(e) => onHeaders((e.target as HTMLTextAreaElement).value)} />
          </Field>
          <Field label={t('bodyTemplate')}>
            <textarea class="fb-mono" value={sms.outbound.bodyTemplate} maxLength={4000} onInput={(e) => change((x) => (x.sms!.outbound.bodyTemplate = (e.target as HTMLTextAreaElement).value))} />
          </Field>
          <SecretField label={t('outboundSecret')} set={v.smsOutboundSecretSet} minLength={1} testid="feedback-sms-outbound-secret" value={secrets.smsOutboundSecret} onInput={(x) => onSecret('smsOutboundSecret', x)} onClear={() => clearSecret('smsOutboundSecret')} />
          <p>
            <button type="button" class="danger" onClick={() => change((x) => (x.sms = null))}>
              {t('smsRemove')}
            </button>
          </p>
        </>
      )}
    </section>
  );
}

/** A secret is never shown: typed in, it is sent with the next save; "Xóa khóa" clears the stored one at once. */
function SecretField({ label, set, minLength, testid, value, onInput, onClear }: { label: string; set: boolean; minLength: number; testid: string; value: string; onInput: (s: string) => void; onClear: () => Promise<void> }) {
  const t = useT(S);
  const short = value !== '' && value.length < minLength;
  return (
    <div class="field" data-testid={testid} data-set={set ? '1' : '0'}>
      <span class="field-label">
        {label}: <span class={set ? 'ok' : 'muted'}>{set ? t('secretSet') : t('secretNotSet')}</span>
      </span>
      <span class="row-inline fb-copy">
        <input type="password" autoComplete="new-password" aria-label={label} value={value} placeholder={set ? t('newSecret') : t('setSecret')} minLength={minLength} onInput={(e) => onInput((e.target as HTMLInputElement).value)} />
        {set ? (
          <ActionButton class="danger" onClick={onClear} data-testid={`${testid}-clear`}>
            {t('clearSecret')}
          </ActionButton>
        ) : null}
      </span>
      {short ? <span class="field-hint error inline">{t('min16')}</span> : <span class="field-hint">{t('secretHint')}</span>}
    </div>
  );
}
