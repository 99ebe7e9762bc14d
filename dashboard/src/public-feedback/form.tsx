/** The commune search, the feedback form and the receipt (tracking code, deadlines). */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { FeedbackCommuneOption, FeedbackForm, FeedbackReceipt } from '@loa/shared/rest';
import { asRefusal, getForm, searchCommunes, submit, type Refusal } from './api.js';
import { ACCEPT, fileRefusal, formatBytes, formatVnDateTime, LIMITS, normalizePhone, validate, type FieldName, type FormValues } from './rules.js';
import type { TrackPrefill } from './track.js';

const FIELD_ORDER: readonly FieldName[] = ['name', 'phone', 'email', 'village', 'title', 'content', 'category', 'consent'];
const EMPTY: FormValues = { name: '', phone: '', email: '', village: '', title: '', content: '', category: '', consent: false };

/** A refusal about a field far above the button is also shown beside that field (attachments sit by the button). */
const REFUSAL_FIELD: Record<string, FieldName> = {
  'invalid-phone': 'phone',
  'rate-limited-phone': 'phone',
  'consent-required': 'consent',
};


export function FeedbackPage(props: { areaCode: string | null; onCommune: (code: string | null) => void; onTrack: (p: TrackPrefill) => void }) {
  const [form, setForm] = useState<FeedbackForm | null>(null);
  const [loadError, setLoadError] = useState<Refusal | null>(null);
  const [receipt, setReceipt] = useState<{ receipt: FeedbackReceipt; phone: string } | null>(null);

  useEffect(() => {
    setForm(null);
    setLoadError(null);
    setReceipt(null);
    if (props.areaCode === null) return;
    let live = true;
    getForm(props.areaCode).then(
      (f) => live && setForm(f),
      (err: unknown) => live && setLoadError(asRefusal(err)),
    );
    return () => {
      live = false;
    };
  }, [props.areaCode]);

  if (props.areaCode === null) return <CommuneSearch onPick={props.onCommune} />;
  if (loadError !== null)
    return (
      <section class="card">
        <h1>Không mở được trang góp ý</h1>
        <p class="alert" role="alert" data-testid="fb-load-error">
          {loadError.message}
        </p>
        <button type="button" class="big" onClick={() => props.onCommune(null)}>
          Chọn xã/phường khác
        </button>
      </section>
    );
  if (form === null)
    return (
      <p class="card" role="status">
        Đang tải…
      </p>
    );
  if (receipt !== null) return <Receipt receipt={receipt.receipt} onTrack={() => props.onTrack({ code: receipt.receipt.code, phone: receipt.phone })} onAgain={() => setReceipt(null)} />;
  return <FeedbackFormView form={form} onChangeCommune={() => props.onCommune(null)} onSent={(r, phone) => setReceipt({ receipt: r, phone })} />;
}

