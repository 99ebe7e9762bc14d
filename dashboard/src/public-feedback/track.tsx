/** "Tra cứu ý kiến": code + phone → where the item is, the answer, and the resident's rating of it. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { FEEDBACK_EVENT_LABELS_VI, FEEDBACK_STATE_LABELS_VI, type FeedbackState, type PublicFeedbackView } from '@loa/shared/rest';
import { asRefusal, rate, track, type Refusal } from './api.js';
import { formatVnDateTime, LIMITS, normalizePhone } from './rules.js';

export interface TrackPrefill {
  code: string;
  phone: string;
}


/** The public steps an item goes through; `reopened` is handled again like `in-progress`. */
const STEPS = ['Tiếp nhận', 'Đang xử lý', 'Đã trả lời', 'Đã đóng'] as const;
const STEP_OF: Partial<Record<FeedbackState, number>> = { received: 0, assigned: 1, 'in-progress': 1, reopened: 1, answered: 2, closed: 3 };

export function TrackPage(props: { prefill: TrackPrefill | null; initialCode?: string | null; active: boolean }) {
  const [code, setCode] = useState(props.initialCode ?? '');
  const [phone, setPhone] = useState('');
  const [fieldError, setFieldError] = useState<{ code?: string; phone?: string }>({});
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [view, setView] = useState<PublicFeedbackView | null>(null);
  const [thanks, setThanks] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);

  const lookup = async (c: string, p: string) => {
    const errs: { code?: string; phone?: string } = {};
    if (c.trim() === '') errs.code = 'Vui lòng nhập mã tra cứu (ví dụ PA-7K3M9QXR).';
    const normal = normalizePhone(p);
    if (normal === null) errs.phone = 'Số điện thoại không hợp lệ (10 chữ số, bắt đầu bằng 0).';
    setFieldError(errs);
    if (errs.code !== undefined || errs.phone !== undefined) {
      document.getElementById(errs.code !== undefined ? 't-code' : 't-phone')?.focus();
      return;
    }
    setBusy(true);
    setRefusal(null);
    try {
      setView(await track({ code: c.trim().toUpperCase(), phone: normal! }));
    } catch (err) {
      setView(null);
      setRefusal(asRefusal(err));
    } finally {
      setBusy(false);
    }
  };

  // Opened from the receipt: fill in and look up at once.
  useEffect(() => {
    if (props.prefill === null) return;
    setCode(props.prefill.code);
    setPhone(props.prefill.phone);
    setThanks('');
    void lookup(props.prefill.code, props.prefill.phone);
  }, [props.prefill]);
  useEffect(() => {
    if (props.active) heading.current?.focus();
  }, [props.active]);

  const onRated = async (satisfied: boolean) => {
    setThanks(satisfied ? 'Cảm ơn bạn đã đánh giá. Ý kiến đã được đóng.' : 'Cảm ơn bạn. Ý kiến đã được mở lại để xử lý tiếp.');
    await lookup(code, phone);
  };

  return (
    <section class="card" aria-labelledby="track-title">
      <h1 id="track-title" ref={heading} tabIndex={-1}>
        Tra cứu ý kiến
      </h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setThanks('');
          void lookup(code, phone);
        }}
        noValidate
        data-testid="fb-track-form"
      >
        <div class={fieldError.code ? 'field has-error' : 'field'}>
          <label for="t-code">Mã tra cứu</label>
          <input
            id="t-code"
            name="code"
            type="text"
            class="code-input"
            autoComplete="off"
            autoCapitalize="characters"
            spellcheck={false}
            maxLength={32}
            placeholder="PA-XXXXXXXX"
            value={code}
            aria-invalid={fieldError.code ? 'true' : undefined}
            aria-describedby={fieldError.code ? 't-code-error' : undefined}
            onInput={(e) => setCode(e.currentTarget.value)}
          />
          {fieldError.code && (
            <p id="t-code-error" class="field-error">
              {fieldError.code}
            </p>
          )}
        </div>
        <div class={fieldError.phone ? 'field has-error' : 'field'}>
          <label for="t-phone">Số điện thoại đã dùng khi gửi</label>
          <input
            id="t-phone"
            name="phone"
            type="tel"
            inputMode="tel"
            autoComplete="tel"
            maxLength={32}
            value={phone}
            aria-invalid={fieldError.phone ? 'true' : undefined}
            aria-describedby={fieldError.phone ? 't-phone-error' : undefined}
            onInput={(e) => setPhone(e.currentTarget.value)}
          />
          {fieldError.phone && (
            <p id="t-phone-error" class="field-error">
              {fieldError.phone}
            </p>
          )}
        </div>
        <button type="submit" class="primary big wide" disabled={busy} data-testid="fb-track-submit">
          {busy ? 'Đang tra cứu…' : 'Tra cứu'}
        </button>
      </form>
      {refusal !== null && (
        <p class="alert" role="alert" data-testid="fb-track-refusal" data-code={refusal.code}>
          {refusal.message}
        </p>
      )}
      {thanks !== '' && (
        <p class="note ok" role="status" data-testid="fb-thanks">
          {thanks}
        </p>
      )}
      {view !== null && <Result view={view} code={code} phone={phone} onRated={onRated} />}
      <p class="small muted">
        Chưa gửi ý kiến? <a href="#/">Gửi ý kiến mới</a>.
      </p>
    </section>
  );
}

