import { useState } from 'preact/hooks';
import { ApiError, api, get, patch, post } from '../api.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import type { DeviceView } from '@loa/shared/rest';
import { ErrorBox, Field, useAsync } from '../ui.js';
import { AreaPicker, CopyField, DEVICE_ID_RE, OnceWarning, SecretPanel, TAG_RE, saveText, splitTags, useSigningKey, type BoardProfile } from './fleet-common.js';

const S = defineStrings({
  vi: {
    oneTitle: 'Đăng ký một thiết bị',
    id: 'Mã thiết bị',
    idHint: '2–64 ký tự: chữ thường không dấu, chữ số, "-" hoặc "_" (ví dụ spk-taydang-01). Không đổi được sau khi đăng ký.',
    badId: 'Mã thiết bị không hợp lệ: 2–64 ký tự a-z, 0-9, "-" hoặc "_", bắt đầu bằng chữ hoặc số',
    name: 'Tên thiết bị',
    namePh: 'Ví dụ: Cụm loa thôn Đông Phú',
    tags: 'Nhãn (không bắt buộc)',
    tagsHint: 'Cách nhau bằng dấu cách hoặc dấu phẩy, ví dụ: cho truong-hoc. Dùng cho nhóm thiết bị theo nhãn.',
    badTags: 'Nhãn không hợp lệ: {tags} (chữ thường không dấu, chữ số, "_", ".", ":" hoặc "-")',
    profile: 'Cấu hình bảng tin',
    noProfile: '— Mặc định (1920×1080) —',
    pickArea: 'Hãy chọn địa bàn',
    register: 'Đăng ký',
    registered: 'Đã đăng ký thiết bị {id}',
    profileFailed: 'Thiết bị đã được đăng ký nhưng chưa gán được cấu hình bảng tin: {msg}. Có thể gán lại ở trang thiết bị.',
    another: 'Đăng ký thiết bị khác',
    serverKey: 'Khóa công khai của máy chủ (để cấu hình thiết bị)',
    csvTitle: 'Nhập nhiều thiết bị từ tệp CSV',
    csvIntro: 'Dòng đầu là tiêu đề cột: id,name,kind,areaCode,tags (cột tags không bắt buộc, các nhãn cách nhau bằng dấu chấm phẩy). kind là speaker (cụm loa) hoặc board (bảng tin). Mọi dòng được kiểm tra trước; có một dòng lỗi là không thiết bị nào được ghi.',
    sample: 'Tải tệp mẫu',
    file: 'Chọn tệp CSV',
    paste: 'Hoặc dán nội dung CSV',
    lines: '{n} dòng',
    notUtf8: 'Tệp không phải UTF-8. Trong Excel hãy lưu bằng "CSV UTF-8 (phân cách bằng dấu phẩy)" rồi chọn lại.',
    import: 'Nhập và cấp mã bí mật',
    clear: 'Xóa',
    errorsTitle: 'Tệp có lỗi, chưa thiết bị nào được đăng ký. Sửa rồi nhập lại:',
    line: 'Dòng',
    problem: 'Lỗi',
    imported: 'Đã đăng ký {n} thiết bị.',
    csvOnce: 'Tệp mã bí mật (id, secret, serverPublicKey) chỉ được cung cấp MỘT LẦN này. Hãy tải về ngay, lưu ở nơi an toàn và giao cho người lắp đặt; không tải lại được.',
    download: 'Tải tệp mã bí mật',
    downloaded: 'Đã tải. Có thể tải lại cho đến khi rời trang này.',
  },
  en: {
    oneTitle: 'Register one device',
    id: 'Device id',
    idHint: '2–64 characters: a-z, 0-9, "-" or "_" (e.g. spk-taydang-01). It cannot change later.',
    badId: 'Invalid device id: 2–64 characters of a-z, 0-9, "-" or "_", starting with a letter or digit',
    name: 'Name',
    namePh: 'e.g. Cụm loa thôn Đông Phú',
    tags: 'Tags (optional)',
    tagsHint: 'Separated by spaces or commas, e.g. market school-zone. Tag rules of groups match them.',
    badTags: 'Invalid tags: {tags} (a-z, 0-9, "_", ".", ":" or "-")',
    profile: 'Board profile',
    noProfile: '— Default (1920×1080) —',
    pickArea: 'Pick an area',
    register: 'Register',
    registered: 'Device {id} registered',
    profileFailed: 'The device is registered but its board profile could not be set: {msg}. Set it again on the device page.',
    another: 'Register another device',
    serverKey: 'Server public key (for configuring devices)',
    csvTitle: 'Import devices from CSV',
    csvIntro: 'The first line names the columns: id,name,kind,areaCode,tags (tags optional, separated by semicolons). kind is speaker or board. Every row is checked first; one bad row and nothing is stored.',
    sample: 'Download a sample',
    file: 'Pick a CSV file',
    paste: 'Or paste CSV text',
    lines: '{n} lines',
    notUtf8: 'The file is not UTF-8. In Excel save it as "CSV UTF-8 (comma delimited)" and pick it again.',
    import: 'Import and issue secrets',
    clear: 'Clear',
    errorsTitle: 'The file has errors; no device was registered. Fix them and import again:',
    line: 'Line',
    problem: 'Problem',
    imported: '{n} devices registered.',
    csvOnce: 'The credentials file (id, secret, serverPublicKey) is offered only THIS ONCE. Download it now, keep it safe and hand it to the installer; it cannot be downloaded again later.',
    download: 'Download the credentials',
    downloaded: 'Downloaded. You can download it again until you leave this page.',
  },
});

