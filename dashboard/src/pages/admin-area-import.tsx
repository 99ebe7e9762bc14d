import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { Badge, ErrorBox } from '../ui.js';
import type { AreaImportResult } from '@loa/shared/rest';

/** POST /api/v1/areas/import */
type ImportResult = AreaImportResult;

/** A bad row as the server names it (400/403 `{message, errors: [{line, code, message}]}`). */
interface LineError {
  line: number;
  code: string | null;
  message: string;
}

const errorsOf = (err: unknown): LineError[] => {
  if (!(err instanceof ApiError) || !err.body || typeof err.body !== 'object') return [];
  const list = (err.body as { errors?: unknown }).errors;
  return Array.isArray(list) ? (list as LineError[]) : [];
};

const SAMPLE = [
  'ma,ten,cap,ma_cha',
  '01,Thành phố Hà Nội,Thành phố trực thuộc trung ương,',
  '271,Huyện Ba Vì,Huyện,01',
  '09955,Thị trấn Tây Đằng,Thị trấn,271',
  '09958,Xã Phú Cường,Xã,271',
  '00004,Phường Ba Đình,Phường,01',
  '00008,Phường Ngọc Hà,Phường,01',
  '',
].join('\r\n');

const S = defineStrings({
  vi: {
    title: 'Nhập cây địa bàn từ tệp CSV',
    intro: 'Mỗi dòng là một đơn vị hành chính. Dòng đầu là tiêu đề cột:',
    or: 'hoặc',
    rules: 'Phân cách bằng dấu phẩy hoặc dấu chấm phẩy, mã hóa UTF-8 (Excel: "CSV UTF-8"). Cấp: tỉnh/thành phố, huyện/quận/thị xã, xã/phường/thị trấn/đặc khu, thôn/tổ dân phố (hoặc province, district, commune, village). Mã cha để trống với cấp tỉnh. Đơn vị cha có thể nằm sẵn trong hệ thống hoặc trong cùng tệp.',
    sample: 'Tải tệp mẫu',
    file: 'Chọn tệp CSV',
    paste: 'Hoặc dán nội dung CSV',
    allowMove: 'Cho phép chuyển địa bàn đã có sang đơn vị cha khác (thiết bị giữ nguyên địa bàn của mình)',
    check: 'Kiểm tra',
    run: 'Nhập',
    clear: 'Xóa',
    notUtf8: 'Tệp không phải UTF-8. Trong Excel hãy lưu bằng "CSV UTF-8 (phân cách bằng dấu phẩy)" rồi chọn lại.',
    empty: 'Chưa có nội dung CSV',
    lines: '{n} dòng',
    checked: 'Kiểm tra xong, chưa ghi gì vào hệ thống. Nếu nhập tệp này:',
    imported: 'Đã nhập cây địa bàn:',
    created: 'Tạo mới',
    updated: 'Cập nhật',
    unchanged: 'Giữ nguyên',
    moved: 'Chuyển đơn vị cha',
    codes: 'Xem danh sách mã',
    errorsTitle: 'Tệp có {n} dòng lỗi, chưa ghi gì vào hệ thống. Sửa các dòng sau rồi kiểm tra lại:',
    outside: 'Tệp chạm tới địa bàn ngoài phạm vi quản lý của bạn:',
    line: 'Dòng',
    code: 'Mã',
    problem: 'Lỗi',
    moveHint: 'Có địa bàn sẽ bị chuyển sang đơn vị cha khác. Nếu đúng ý bạn, đánh dấu "Cho phép chuyển địa bàn" rồi kiểm tra lại.',
    stale: 'Nội dung đã thay đổi sau lần kiểm tra.',
    readyToImport: 'Nhấn "Nhập" để ghi vào hệ thống.',
  },
  en: {
    title: 'Import the area tree from CSV',
    intro: 'One administrative unit per line. The first line names the columns:',
    or: 'or',
    rules: 'Comma or semicolon separated, UTF-8 (Excel: "CSV UTF-8"). Levels: province, district, commune, village (or the Vietnamese tỉnh, huyện, xã, thôn…). Leave the parent code empty for a province. A parent may already exist or come from the same file.',
    sample: 'Download a sample',
    file: 'Pick a CSV file',
    paste: 'Or paste CSV text',
    allowMove: 'Allow moving existing areas under another parent (devices keep their area)',
    check: 'Check',
    run: 'Import',
    clear: 'Clear',
    notUtf8: 'The file is not UTF-8. In Excel save it as "CSV UTF-8 (comma delimited)" and pick it again.',
    empty: 'No CSV yet',
    lines: '{n} lines',
    checked: 'Checked; nothing was written. Importing this file would give:',
    imported: 'Area tree imported:',
    created: 'Created',
    updated: 'Updated',
    unchanged: 'Unchanged',
    moved: 'Moved',
    codes: 'Show the codes',
    errorsTitle: 'The file has {n} bad lines; nothing was written. Fix these lines and check again:',
    outside: 'The file reaches outside your area:',
    line: 'Line',
    code: 'Code',
    problem: 'Problem',
    moveHint: 'Some areas would move under another parent. If that is intended, tick "Allow moving" and check again.',
    stale: 'The text changed since the last check.',
    readyToImport: 'Press "Import" to write it.',
  },
});