function Steps(props: { state: FeedbackState }) {
  const at = STEP_OF[props.state];
  if (at === undefined) return null;
  return (
    <ol class="steps" aria-label="Các bước xử lý">
      {STEPS.map((label, i) => (
        <li key={label} class={i < at || props.state === 'closed' ? 'done' : i === at ? 'current' : ''} aria-current={i === at ? 'step' : undefined}>
          {label}
        </li>
      ))}
    </ol>
  );
}

function Result(props: { view: PublicFeedbackView; code: string; phone: string; onRated: (satisfied: boolean) => Promise<void> }) {
  const v = props.view;
  return (
    <article class="result" aria-labelledby="result-title" data-testid="fb-track-result" data-state={v.state} data-code={v.code}>
      <h2 id="result-title">{v.title}</h2>
      <p class="muted small">
        Mã {v.code} · {v.areaName} · {v.categoryLabel}
      </p>
      <p>
        Trạng thái:{' '}
        <strong class={`state state-${v.state}`} data-testid="fb-state">
          {FEEDBACK_STATE_LABELS_VI[v.state]}
        </strong>
      </p>
      <Steps state={v.state} />
      <dl class="facts">
        <dt>Gửi lúc</dt>
        <dd>{formatVnDateTime(v.createdAt)}</dd>
        <dt>Hạn trả lời</dt>
        <dd>{formatVnDateTime(v.answerDueAt)}</dd>
        {v.answeredAt !== null && (
          <>
            <dt>Trả lời lúc</dt>
            <dd>{formatVnDateTime(v.answeredAt)}</dd>
          </>
        )}
      </dl>
      {v.answer !== null && (
        <section class="answer" aria-labelledby="answer-title" data-testid="fb-answer">
          <h3 id="answer-title">Câu trả lời</h3>
          <p class="pre">{v.answer}</p>
        </section>
      )}
      {v.rejectReason !== null && (
        <section class="answer rejected" aria-labelledby="reject-title" data-testid="fb-reject">
          <h3 id="reject-title">Lý do không thụ lý</h3>
          <p class="pre">{v.rejectReason}</p>
        </section>
      )}
      {v.satisfied !== null && (
        <p data-testid="fb-rated" data-satisfied={String(v.satisfied)}>
          Bạn đã đánh giá: <strong>{v.satisfied ? 'Hài lòng' : 'Chưa hài lòng'}</strong>
        </p>
      )}
      {v.canRate && <Rate code={props.code} phone={props.phone} onRated={props.onRated} />}
      <details>
        <summary>Nội dung đã gửi</summary>
        <p class="pre">{v.content}</p>
        {v.attachments > 0 && <p class="muted small">Kèm {v.attachments} tệp.</p>}
      </details>
      {v.history.length > 0 && (
        <section aria-labelledby="history-title">
          <h3 id="history-title">Quá trình xử lý</h3>
          <ol class="history" data-testid="fb-history">
            {v.history.map((h, i) => (
              <li key={i} data-kind={h.kind}>
                <span class="muted small">{formatVnDateTime(h.at)}</span> <strong>{FEEDBACK_EVENT_LABELS_VI[h.kind]}</strong>
                {h.text !== '' && h.text !== FEEDBACK_EVENT_LABELS_VI[h.kind] && <span class="pre">: {h.text}</span>}
              </li>
            ))}
          </ol>
        </section>
      )}
    </article>
  );
}

function Rate(props: { code: string; phone: string; onRated: (satisfied: boolean) => Promise<void> }) {
  const [unhappy, setUnhappy] = useState(false);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | null>(null);

  const send = async (satisfied: boolean) => {
    setBusy(true);
    setRefusal(null);
    try {
      const c = comment.trim();
      await rate({ code: props.code.trim().toUpperCase(), phone: normalizePhone(props.phone) ?? props.phone, satisfied, comment: satisfied || c === '' ? undefined : c });
      await props.onRated(satisfied);
    } catch (err) {
      setRefusal(asRefusal(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="rate" aria-labelledby="rate-title" data-testid="fb-rate">
      <h3 id="rate-title">Bạn có hài lòng với câu trả lời?</h3>
      <div class="actions">
        <button type="button" class="primary big" disabled={busy} onClick={() => void send(true)} data-testid="fb-rate-yes">
          Hài lòng
        </button>
        <button type="button" class="big" disabled={busy} aria-expanded={unhappy} onClick={() => setUnhappy(true)} data-testid="fb-rate-no">
          Chưa hài lòng
        </button>
      </div>
      {unhappy && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void send(false);
          }}
        >
          <div class="field">
            <label for="r-comment">Vì sao bạn chưa hài lòng? (không bắt buộc)</label>
            <textarea id="r-comment" name="comment" rows={4} maxLength={LIMITS.comment} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          </div>
          <button type="submit" class="big" disabled={busy} data-testid="fb-rate-send">
            Gửi đánh giá
          </button>
        </form>
      )}
      {refusal !== null && (
        <p class="alert" role="alert">
          {refusal.message}
        </p>
      )}
    </section>
  );
}