function CommuneSearch(props: { onPick: (code: string) => void }) {
  const [q, setQ] = useState('');
  const [options, setOptions] = useState<FeedbackCommuneOption[] | null>(null);
  const [error, setError] = useState<Refusal | null>(null);
  const seq = useRef(0);

  useEffect(() => {
    // Wait for a pause in typing, and keep only the answer to the latest query (a slow line answers out of order).
    const mine = ++seq.current;
    const timer = setTimeout(() => {
      searchCommunes(q.trim()).then(
        (o) => {
          if (mine !== seq.current) return;
          setOptions(o);
          setError(null);
        },
        (err: unknown) => mine === seq.current && setError(asRefusal(err)),
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [q]);

  return (
    <section class="card" aria-labelledby="search-title">
      <h1 id="search-title">Chọn xã/phường để gửi ý kiến</h1>
      <p class="muted">Ý kiến, phản ánh, kiến nghị về việc thực hiện chính sách, pháp luật ở cơ sở.</p>
      <form role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="commune-q">Tìm xã/phường</label>
          <input id="commune-q" type="search" value={q} autoComplete="off" placeholder="Ví dụ: Tây Đằng" onInput={(e) => setQ(e.currentTarget.value)} data-testid="fb-commune-q" />
        </div>
      </form>
      {error !== null && (
        <p class="alert" role="alert">
          {error.message}
        </p>
      )}
      {options === null ? (
        <p role="status">Đang tìm…</p>
      ) : options.length === 0 ? (
        <p role="status">Không tìm thấy xã/phường nào.</p>
      ) : (
        <ul class="choices" data-testid="fb-communes">
          {options.map((o) => (
            <li key={o.areaCode}>
              <button type="button" class="choice" onClick={() => props.onPick(o.areaCode)} data-area-code={o.areaCode}>
                <strong>{o.name}</strong>
                {o.parentNames.length > 0 && <span class="muted small">{o.parentNames.join(', ')}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The ids that describe an input: its hint and its error, when shown. */
const describedBy = (id: string, hint: boolean, error: string | undefined): string | undefined =>
  [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;

function Field(props: { id: string; label: string; optional?: boolean; hint?: ComponentChildren; error: string | undefined; children: ComponentChildren }) {
  return (
    <div class={props.error ? 'field has-error' : 'field'}>
      <label for={props.id}>
        {props.label}
        {props.optional ? <span class="muted"> (không bắt buộc)</span> : <span class="req"> *</span>}
      </label>
      {props.children}
      {props.hint !== undefined && (
        <p id={`${props.id}-hint`} class="hint">
          {props.hint}
        </p>
      )}
      {props.error && (
        <p id={`${props.id}-error`} class="field-error">
          {props.error}
        </p>
      )}
    </div>
  );
}

function FeedbackFormView(props: { form: FeedbackForm; onChangeCommune: () => void; onSent: (r: FeedbackReceipt, phone: string) => void }) {
  const { form } = props;
  const [values, setValues] = useState<FormValues>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<FieldName | 'files', string>>>({});
  const [files, setFiles] = useState<File[]>([]);
  const [honeypot, setHoneypot] = useState('');
  const [sending, setSending] = useState(false);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const refusalBox = useRef<HTMLDivElement>(null);
  const aborter = useRef<AbortController | null>(null);

  const set = <K extends FieldName>(k: K, v: FormValues[K]) => {
    setValues((old) => ({ ...old, [k]: v }));
    if (errors[k]) setErrors((old) => ({ ...old, [k]: undefined }));
  };

  const addFiles = (picked: FileList | null) => {
    if (picked === null) return;
    const next = [...files];
    const reasons: string[] = [];
    for (const f of Array.from(picked)) {
      const why = fileRefusal(f, next, form);
      if (why === null) next.push(f);
      else reasons.push(why);
    }
    setFiles(next);
    setErrors((old) => ({ ...old, files: reasons.length > 0 ? reasons.join(' ') : undefined }));
  };
  const removeFile = (i: number) => {
    setFiles(files.filter((_, j) => j !== i));
    setErrors((old) => ({ ...old, files: undefined }));
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (sending) return;
    const found = validate(values);
    setErrors((old) => ({ ...found, files: old.files }));
    const first = FIELD_ORDER.find((f) => found[f] !== undefined);
    if (first !== undefined) {
      setRefusal(null);
      document.getElementById(`f-${first}`)?.focus();
      return;
    }
    const body = new FormData();
    body.append('areaCode', form.areaCode);
    body.append('name', values.name.trim());
    const phone = normalizePhone(values.phone) ?? values.phone;
    body.append('phone', phone);
    if (values.email.trim() !== '') body.append('email', values.email.trim());
    if (values.village.trim() !== '') body.append('village', values.village.trim());
    body.append('title', values.title.trim());
    body.append('content', values.content.trim());
    body.append('category', values.category);
    body.append('consent', 'true');
    if (honeypot !== '') body.append('website', honeypot);
    for (const f of files) body.append('attachments', f, f.name);

    setSending(true);
    setRefusal(null);
    setProgress({ sent: 0, total: files.reduce((s, f) => s + f.size, 0) });
    try {
      const abort = new AbortController();
      aborter.current = abort;
      const receipt = await submit(body, (sent, total) => setProgress({ sent, total }), abort.signal);
      props.onSent(receipt, phone);
    } catch (err) {
      const r = asRefusal(err);
      setRefusal(r);
      const field = REFUSAL_FIELD[r.code];
      if (field !== undefined) setErrors((old) => ({ ...old, [field]: r.message }));
      // Everything typed stays; the message is read out and brought into view.
      requestAnimationFrame(() => refusalBox.current?.focus());
    } finally {
      aborter.current = null;
      setSending(false);
      setProgress(null);
    }
  };

  const pct = progress !== null && progress.total > 0 ? Math.min(100, Math.floor((progress.sent / progress.total) * 100)) : 0;
  const err = (k: FieldName | 'files') => errors[k];
  const inputProps = (k: FieldName, hint = false) => ({
    id: `f-${k}`,
    name: k,
    'aria-invalid': err(k) ? ('true' as const) : undefined,
    'aria-describedby': describedBy(`f-${k}`, hint, err(k)),
  });

  return (
    <form class="card" onSubmit={onSubmit} noValidate aria-labelledby="form-title" data-testid="fb-form" data-area-code={form.areaCode}>
      <h1 id="form-title">Gửi ý kiến, phản ánh</h1>
      <p class="place">
        <strong data-testid="fb-area-name">{form.areaName}</strong>
        {form.parentNames.length > 0 && <span class="muted">, {form.parentNames.join(', ')}</span>}{' '}
        <button type="button" class="link" onClick={props.onChangeCommune}>
          Đổi xã/phường
        </button>
      </p>
      <p class="muted small">
        Ô có dấu <span class="req">*</span> là bắt buộc. Đã gửi rồi? <a href="#/tra-cuu">Tra cứu ý kiến</a>.
      </p>

      <fieldset>
        <legend>Người gửi</legend>
        <Field id="f-name" label="Họ và tên" error={err('name')}>
          <input {...inputProps('name')} type="text" autoComplete="name" maxLength={LIMITS.name} value={values.name} onInput={(e) => set('name', e.currentTarget.value)} />
        </Field>
        <Field id="f-phone" label="Số điện thoại" hint="Dùng để tra cứu và nhận câu trả lời, ví dụ 0912345678." error={err('phone')}>
          <input {...inputProps('phone', true)} type="tel" inputMode="tel" autoComplete="tel" maxLength={32} value={values.phone} onInput={(e) => set('phone', e.currentTarget.value)} />
        </Field>
        <Field id="f-email" label="E-mail" optional error={err('email')}>
          <input {...inputProps('email')} type="email" autoComplete="email" maxLength={LIMITS.email} value={values.email} onInput={(e) => set('email', e.currentTarget.value)} />
        </Field>
        <Field id="f-village" label="Thôn, tổ dân phố" optional error={err('village')}>
          {form.villages.length > 0 ? (
            <select {...inputProps('village')} value={values.village} onChange={(e) => set('village', e.currentTarget.value)}>
              <option value="">— Chọn thôn, tổ dân phố —</option>
              {form.villages.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          ) : (
            <input {...inputProps('village')} type="text" maxLength={LIMITS.village} value={values.village} onInput={(e) => set('village', e.currentTarget.value)} />
          )}
        </Field>
      </fieldset>

      <fieldset>
        <legend>Ý kiến</legend>
        <Field id="f-category" label="Lĩnh vực" error={err('category')}>
          <select {...inputProps('category')} value={values.category} onChange={(e) => set('category', e.currentTarget.value)}>
            <option value="">— Chọn lĩnh vực —</option>
            {form.categories.map((c) => (
              <option key={c.code} value={c.code}>
                {c.label}
              </option>
            ))}
          </select>
        </Field>
        <Field id="f-title" label="Tiêu đề" error={err('title')}>
          <input {...inputProps('title')} type="text" maxLength={LIMITS.title} value={values.title} onInput={(e) => set('title', e.currentTarget.value)} />
        </Field>
        <Field
          id="f-content"
          label="Nội dung"
          hint={
            <span data-testid="fb-counter">
              {values.content.length}/{LIMITS.content} ký tự
            </span>
          }
          error={err('content')}
        >
          <textarea {...inputProps('content', true)} rows={7} maxLength={LIMITS.content} value={values.content} onInput={(e) => set('content', e.currentTarget.value)} />
        </Field>
      </fieldset>

      <fieldset>
        <legend>Ảnh, tài liệu kèm theo (không bắt buộc)</legend>
        <p id="f-files-hint" class="hint">
          Tối đa {form.maxAttachments} tệp ảnh (JPEG, PNG, WebP) hoặc PDF, mỗi tệp không quá {formatBytes(form.maxAttachmentBytes)}.
        </p>
        {files.length > 0 && (
          <ul class="files" data-testid="fb-files">
            {files.map((f, i) => (
              <li key={`${f.name}-${i}`} data-file-name={f.name}>
                <span class="file-name">{f.name}</span>
                <span class="muted small">{formatBytes(f.size)}</span>
                <button type="button" class="remove" onClick={() => removeFile(i)} aria-label={`Bỏ tệp ${f.name}`} disabled={sending}>
                  Bỏ
                </button>
              </li>
            ))}
          </ul>
        )}
        {files.length < form.maxAttachments && (
          <div class="field">
            <input
              id="f-files"
              class="file-input"
              type="file"
              multiple
              accept={ACCEPT}
              disabled={sending}
              aria-describedby={describedBy('f-files', true, err('files'))}
              onChange={(e) => {
                addFiles(e.currentTarget.files);
                // The same file may be chosen again after removing it.
                e.currentTarget.value = '';
              }}
              data-testid="fb-file-input"
            />
            {/* After the input, so that its keyboard focus outlines this label (CSS `+`). */}
            <label for="f-files" class="button file-button">
              Chọn ảnh hoặc tệp PDF
            </label>
          </div>
        )}
        {err('files') && (
          <p id="f-files-error" class="field-error" data-testid="fb-files-error">
            {err('files')}
          </p>
        )}
      </fieldset>

      {/* A field people never see: a bot that fills it is refused as spam. */}
      <div class="hp" aria-hidden="true">
        <label for="f-website">Không điền vào ô này</label>
        <input id="f-website" name="website" type="text" tabIndex={-1} autoComplete="off" value={honeypot} onInput={(e) => setHoneypot(e.currentTarget.value)} />
      </div>

      <div class={err('consent') ? 'consent has-error' : 'consent'}>
        <input
          id="f-consent"
          name="consent"
          type="checkbox"
          checked={values.consent}
          aria-invalid={err('consent') ? 'true' : undefined}
          aria-describedby={err('consent') ? 'f-consent-error' : undefined}
          onChange={(e) => set('consent', e.currentTarget.checked)}
        />
        <label for="f-consent">{form.consentText}</label>
        {err('consent') && (
          <p id="f-consent-error" class="field-error">
            {err('consent')}
          </p>
        )}
      </div>

      <div ref={refusalBox} tabIndex={-1} class="refusal-slot">
        {refusal !== null && (
          <p class="alert" role="alert" data-testid="fb-refusal" data-code={refusal.code}>
            {refusal.message}
            {refusal.retryAfterSeconds !== undefined && refusal.retryAfterSeconds > 0 && ` (Thử lại sau khoảng ${Math.max(1, Math.ceil(refusal.retryAfterSeconds / 60))} phút.)`}
          </p>
        )}
      </div>

      {sending && progress !== null && (
        <div class="progress" role="status" aria-live="polite" data-testid="fb-progress" data-percent={pct}>
          <progress max={100} value={pct} aria-label="Tiến độ gửi" />
          <span>{progress.total > 0 && progress.sent >= progress.total ? 'Đã gửi xong, đang chờ máy chủ xác nhận…' : `Đang gửi… ${pct} %${progress.total > 0 ? ` (${formatBytes(progress.sent)} / ${formatBytes(progress.total)})` : ''}`}</span>
          <button type="button" onClick={() => aborter.current?.abort()} data-testid="fb-cancel">
            Hủy gửi
          </button>
        </div>
      )}

      <button type="submit" class="primary big wide" disabled={sending} data-testid="fb-submit">
        {sending ? 'Đang gửi…' : 'Gửi ý kiến'}
      </button>
    </form>
  );
}

function Receipt(props: { receipt: FeedbackReceipt; onTrack: () => void; onAgain: () => void }) {
  const r = props.receipt;
  const [copied, setCopied] = useState<string>('');
  const heading = useRef<HTMLHeadingElement>(null);
  const codeEl = useRef<HTMLParagraphElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(r.code);
      setCopied('Đã sao chép mã.');
    } catch {
      // No clipboard API (plain http, old browser): select the code so the resident can copy it by hand.
      const sel = getSelection();
      if (sel && codeEl.current) {
        sel.selectAllChildren(codeEl.current);
        setCopied('Đã chọn mã, hãy bấm giữ để sao chép.');
      }
    }
  };

  return (
    <section class="card receipt" aria-labelledby="receipt-title" data-testid="fb-receipt">
      <h1 id="receipt-title" ref={heading} tabIndex={-1}>
        Đã gửi ý kiến
      </h1>
      {r.duplicate && <p class="note">Ý kiến này đã được gửi trước đó; dưới đây là mã của lần gửi đầu tiên.</p>}
      <p>Mã tra cứu của bạn:</p>
      <p class="code" ref={codeEl} data-testid="fb-code">
        {r.code}
      </p>
      <p>
        <button type="button" class="big" onClick={copy} data-testid="fb-copy">
          Sao chép mã
        </button>{' '}
        <span role="status">{copied}</span>
      </p>
      <p class="strong">Lưu lại mã này để tra cứu.</p>
      <dl class="facts">
        <dt>Xã/phường</dt>
        <dd>{r.areaName}</dd>
        <dt>Gửi lúc</dt>
        <dd>{formatVnDateTime(r.createdAt)}</dd>
        <dt>Hạn tiếp nhận</dt>
        <dd data-testid="fb-ack-due">{formatVnDateTime(r.ackDueAt)}</dd>
        <dt>Hạn trả lời</dt>
        <dd data-testid="fb-answer-due">{formatVnDateTime(r.answerDueAt)}</dd>
      </dl>
      <div class="actions">
        <button type="button" class="primary big" onClick={props.onTrack} data-testid="fb-go-track">
          Tra cứu ý kiến
        </button>
        <button type="button" class="big" onClick={props.onAgain}>
          Gửi ý kiến khác
        </button>
      </div>
    </section>
  );
}
