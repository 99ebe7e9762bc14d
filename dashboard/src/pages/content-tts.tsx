/**
 * Vietnamese text-to-speech: see how the text will be read (numbers, dates, abbreviations written out), listen to
 * the synthesised bulletin, then keep it as an audio content.
 */
import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { defineStrings, useT } from '../i18n.js';
import { ttsAutoTitle, type ContentView, type TtsView } from '@loa/shared/rest';
import { href } from '../router.js';
import { loadSession } from '../session.js';
import { ActionButton, ErrorBox, Field } from '../ui.js';
import { AudioPlayer, LoudnessFacts } from './content-shared.js';

const S = defineStrings({
  vi: {
    heading: 'Chuyển văn bản thành giọng nói',
    text: 'Văn bản cần đọc',
    textPh: 'VD: UBND xã thông báo: ngày 07/9 lúc 14h30 tổ chức tiêm chủng tại trạm y tế xã.',
    chars: '{n} ký tự',
    previewText: 'Xem cách đọc',
    normalized: 'Máy sẽ đọc như sau',
    voice: 'Giọng',
    male: 'Nam',
    female: 'Nữ',
    accent: 'Vùng miền',
    north: 'Miền Bắc',
    central: 'Miền Trung',
    south: 'Miền Nam',
    speed: 'Tốc độ đọc',
    listen: 'Nghe thử',
    synthesising: 'Đang tổng hợp giọng nói…',
    title: 'Tiêu đề nội dung',
    submitNow: 'Gửi duyệt ngay',
    save: 'Lưu thành nội dung',
    saved: 'Đã lưu nội dung “{title}”.',
    changed: 'Văn bản hoặc giọng đã thay đổi: bấm “Nghe thử” lại trước khi lưu.',
    engine: 'Bộ đọc: {engine} · {ms} ms',
    dictionary: 'Từ điển cách đọc',
    dictionaryHint: 'Cách đọc đã áp dụng từ điển cách đọc của hệ thống.',
  },
  en: {
    heading: 'Text to speech',
    text: 'Text to read',
    textPh: 'e.g. The commune announces: vaccination on 07/9 at 14h30 at the commune health station.',
    chars: '{n} characters',
    previewText: 'Preview how it will be read',
    normalized: 'It will be read as',
    voice: 'Voice',
    male: 'Male',
    female: 'Female',
    accent: 'Accent',
    north: 'Northern',
    central: 'Central',
    south: 'Southern',
    speed: 'Speed',
    listen: 'Listen',
    synthesising: 'Synthesising…',
    title: 'Content title',
    submitNow: 'Submit for approval at once',
    save: 'Save as content',
    saved: 'Saved the content “{title}”.',
    changed: 'The text or voice changed: press “Listen” again before saving.',
    engine: 'Engine: {engine} · {ms} ms',
    dictionary: 'Pronunciation dictionary',
    dictionaryHint: 'The reading applies this installation\'s pronunciation dictionary.',
  },
});


type Voice = 'male' | 'female';
type Accent = 'north' | 'central' | 'south';

