/**
 * E-board content: the text message editor (style, display time, live preview at a board profile's resolution,
 * rendered by the very renderer the boards and the server use) and the image upload (previewed per profile).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, patch, post } from '../api.js';
import { defineStrings, useT } from '../i18n.js';
import type { ContentView } from '@loa/shared/rest';
import { ErrorBox, Field } from '../ui.js';
import { BoardFrame, localBoardHtml, ProfileSelect, ServerBoardPreview, sizeOf, useBoardProfiles, type TextStyle } from './content-shared.js';

const S = defineStrings({
  vi: {
    heading: 'Soạn thông báo bảng tin',
    title: 'Tiêu đề',
    titlePh: 'VD: Thông báo lịch tiêm chủng',
    text: 'Nội dung hiển thị',
    textPh: 'Nội dung chạy trên bảng tin điện tử…',
    fontSize: 'Cỡ chữ',
    fs_auto: 'Tự động (lớn nhất vừa màn hình)',
    fs_small: 'Nhỏ',
    fs_medium: 'Vừa',
    fs_large: 'Lớn',
    fs_xlarge: 'Rất lớn',
    fs_px: 'Tùy chỉnh (px)',
    px: 'Cỡ chữ (px)',
    color: 'Màu chữ',
    background: 'Màu nền',
    presets: 'Mẫu màu',
    mode: 'Kiểu hiển thị',
    static: 'Đứng yên',
    scroll: 'Chữ chạy',
    scrollSpeed: 'Tốc độ chạy (px/giây)',
    displaySeconds: 'Thời gian hiển thị (giây)',
    profile: 'Xem trước trên màn hình',
    preview: 'Xem trước',
    saveDraft: 'Lưu bản nháp',
    saveSubmit: 'Lưu và gửi duyệt',
    saved: 'Đã lưu “{title}”.',
    imgHeading: 'Tải lên hình ảnh cho bảng tin',
    imgFile: 'Tệp ảnh (PNG, JPEG, WebP, tối đa 20 MB)',
    fit: 'Cách hiển thị',
    contain: 'Vừa khung (giữ nguyên ảnh)',
    cover: 'Phủ kín màn hình (có thể cắt)',
    imgBackground: 'Màu nền viền',
    upload: 'Tải lên',
    uploadSubmit: 'Tải lên và gửi duyệt',
    uploading: 'Đang tải lên và chuẩn bị ảnh cho từng màn hình…',
    serverPreview: 'Ảnh đã được máy chủ chuẩn bị cho từng loại màn hình:',
  },
  en: {
    heading: 'Compose a board message',
    title: 'Title',
    titlePh: 'e.g. Vaccination schedule notice',
    text: 'Text shown',
    textPh: 'Text shown on the e-board…',
    fontSize: 'Font size',
    fs_auto: 'Automatic (largest that fits)',
    fs_small: 'Small',
    fs_medium: 'Medium',
    fs_large: 'Large',
    fs_xlarge: 'Extra large',
    fs_px: 'Custom (px)',
    px: 'Font size (px)',
    color: 'Text colour',
    background: 'Background colour',
    presets: 'Colour presets',
    mode: 'Display',
    static: 'Static',
    scroll: 'Scrolling',
    scrollSpeed: 'Scroll speed (px/s)',
    displaySeconds: 'Display time (seconds)',
    profile: 'Preview on screen',
    preview: 'Preview',
    saveDraft: 'Save draft',
    saveSubmit: 'Save and submit',
    saved: 'Saved “{title}”.',
    imgHeading: 'Upload an image for boards',
    imgFile: 'Image file (PNG, JPEG, WebP, up to 20 MB)',
    fit: 'Fit',
    contain: 'Contain (whole image)',
    cover: 'Cover the screen (may crop)',
    imgBackground: 'Border colour',
    upload: 'Upload',
    uploadSubmit: 'Upload and submit',
    uploading: 'Uploading and preparing the image for every screen…',
    serverPreview: 'The image as the server prepared it for each screen:',
  },
});

type SizeChoice = 'auto' | 'small' | 'medium' | 'large' | 'xlarge' | 'px';
const PRESETS: Array<{ color: string; background: string }> = [
  { color: '#f5f7fa', background: '#0b0f14' },
  { color: '#ffffff', background: '#003366' },
  { color: '#ffd166', background: '#8b0000' },
  { color: '#000000', background: '#ffffff' },
  { color: '#00ff66', background: '#000000' },
];

const checkboxRow = { display: 'flex', gap: '.4rem', alignItems: 'center' };
const twoCols = { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(min(100%, 20rem), 1fr))', gap: '1rem' };

/** Creates (no `content`) or edits a text content for boards. */
export function BoardEditor({ content, onSaved }: { content?: ContentView | undefined; onSaved: (c: ContentView) => void }) {
  const t = useT(S);
  const st = (content?.style ?? {}) as TextStyle;
  const [title, setTitle] = useState(content?.title ?? '');
  const [text, setText] = useState(content?.text ?? '');
  const [size, setSize] = useState<SizeChoice>(typeof st.fontSize === 'number' ? 'px' : (st.fontSize ?? 'auto'));
  const [px, setPx] = useState(typeof st.fontSize === 'number' ? st.fontSize : 96);
  const [color, setColor] = useState(st.color ?? '#f5f7fa');
  const [background, setBackground] = useState(st.background ?? '#0b0f14');
  const [mode, setMode] = useState<'static' | 'scroll'>(st.mode ?? 'static');
  const [speed, setSpeed] = useState(st.scrollSpeed ?? 120);
  const [seconds, setSeconds] = useState(content ? Math.round(content.durationMs / 1000) : 60);
  const [profileId, setProfileId] = useState('');
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<ContentView | null>(null);
  const { profiles } = useBoardProfiles();

  const style: TextStyle = { color, background, mode };
  if (size === 'px') style.fontSize = Math.max(6, Math.min(2000, Math.round(px)));
  else if (size !== 'auto') style.fontSize = size;
  if (mode === 'scroll') style.scrollSpeed = Math.max(5, Math.min(2000, speed));
  const dims = sizeOf(profiles, profileId);
  const html = localBoardHtml({ type: 'text', title: title || ' ', text: text || ' ', style }, dims);

  const save = async (submit: boolean) => {
    setBusy(true);
    setErr(null);
    try {
      let c: ContentView;
      if (content) {
        c = await patch<ContentView>(`/api/v1/contents/${content.id}`, { title: title.trim(), text: text.trim(), displaySeconds: seconds, style });
        if (submit) c = await post<ContentView>(`/api/v1/contents/${content.id}/submit`);
      } else {
        c = await post<ContentView>('/api/v1/contents', { type: 'text', title: title.trim(), text: text.trim(), displaySeconds: seconds, style, submit: submit || undefined });
      }
      setSaved(c);
      onSaved(c);
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  const valid = title.trim().length > 0 && text.trim().length > 0 && seconds > 0;

  return (
    <section class="card" data-testid="board-editor">
      {content ? null : <h2>{t('heading')}</h2>}
      <div style={twoCols}>
        <div>
          <Field label={t('title')}>
            <input data-testid="board-title" value={title} maxLength={200} placeholder={t('titlePh')} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
          </Field>
          <Field label={t('text')}>
            <textarea data-testid="board-text" value={text} maxLength={5000} rows={4} placeholder={t('textPh')} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
          </Field>
          <div class="row">
            <Field label={t('fontSize')}>
              <select data-testid="board-font-size" value={size} onChange={(e) => setSize((e.target as HTMLSelectElement).value as SizeChoice)}>
                {(['auto', 'small', 'medium', 'large', 'xlarge', 'px'] as const).map((s) => (
                  <option key={s} value={s}>
                    {t(`fs_${s}`)}
                  </option>
                ))}
              </select>
            </Field>
            {size === 'px' ? (
              <Field label={t('px')}>
                <input type="number" min={6} max={2000} value={px} onInput={(e) => setPx(Number((e.target as HTMLInputElement).value))} />
              </Field>
            ) : null}
          </div>
          <div class="row">
            <Field label={t('color')}>
              <input type="color" data-testid="board-color" value={color} onInput={(e) => setColor((e.target as HTMLInputElement).value)} style={{ width: '4rem', padding: '.1rem' }} />
            </Field>
            <Field label={t('background')}>
              <input type="color" data-testid="board-background" value={background} onInput={(e) => setBackground((e.target as HTMLInputElement).value)} style={{ width: '4rem', padding: '.1rem' }} />
            </Field>
            <div class="field">
              <span class="field-label">{t('presets')}</span>
              <div style={{ display: 'flex', gap: '.3rem', flexWrap: 'wrap' }}>
                {PRESETS.map((p) => (
                  <button
                    key={p.color + p.background}
                    type="button"
                    title={`${p.color} / ${p.background}`}
                    style={{ background: p.background, color: p.color, fontWeight: 700, minWidth: '2.4rem', justifyContent: 'center' }}
                    onClick={() => {
                      setColor(p.color);
                      setBackground(p.background);
                    }}
                  >
                    Aa
                  </button>
                ))}
              </div>
            </div>
          </div>
          <div class="row">
            <div class="field">
              <span class="field-label">{t('mode')}</span>
              <div style={{ display: 'flex', gap: '.9rem' }}>
                {(['static', 'scroll'] as const).map((m) => (
                  <label key={m} style={checkboxRow}>
                    <input type="radio" name="board-mode" value={m} data-testid={`board-mode-${m}`} checked={mode === m} onChange={() => setMode(m)} />
                    {t(m)}
                  </label>
                ))}
              </div>
            </div>
            {mode === 'scroll' ? (
              <Field label={t('scrollSpeed')}>
                <input type="number" min={5} max={2000} value={speed} onInput={(e) => setSpeed(Number((e.target as HTMLInputElement).value))} />
              </Field>
            ) : null}
            <Field label={t('displaySeconds')}>
              <input type="number" data-testid="board-seconds" min={1} max={86400} value={seconds} onInput={(e) => setSeconds(Number((e.target as HTMLInputElement).value))} />
            </Field>
          </div>
        </div>
        <div>
          <Field label={t('profile')}>
            <ProfileSelect value={profileId} onChange={setProfileId} testid="board-profile" />
          </Field>
          <BoardFrame html={html} width={dims.width} height={dims.height} maxHeight={360} />
        </div>
      </div>
      <ErrorBox error={err} />
      {saved ? (
        <p class="ok" data-testid="board-saved" data-content-id={saved.id} data-state={saved.state}>
          {t('saved', { title: saved.title })}
        </p>
      ) : null}
      <div class="row" style={{ justifyContent: 'flex-end', marginTop: '.5rem' }}>
        <button type="button" data-testid="board-save" disabled={busy || !valid} onClick={() => void save(false)}>
          {t('saveDraft')}
        </button>
        <button type="button" class="primary" data-testid="board-save-submit" disabled={busy || !valid} onClick={() => void save(true)}>
          {t('saveSubmit')}
        </button>
      </div>
    </section>
  );
}

/** Reads a file as a data: URI (the preview iframe is sandboxed: blob URLs of this origin are not for it). */
const dataUri = (f: File): Promise<string> =>
  new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('read failed'));
    r.readAsDataURL(f);
  });