const SAMPLE = ['id,name,kind,areaCode,tags', 'spk-taydang-01,Cụm loa thôn Đông Phú,speaker,09955,market;center', 'spk-taydang-02,Cụm loa thôn Tây,speaker,09955,', 'brd-taydang-01,Bảng tin UBND xã,board,09955,office', ''].join('\r\n');

export function RegisterTab() {
  const key = useSigningKey();
  const t = useT(S);
  return (
    <div>
      <RegisterOne />
      <ImportCsv />
      <div class="card">
        <ErrorBox error={key.error} />
        {key.data ? <CopyField label={t('serverKey')} value={key.data.publicKey} testid="signing-key" /> : null}
      </div>
    </div>
  );
}

function RegisterOne() {
  const t = useT(S);
  const c = useCommon();
  const profiles = useAsync(() => get<BoardProfile[]>('/api/v1/board-profiles'), []);
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'speaker' | 'board'>('speaker');
  const [area, setArea] = useState('');
  const [tags, setTags] = useState('');
  const [profileId, setProfileId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [warn, setWarn] = useState<string | null>(null);
  const [done, setDone] = useState<{ deviceId: string; secret: string; serverPublicKey: string; kind: string } | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setWarn(null);
    const devId = id.trim();
    if (!DEVICE_ID_RE.test(devId)) return setError(new Error(t('badId')));
    if (!area) return setError(new Error(t('pickArea')));
    const tagList = splitTags(tags);
    const bad = tagList.filter((x) => !TAG_RE.test(x));
    if (bad.length) return setError(new Error(t('badTags', { tags: bad.join(', ') })));
    setBusy(true);
    try {
      const r = await post<{ device: DeviceView; secret: string; serverPublicKey?: string }>('/api/v1/devices', { id: devId, name: name.trim(), kind, areaCode: area, ...(tagList.length ? { tags: tagList } : {}) });
      let serverPublicKey = r.serverPublicKey ?? '';
      if (!serverPublicKey) serverPublicKey = (await get<{ publicKey: string }>('/api/v1/signing-key').catch(() => ({ publicKey: '' }))).publicKey;
      // Shown before anything else can fail: the secret exists now and is never shown again.
      setDone({ deviceId: r.device.id, secret: r.secret, serverPublicKey, kind });
      if (kind === 'board' && profileId) {
        try {
          await patch(`/api/v1/devices/${encodeURIComponent(r.device.id)}`, { profileId });
        } catch (err) {
          setWarn(t('profileFailed', { msg: err instanceof Error ? err.message : String(err) }));
        }
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const reset = () => {
    setDone(null);
    setWarn(null);
    setId('');
    setName('');
    setTags('');
  };

  if (done) {
    return (
      <div>
        <p class="ok" role="status" style={{ fontWeight: 600 }}>
          ✓ {t('registered', { id: done.deviceId })}
        </p>
        {warn ? <p class="error">{warn}</p> : null}
        <SecretPanel title={t('registered', { id: done.deviceId })} deviceId={done.deviceId} secret={done.secret} serverPublicKey={done.serverPublicKey} deviceKind={done.kind} />
        <div class="row" style={{ marginBottom: '1rem' }}>
          <button type="button" class="primary" onClick={reset} data-testid="device-register-another">
            + {t('another')}
          </button>
        </div>
      </div>
    );
  }

  return (
    <form class="card form" onSubmit={(e) => void submit(e)} data-testid="device-register-form">
      <h2>{t('oneTitle')}</h2>
      <div class="row" style={{ alignItems: 'flex-start' }}>
        <Field label={t('id')} hint={t('idHint')}>
          <input required autoComplete="off" value={id} pattern="[a-z0-9][a-z0-9_\-]{1,63}" onInput={(e) => setId((e.target as HTMLInputElement).value.toLowerCase())} data-testid="device-register-id" />
        </Field>
        <Field label={t('name')}>
          <input required maxLength={200} value={name} placeholder={t('namePh')} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="device-register-name" />
        </Field>
      </div>
      <div class="row">
        <Field label={c('kind')}>
          <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as 'speaker' | 'board')} data-testid="device-register-kind">
            <option value="speaker">{c('speaker')}</option>
            <option value="board">{c('board')}</option>
          </select>
        </Field>
        <Field label={c('area')}>
          <AreaSelectWithPrompt value={area} onChange={setArea} />
        </Field>
      </div>
      <div class="row" style={{ alignItems: 'flex-start' }}>
        <Field label={t('tags')} hint={t('tagsHint')}>
          <input value={tags} autoComplete="off" onInput={(e) => setTags((e.target as HTMLInputElement).value)} data-testid="device-register-tags" />
        </Field>
        {kind === 'board' ? (
          <Field label={t('profile')}>
            <select value={profileId} onChange={(e) => setProfileId((e.target as HTMLSelectElement).value)} data-testid="device-register-profile">
              <option value="">{t('noProfile')}</option>
              {(profiles.data ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.width}×{p.height})
                </option>
              ))}
            </select>
          </Field>
        ) : null}
      </div>
      <ErrorBox error={error} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy} data-testid="device-register-submit">
          {busy ? c('loading') : t('register')}
        </button>
      </div>
    </form>
  );
}