function saveSample(): void {
  const blob = new Blob(['\uFEFF', SAMPLE], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = 'dia-ban-mau.csv';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** File or pasted text → "Check" (dryRun) → counts or the bad lines → "Import". */
export function AreaImport({ onImported }: { onImported: (codes: string[]) => void }) {
  const t = useT(S);
  const c = useCommon();
  const [text, setText] = useState('');
  const [allowMove, setAllowMove] = useState(false);
  const [busy, setBusy] = useState<'check' | 'run' | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [lineErrors, setLineErrors] = useState<{ status: number; errors: LineError[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [checkedText, setCheckedText] = useState<string | null>(null);
  const [fileKey, setFileKey] = useState(0);

  const reset = () => {
    setResult(null);
    setLineErrors(null);
    setError(null);
  };

  const onFile = async (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    reset();
    try {
      const buf = await file.arrayBuffer();
      setText(new TextDecoder('utf-8', { fatal: true }).decode(buf).replace(/^\uFEFF/, ''));
    } catch {
      setError(new Error(t('notUtf8')));
    }
  };

  const send = async (dryRun: boolean) => {
    if (!text.trim()) return setError(new Error(t('empty')));
    reset();
    setBusy(dryRun ? 'check' : 'run');
    try {
      const r = await api<ImportResult>('POST', '/api/v1/areas/import', { raw: text, contentType: 'text/csv; charset=utf-8', query: { dryRun, allowMove } });
      setResult(r);
      setCheckedText(text);
      if (!dryRun) onImported([...r.codes.created, ...r.codes.moved, ...r.codes.updated]);
    } catch (err) {
      const errors = errorsOf(err);
      if (errors.length > 0) setLineErrors({ status: err instanceof ApiError ? err.status : 400, errors });
      else setError(err);
      setCheckedText(null);
    } finally {
      setBusy(null);
    }
  };

  const lineCount = text ? text.split(/\r?\n/).filter((l) => l.trim() !== '').length : 0;
  const needsMove = !allowMove && (lineErrors?.errors.some((e) => /allowMove/.test(e.message)) ?? false);
  const kinds = ['created', 'updated', 'unchanged', 'moved'] as const;
  return (
    <div class="card" data-testid="area-import">
      <h2>{t('title')}</h2>
      <p class="small" style={{ margin: '0 0 .4rem' }}>
        {t('intro')} <code>code,name,level,parentCode</code> {t('or')} <code>ma,ten,cap,ma_cha</code>
      </p>
      <p class="muted small" style={{ margin: '0 0 .6rem' }}>
        {t('rules')}
      </p>
      <pre class="small" style={{ fontFamily: 'inherit', background: '#f8fafb', border: '1px solid var(--line)', borderRadius: 'var(--radius)', padding: '.5rem', overflowX: 'auto', margin: '0 0 .5rem' }}>{SAMPLE.trim()}</pre>
      <div class="row" style={{ marginBottom: '.75rem' }}>
        <button type="button" onClick={saveSample} data-testid="area-import-sample">
          ⬇ {t('sample')}
        </button>
      </div>
      <label class="field">
        <span class="field-label">{t('file')}</span>
        <input key={fileKey} type="file" accept=".csv,text/csv,text/plain" onChange={(e) => void onFile(e)} data-testid="area-import-file" />
      </label>
      <label class="field">
        <span class="field-label">
          {t('paste')}
          {lineCount > 0 ? <span class="muted"> · {t('lines', { n: lineCount })}</span> : null}
        </span>
        <textarea
          rows={8}
          spellcheck={false}
          value={text}
          placeholder={'code,name,level,parentCode\n…'}
          style={{ fontSize: '.9rem', whiteSpace: 'pre', overflowX: 'auto' }}
          onInput={(e) => {
            setText((e.target as HTMLTextAreaElement).value);
            reset();
          }}
          data-testid="area-import-text"
        />
      </label>
      <label style={{ display: 'flex', gap: '.5rem', alignItems: 'flex-start', marginBottom: '.75rem' }}>
        <input type="checkbox" checked={allowMove} onChange={(e) => (setAllowMove((e.target as HTMLInputElement).checked), reset())} style={{ marginTop: '.25rem' }} data-testid="area-import-allow-move" />
        <span>{t('allowMove')}</span>
      </label>
      <div class="row">
        <button type="button" disabled={busy !== null || !text.trim()} onClick={() => void send(true)} data-testid="area-import-check">
          {busy === 'check' ? c('loading') : `✓ ${t('check')}`}
        </button>
        <button type="button" class="primary" disabled={busy !== null || !text.trim()} onClick={() => void send(false)} data-testid="area-import-run">
          {busy === 'run' ? c('loading') : t('run')}
        </button>
        <button
          type="button"
          class="ghost"
          disabled={busy !== null || (!text && !result && !lineErrors)}
          onClick={() => {
            setText('');
            setFileKey((k) => k + 1);
            setCheckedText(null);
            reset();
          }}
        >
          {t('clear')}
        </button>
      </div>
      <ErrorBox error={error} />
      {result ? (
        <div style={{ marginTop: '.75rem' }} data-testid="area-import-result" data-dry-run={result.dryRun ? 'true' : 'false'} data-created={result.created} data-updated={result.updated} data-unchanged={result.unchanged} data-moved={result.moved}>
          <p class={result.dryRun ? '' : 'ok'} style={{ margin: '0 0 .5rem', fontWeight: 600 }}>
            {result.dryRun ? t('checked') : t('imported')}
          </p>
          <div class="cards">
            {kinds.map((k) => (
              <div class="stat" key={k} data-kind={k}>
                <div class="value">{result[k]}</div>
                <div class="label">{t(k)}</div>
              </div>
            ))}
          </div>
          {result.dryRun && checkedText === text ? <p class="muted small">{t('readyToImport')}</p> : null}
          {kinds.some((k) => result.codes[k].length > 0 && k !== 'unchanged') ? (
            <details>
              <summary class="small">{t('codes')}</summary>
              {kinds
                .filter((k) => result.codes[k].length > 0)
                .map((k) => (
                  <p class="small" key={k} style={{ margin: '.3rem 0', wordBreak: 'break-word' }}>
                    <Badge tone={k === 'created' ? 'ok' : k === 'moved' ? 'warn' : k === 'updated' ? 'info' : 'muted'}>{t(k)}</Badge> {result.codes[k].join(', ')}
                  </p>
                ))}
            </details>
          ) : null}
        </div>
      ) : null}
      {lineErrors ? (
        <div style={{ marginTop: '.75rem' }} data-testid="area-import-errors">
          <p class="error" role="alert">
            {lineErrors.status === 403 ? t('outside') : t('errorsTitle', { n: lineErrors.errors.length })}
          </p>
          {needsMove ? <p class="small" style={{ color: 'var(--warn)' }}>{t('moveHint')}</p> : null}
          <div class="table-wrap" style={{ maxHeight: '22rem', overflowY: 'auto' }}>
            <table>
              <thead>
                <tr>
                  <th>{t('line')}</th>
                  <th>{t('code')}</th>
                  <th>{t('problem')}</th>
                </tr>
              </thead>
              <tbody>
                {lineErrors.errors.map((e) => (
                  <tr key={`${e.line}-${e.code ?? ''}`} data-testid="area-import-error" data-line={e.line}>
                    <td>{e.line}</td>
                    <td>{e.code ?? '—'}</td>
                    <td class="wrap">{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : null}
    </div>
  );
}