export function ImageUpload({ onCreated }: { onCreated: (c: ContentView) => void }) {
  const t = useT(S);
  const [title, setTitle] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [src, setSrc] = useState<string | null>(null);
  const [seconds, setSeconds] = useState(30);
  const [fit, setFit] = useState<'contain' | 'cover'>('contain');
  const [background, setBackground] = useState('#000000');
  const [profileId, setProfileId] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [created, setCreated] = useState<ContentView | null>(null);
  const { profiles } = useBoardProfiles();
  useEffect(() => {
    setSrc(null);
    if (file) dataUri(file).then(setSrc, setErr);
  }, [file]);
  const dims = sizeOf(profiles, profileId);

  const send = async (submit: boolean) => {
    if (!file) return;
    setBusy(true);
    setErr(null);
    try {
      const c = await api<ContentView>('POST', '/api/v1/contents/images', {
        raw: file,
        contentType: file.type || 'application/octet-stream',
        query: { title: title.trim(), displaySeconds: seconds, fit, background, submit: submit ? 'true' : undefined },
      });
      setCreated(c);
      onCreated(c);
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  const valid = Boolean(file) && title.trim().length > 0 && seconds > 0;

  return (
    <section class="card" data-testid="image-upload">
      <h2>{t('imgHeading')}</h2>
      <div style={twoCols}>
        <div>
          <Field label={t('title')}>
            <input data-testid="image-title" value={title} maxLength={200} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
          </Field>
          <Field label={t('imgFile')}>
            <input
              type="file"
              accept="image/png,image/jpeg,image/webp"
              data-testid="image-input"
              onChange={(e) => {
                const f = (e.target as HTMLInputElement).files?.[0] ?? null;
                setFile(f);
                setCreated(null);
                if (f && !title.trim()) setTitle(f.name.replace(/\.[^.]+$/, '').replace(/[_-]+/g, ' ').trim());
              }}
            />
          </Field>
          <div class="row">
            <Field label={t('fit')}>
              <select value={fit} onChange={(e) => setFit((e.target as HTMLSelectElement).value as 'contain' | 'cover')}>
                <option value="contain">{t('contain')}</option>
                <option value="cover">{t('cover')}</option>
              </select>
            </Field>
            <Field label={t('imgBackground')}>
              <input type="color" value={background} onInput={(e) => setBackground((e.target as HTMLInputElement).value)} style={{ width: '4rem', padding: '.1rem' }} />
            </Field>
            <Field label={t('displaySeconds')}>
              <input type="number" min={1} max={86400} value={seconds} onInput={(e) => setSeconds(Number((e.target as HTMLInputElement).value))} />
            </Field>
          </div>
        </div>
        <div>
          {created ? (
            <>
              <p class="muted small">{t('serverPreview')}</p>
              <ServerBoardPreview contentId={created.id} />
            </>
          ) : (
            <>
              <Field label={t('profile')}>
                <ProfileSelect value={profileId} onChange={setProfileId} />
              </Field>
              {src ? <BoardFrame html={localBoardHtml({ type: 'image', title: title || 'image', src, fit, background }, dims)} width={dims.width} height={dims.height} maxHeight={320} /> : null}
            </>
          )}
        </div>
      </div>
      {busy ? <p class="muted">{t('uploading')}</p> : null}
      <ErrorBox error={err} />
      {created ? (
        <p class="ok" data-testid="image-done" data-content-id={created.id} data-state={created.state}>
          {t('saved', { title: created.title })}
        </p>
      ) : null}
      <div class="row" style={{ justifyContent: 'flex-end', marginTop: '.5rem' }}>
        <button type="button" disabled={busy || !valid || created !== null} onClick={() => void send(false)}>
          {t('upload')}
        </button>
        <button type="button" class="primary" data-testid="image-submit" disabled={busy || !valid || created !== null} onClick={() => void send(true)}>
          {t('uploadSubmit')}
        </button>
      </div>
    </section>
  );
}