/** An area select whose first choice is a prompt, so nobody registers a device into the first area by accident. */
function AreaSelectWithPrompt({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const t = useT(S);
  return <AreaPicker value={value} onChange={onChange} placeholder={`— ${t('pickArea')} —`} testid="device-register-area" />;
}

/** Server messages look like "row 3: id: …" or "header: …". */
const lineOf = (msg: string): { line: string; text: string } => {
  const m = /^(row (\d+)|header|line (\d+))\s*:\s*(.*)$/s.exec(msg);
  if (!m) return { line: '—', text: msg };
  return { line: m[2] ?? m[3] ?? '1', text: m[4] ?? msg };
};

function ImportCsv() {
  const t = useT(S);
  const c = useCommon();
  const [text, setText] = useState('');
  const [fileKey, setFileKey] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [lineErrors, setLineErrors] = useState<string[] | null>(null);
  const [result, setResult] = useState<{ csv: string; count: number; name: string } | null>(null);
  const [downloaded, setDownloaded] = useState(false);

  const onFile = async (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    setError(null);
    setLineErrors(null);
    try {
      const buf = await file.arrayBuffer();
      setText(new TextDecoder('utf-8', { fatal: true }).decode(buf).replace(/^\uFEFF/, ''));
    } catch {
      setError(new Error(t('notUtf8')));
    }
  };

  const run = async () => {
    setBusy(true);
    setError(null);
    setLineErrors(null);
    try {
      const csv = await api<string>('POST', '/api/v1/devices/import', { raw: text, contentType: 'text/csv; charset=utf-8', query: { format: 'csv' } });
      const body = typeof csv === 'string' ? csv : String(csv);
      const count = body.split(/\r?\n/).filter((l) => l.trim()).length - 1;
      const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
      setResult({ csv: body, count, name: `loa-thiet-bi-ma-bi-mat-${stamp}.csv` });
      setDownloaded(false);
      setText('');
      setFileKey((k) => k + 1);
    } catch (err) {
      const list = err instanceof ApiError && err.body && typeof err.body === 'object' ? (err.body as { errors?: unknown }).errors : undefined;
      if (Array.isArray(list) && list.length) setLineErrors(list.map(String));
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const lineCount = text ? text.split(/\r?\n/).filter((l) => l.trim() !== '').length : 0;
  return (
    <div class="card" data-testid="devices-import">
      <h2>{t('csvTitle')}</h2>
      <p class="small" style={{ margin: '0 0 .5rem' }}>
        {t('csvIntro')}
      </p>
      <pre class="small" style={{ background: '#f8fafb', border: '1px solid var(--line)', borderRadius: 'var(--radius)', padding: '.5rem', overflowX: 'auto', margin: '0 0 .5rem' }}>{SAMPLE.trim()}</pre>
      <div class="row" style={{ marginBottom: '.75rem' }}>
        <button type="button" onClick={() => saveText('thiet-bi-mau.csv', SAMPLE)}>
          ⬇ {t('sample')}
        </button>
      </div>
      <label class="field">
        <span class="field-label">{t('file')}</span>
        <input key={fileKey} type="file" accept=".csv,text/csv,text/plain" onChange={(e) => void onFile(e)} data-testid="devices-import-file" />
      </label>
      <label class="field">
        <span class="field-label">
          {t('paste')}
          {lineCount > 0 ? <span class="muted"> · {t('lines', { n: lineCount })}</span> : null}
        </span>
        <textarea
          rows={6}
          spellcheck={false}
          value={text}
          placeholder={'id,name,kind,areaCode,tags\n…'}
          style={{ fontSize: '.9rem', whiteSpace: 'pre', overflowX: 'auto' }}
          onInput={(e) => {
            setText((e.target as HTMLTextAreaElement).value);
            setLineErrors(null);
            setError(null);
          }}
          data-testid="devices-import-text"
        />
      </label>
      <div class="row">
        <button type="button" class="primary" disabled={busy || !text.trim()} onClick={() => void run()} data-testid="devices-import-submit">
          {busy ? c('loading') : t('import')}
        </button>
        <button
          type="button"
          class="ghost"
          disabled={busy || !text}
          onClick={() => {
            setText('');
            setFileKey((k) => k + 1);
            setLineErrors(null);
            setError(null);
          }}
        >
          {t('clear')}
        </button>
      </div>
      <ErrorBox error={error} />
      {lineErrors ? (
        <div style={{ marginTop: '.75rem' }} data-testid="devices-import-errors">
          <p class="error" role="alert">
            {t('errorsTitle')}
          </p>
          <div class="table-wrap" style={{ maxHeight: '22rem', overflowY: 'auto' }}>
            <table>
              <thead>
                <tr>
                  <th>{t('line')}</th>
                  <th>{t('problem')}</th>
                </tr>
              </thead>
              <tbody>
                {lineErrors.map((m, i) => {
                  const x = lineOf(m);
                  return (
                    <tr key={i} data-testid="devices-import-error" data-line={x.line}>
                      <td>{x.line}</td>
                      <td class="wrap">{x.text}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </div>
      ) : null}
      {result ? (
        <div style={{ marginTop: '.75rem' }} data-testid="devices-import-result" data-count={result.count}>
          <p class="ok" style={{ fontWeight: 600, margin: '0 0 .5rem' }}>
            ✓ {t('imported', { n: result.count })}
          </p>
          <OnceWarning>{t('csvOnce')}</OnceWarning>
          <div class="row">
            <button
              type="button"
              class="primary"
              data-testid="devices-import-download"
              onClick={() => {
                saveText(result.name, result.csv);
                setDownloaded(true);
              }}
            >
              ⬇ {t('download')}
            </button>
            {downloaded ? <span class="muted small">{t('downloaded')}</span> : null}
          </div>
        </div>
      ) : null}
    </div>
  );
}