export function TtsForm({ onCreated }: { onCreated: (c: ContentView) => void }) {
  const t = useT(S);
  const [text, setText] = useState('');
  const [voice, setVoice] = useState<Voice>('female');
  const [accent, setAccent] = useState<Accent>('north');
  const [speed, setSpeed] = useState(1);
  const [normalized, setNormalized] = useState<string | null>(null);
  const [result, setResult] = useState<{ view: TtsView; key: string } | null>(null);
  const [synth, setSynth] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [title, setTitle] = useState('');
  const [submitNow, setSubmitNow] = useState(true);
  const [saved, setSaved] = useState<ContentView | null>(null);
  const key = JSON.stringify([text.trim(), voice, accent, speed]);

  const listen = async () => {
    setSynth(true);
    setErr(null);
    setSaved(null);
    try {
      const view = await post<TtsView>('/api/v1/tts', { text: text.trim(), voice, accent, speed });
      setResult({ view, key });
      setNormalized(view.normalizedText);
      // Cut at a word boundary with "…" (issue 19): never mid-word.
      if (!title.trim()) setTitle(ttsAutoTitle(text));
    } catch (e) {
      setErr(e);
    } finally {
      setSynth(false);
    }
  };

  const stale = result !== null && result.key !== key;
  const radio = <T extends string>(name: string, value: T, current: T, set: (v: T) => void, label: string) => (
    <label style={{ display: 'inline-flex', gap: '.3rem', alignItems: 'center', marginRight: '.9rem' }}>
      <input type="radio" name={name} value={value} checked={current === value} onChange={() => set(value)} />
      {label}
    </label>
  );

  return (
    <section class="card" data-testid="tts-form">
      <h2>{t('heading')}</h2>
      <Field label={t('text')} hint={t('chars', { n: text.length })}>
        <textarea data-testid="tts-text" value={text} maxLength={20000} placeholder={t('textPh')} rows={5} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      </Field>
      <div class="row">
        <div class="field">
          <span class="field-label">{t('voice')}</span>
          <div>
            {radio('tts-voice', 'female', voice, setVoice, t('female'))}
            {radio('tts-voice', 'male', voice, setVoice, t('male'))}
          </div>
        </div>
        <Field label={t('accent')}>
          <select data-testid="tts-accent" value={accent} onChange={(e) => setAccent((e.target as HTMLSelectElement).value as Accent)}>
            <option value="north">{t('north')}</option>
            <option value="central">{t('central')}</option>
            <option value="south">{t('south')}</option>
          </select>
        </Field>
        <Field label={`${t('speed')}: ×${speed.toFixed(1)}`}>
          <input type="range" min={0.5} max={2} step={0.1} value={speed} data-testid="tts-speed" onInput={(e) => setSpeed(Number((e.target as HTMLInputElement).value))} />
        </Field>
      </div>
      <div class="row" style={{ marginBottom: '.5rem' }}>
        <ActionButton
          data-testid="tts-preview-text"
          disabled={!text.trim()}
          onClick={async () => {
            const r = await post<{ normalizedText: string }>('/api/v1/tts/preview-text', { text: text.trim(), accent });
            setNormalized(r.normalizedText);
          }}
        >
          {t('previewText')}
        </ActionButton>
        <button type="button" class="primary" data-testid="tts-listen" disabled={!text.trim() || synth} onClick={() => void listen()}>
          ▶ {t('listen')}
        </button>
      </div>
      {normalized !== null ? (
        <div style={{ background: '#f8fafb', border: '1px solid var(--line)', borderRadius: 'var(--radius)', padding: '.5rem .75rem', marginBottom: '.5rem' }}>
          <div class="field-label">{t('normalized')}</div>
          <div class="muted small">
            {t('dictionaryHint')}{' '}
            {loadSession()?.user.role === 'admin' ? (
              <a href={href('/tts-dictionary')} data-testid="tts-dictionary-link">
                {t('dictionary')}
              </a>
            ) : null}
          </div>
          <p data-testid="tts-normalized" style={{ margin: '.25rem 0 0', whiteSpace: 'pre-wrap' }}>
            {normalized}
          </p>
        </div>
      ) : null}
      {synth ? <p class="muted">{t('synthesising')}</p> : null}
      <ErrorBox error={err} />
      {result ? (
        <div data-testid="tts-result" data-sha256={result.view.media.sha256}>
          <AudioPlayer sha256={result.view.media.sha256} autoPlay />
          <LoudnessFacts media={result.view.media} />
          <p class="muted small">{t('engine', { engine: result.view.engine, ms: result.view.synthesisMs })}</p>
          {stale ? <p class="error">{t('changed')}</p> : null}
          <div class="row">
            <Field label={t('title')}>
              <input data-testid="tts-title" value={title} maxLength={200} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
            </Field>
          </div>
          <div class="row" style={{ alignItems: 'center' }}>
            <label style={{ display: 'flex', gap: '.4rem', alignItems: 'center' }}>
              <input type="checkbox" data-testid="tts-submit-now" checked={submitNow} onChange={(e) => setSubmitNow((e.target as HTMLInputElement).checked)} />
              {t('submitNow')}
            </label>
            <ActionButton
              class="primary"
              data-testid="tts-save"
              disabled={!title.trim() || stale || saved !== null}
              onClick={async () => {
                const c = await post<ContentView>('/api/v1/contents', { type: 'audio', title: title.trim(), mediaSha256: result.view.media.sha256, submit: submitNow || undefined });
                setSaved(c);
                onCreated(c);
              }}
            >
              {t('save')}
            </ActionButton>
          </div>
          {saved ? (
            <p class="ok" data-testid="tts-saved" data-content-id={saved.id}>
              {t('saved', { title: saved.title })}
            </p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
