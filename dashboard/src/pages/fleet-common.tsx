/**
 * Pieces shared by the fleet administration tabs: the once-shown secret box with a copy button, the agent command
 * line an installer pastes, a confirm dialog, a Blob download, and the view types of the fleet endpoints.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { ErrorBox, Modal, areaOptions, useAreas, useAsync } from '../ui.js';
import { DEVICE_ENDPOINTS_PATH, type BoardProfileView, type DeviceEndpoints, type SigningKeyResponse } from '@loa/shared/rest';

/** GET /api/v1/board-profiles */
export type BoardProfile = BoardProfileView;

/** GET /api/v1/signing-key (public). */
export type SigningKey = SigningKeyResponse;

const F = defineStrings({
  vi: {
    copy: 'Sao chép',
    copied: 'Đã sao chép',
    copyFailed: 'Không sao chép được: hãy bôi đen và sao chép thủ công',
    onceWarn: 'Mã bí mật chỉ hiển thị MỘT LẦN này. Hãy sao chép và cấu hình vào thiết bị ngay; đóng trang là không xem lại được (khi mất, chỉ có thể cấp mã mới).',
    secret: 'Mã bí mật của thiết bị',
    deviceId: 'Mã thiết bị',
    serverKey: 'Khóa công khai của máy chủ',
    command: 'Hoặc chạy thử từ dòng lệnh',
    commandHint: 'Mã bí mật nằm trong biến môi trường, không nằm trên dòng lệnh (ở đó mọi người dùng trên máy đều đọc được bằng ps).',
    envFile: 'Tệp cấu hình /etc/loa/agent.env của thiết bị',
    envHint: 'Lưu với quyền 0640 (root:loa-agent); dịch vụ systemd loa-agent đọc tệp này (xem deploy/README.md).',
    mqttUrl: 'Địa chỉ MQTT mà thiết bị kết nối',
    mqttFromListener: 'Theo cổng máy chủ đang nghe. Nếu thiết bị đi qua NAT hoặc proxy, hãy đặt LOA_PUBLIC_MQTT_URL và LOA_PUBLIC_HTTP_URL trên máy chủ.',
    mqttFromSetting: 'Theo cấu hình LOA_PUBLIC_MQTT_URL của máy chủ.',
    confirm: 'Xác nhận',
  },
  en: {
    copy: 'Copy',
    copied: 'Copied',
    copyFailed: 'Copy failed: select the text and copy it by hand',
    onceWarn: 'The secret is shown only THIS ONCE. Copy it into the device now; it cannot be shown again (if lost, only a new one can be issued).',
    secret: 'Device secret',
    deviceId: 'Device id',
    serverKey: 'Server public key',
    command: 'Or try it from a shell',
    commandHint: 'The secret goes in the environment, not on the command line, where every local user could read it with ps.',
    envFile: "The device's settings file /etc/loa/agent.env",
    envHint: 'Install it with mode 0640 (root:loa-agent); the loa-agent systemd unit reads it (see deploy/README.md).',
    mqttUrl: 'MQTT address the device connects to',
    mqttFromListener: 'The port the server listens on. If devices reach it through NAT or a proxy, set LOA_PUBLIC_MQTT_URL and LOA_PUBLIC_HTTP_URL on the server.',
    mqttFromSetting: "From the server's LOA_PUBLIC_MQTT_URL.",
    confirm: 'Confirm',
  },
});

export const useFleetWords = () => useT(F);

/** Clipboard API where allowed (HTTPS, localhost), else the old select-and-copy. */
export async function copyText(text: string): Promise<void> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
  } catch {
    // fall through to the textarea trick
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  const ok = document.execCommand('copy');
  ta.remove();
  if (!ok) throw new Error('copy');
}

export function CopyButton({ text, testid }: { text: string; testid?: string }) {
  const w = useT(F);
  const [state, setState] = useState<'idle' | 'ok' | 'fail'>('idle');
  return (
    <button
      type="button"
      data-testid={testid}
      title={state === 'fail' ? w('copyFailed') : undefined}
      onClick={() =>
        void copyText(text).then(
          () => setState('ok'),
          () => setState('fail'),
        )
      }
    >
      {state === 'ok' ? `✓ ${w('copied')}` : state === 'fail' ? `⚠ ${w('copy')}` : w('copy')}
    </button>
  );
}

const monoBox = {
  fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  fontSize: '.85rem',
  background: '#f8fafb',
  border: '1px solid var(--line)',
  borderRadius: 'var(--radius)',
  padding: '.45rem .6rem',
  wordBreak: 'break-all',
  whiteSpace: 'pre-wrap',
  margin: 0,
  flex: '1 1 14rem',
  minWidth: 0,
} as const;

/** A value in monospace with a copy button beside it. */
export function CopyField({ label, value, testid, copyTestid }: { label: string; value: string; testid?: string; copyTestid?: string }) {
  return (
    <div class="field">
      <span class="field-label">{label}</span>
      <div style={{ display: 'flex', gap: '.4rem', alignItems: 'flex-start', flexWrap: 'wrap' }}>
        <code style={monoBox} data-testid={testid}>
          {value}
        </code>
        <CopyButton text={value} testid={copyTestid} />
      </div>
    </div>
  );
}

export function OnceWarning({ children }: { children?: ComponentChildren }) {
  const w = useT(F);
  return (
    <p role="alert" style={{ background: '#fff4e0', border: '1px solid #f0c77a', color: '#6b3f00', borderRadius: 'var(--radius)', padding: '.5rem .75rem', margin: '0 0 .75rem', fontWeight: 600 }}>
      ⚠ {children ?? w('onceWarn')}
    </p>
  );
}

/** Shell quoting for the command line: single quotes, an inner ' as '\''. */
export const shq = (s: string): string => (/^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function useSigningKey() {
  return useAsync(() => get<SigningKey>('/api/v1/signing-key'), []);
}

export type AgentIdentity = { kind: 'identity'; deviceId: string; secret: string; serverPublicKey: string; deviceKind: string } | { kind: 'provisioning'; key: string; deviceKind: string; serverPublicKey: string | null };

/**
 * The agent's settings for this device as agent.env (first: the way to install it) and as a command line, with the
 * server's device-facing addresses (GET /api/v1/device-endpoints) and the MQTT address editable. Credentials (secret,
 * provisioning key) travel in the environment only: a flag is visible to every local user in `ps`.
 */
export function AgentCommand({ identity }: { identity: AgentIdentity }) {
  const c = useCommon();
  const endpoints = useAsync(() => get<DeviceEndpoints>(DEVICE_ENDPOINTS_PATH), []);
  if (!endpoints.data) return endpoints.error ? <ErrorBox error={endpoints.error} /> : <p class="muted small">{c('loading')}</p>;
  return <AgentSettings identity={identity} endpoints={endpoints.data} />;
}

function AgentSettings({ identity, endpoints }: { identity: AgentIdentity; endpoints: DeviceEndpoints }) {
  const w = useT(F);
  const [mqtt, setMqtt] = useState(endpoints.mqttUrl);
  const kind = identity.deviceKind === 'board' ? 'board' : 'speaker';
  const secrets: Array<[string, string]> = identity.kind === 'identity' ? [['LOA_AGENT_SECRET', identity.secret]] : [['LOA_AGENT_PROVISIONING_KEY', identity.key]];
  const flags: Array<[string, string, string]> = [
    ['--server-url', 'LOA_AGENT_SERVER_URL', endpoints.httpUrl],
    ['--mqtt-url', 'LOA_AGENT_MQTT_URL', mqtt],
  ];
  if (identity.kind === 'identity') flags.push(['--device-id', 'LOA_AGENT_DEVICE_ID', identity.deviceId], ['--server-public-key', 'LOA_AGENT_SERVER_PUBLIC_KEY', identity.serverPublicKey]);
  else if (identity.serverPublicKey) flags.push(['--server-public-key', 'LOA_AGENT_SERVER_PUBLIC_KEY', identity.serverPublicKey]);
  flags.push(['--kind', 'LOA_AGENT_KIND', kind]);
  if (kind === 'speaker') flags.push(['--audio-output', 'LOA_AGENT_AUDIO_OUTPUT', 'alsa:default']);
  flags.push(['--data-dir', 'LOA_AGENT_DATA_DIR', '/var/lib/loa-agent']);
  const envText = [...flags.map(([, k, v]): [string, string] => [k, v]), ...secrets].map(([k, v]) => `${k}=${v}`).join('\n');
  const cmd = [`${secrets.map(([k, v]) => `${k}=${shq(v)}`).join(' ')} node /opt/loa/agent/dist/cli.js`, ...flags.map(([f, , v]) => `${f}=${shq(v)}`)].join(' \\\n  ');
  return (
    <div>
      <label class="field">
        <span class="field-label">{w('mqttUrl')}</span>
        <input value={mqtt} onInput={(e) => setMqtt((e.target as HTMLInputElement).value)} data-testid="agent-mqtt-url" />
        <span class="field-hint">{endpoints.mqttUrlSource === 'setting' ? w('mqttFromSetting') : w('mqttFromListener')}</span>
      </label>
      <div class="field">
        <span class="field-label">{w('envFile')}</span>
        <pre style={{ ...monoBox, flex: 'none', overflowX: 'auto', wordBreak: 'normal', whiteSpace: 'pre' }} data-testid="agent-env">
          {envText}
        </pre>
        <div class="row" style={{ marginTop: '.3rem' }}>
          <CopyButton text={`${envText}\n`} testid="agent-env-copy" />
        </div>
        <span class="field-hint">{w('envHint')}</span>
      </div>
      <details>
        <summary class="small">{w('command')}</summary>
        <pre style={{ ...monoBox, flex: 'none', overflowX: 'auto', wordBreak: 'normal', whiteSpace: 'pre', marginTop: '.4rem' }} data-testid="agent-command">
          {cmd}
        </pre>
        <div class="row" style={{ marginTop: '.3rem' }}>
          <CopyButton text={cmd.replace(/ \\\n {2}/g, ' ')} testid="agent-command-copy" />
        </div>
        <span class="field-hint">{w('commandHint')}</span>
      </details>
    </div>
  );
}

/** The once-shown identity of a device: id, secret (copy), server key, and the command line. */
export function SecretPanel({ deviceId, secret, serverPublicKey, deviceKind, title, onClose }: { deviceId: string; secret: string; serverPublicKey: string; deviceKind: string; title: string; onClose?: () => void }) {
  const w = useT(F);
  const c = useCommon();
  return (
    <div class="card" data-testid="device-credentials-once" style={{ borderColor: '#f0c77a' }}>
      <h2>{title}</h2>
      <OnceWarning />
      <CopyField label={w('deviceId')} value={deviceId} />
      <CopyField label={w('secret')} value={secret} testid="device-secret" copyTestid="device-secret-copy" />
      <CopyField label={w('serverKey')} value={serverPublicKey} testid="server-public-key" />
      <AgentCommand identity={{ kind: 'identity', deviceId, secret, serverPublicKey, deviceKind }} />
      {onClose ? (
        <div class="row" style={{ marginTop: '.75rem' }}>
          <button type="button" onClick={onClose} data-testid="device-secret-done">
            {c('close')}
          </button>
        </div>
      ) : null}
    </div>
  );
}

/** Saves text as a file (UTF-8 with a BOM for CSV so Excel reads Vietnamese right). */
export function saveText(filename: string, text: string, mime = 'text/csv;charset=utf-8'): void {
  const parts: BlobPart[] = mime.startsWith('text/csv') ? ['\uFEFF', text] : [text];
  const url = URL.createObjectURL(new Blob(parts, { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A yes/no dialog for destructive actions; the action's error is shown in the dialog. */
export function ConfirmModal({ title, children, confirmLabel, danger, onConfirm, onClose, testid }: { title: string; children: ComponentChildren; confirmLabel?: string; danger?: boolean; onConfirm: () => Promise<unknown>; onClose: () => void; testid?: string }) {
  const w = useT(F);
  const c = useCommon();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <Modal title={title} onClose={onClose}>
      <div data-testid={testid}>
        {children}
        <ErrorBox error={error} />
        <div class="row" style={{ marginTop: '.75rem' }}>
          <button
            type="button"
            class={danger ? 'primary' : undefined}
            disabled={busy}
            data-testid="confirm-yes"
            onClick={() => {
              setBusy(true);
              setError(null);
              onConfirm().then(
                () => setBusy(false),
                (e: unknown) => {
                  setBusy(false);
                  setError(e);
                },
              );
            }}
          >
            {busy ? c('loading') : (confirmLabel ?? w('confirm'))}
          </button>
          <button type="button" onClick={onClose} data-testid="confirm-no">
            {c('cancel')}
          </button>
        </div>
      </div>
    </Modal>
  );
}

/** "a, b c;d" → ['a','b','c','d'] lower-cased; tags are checked like the server does. */
export const splitTags = (s: string): string[] => [...new Set(s.split(/[\s,;]+/).map((x) => x.trim().toLowerCase()).filter(Boolean))];
export const TAG_RE = /^[a-z0-9][a-z0-9_.:-]{0,63}$/;
export const DEVICE_ID_RE = /^[a-z0-9][a-z0-9_-]{1,63}$/;

/** Folds case and Vietnamese diacritics so "tay dang" finds "Tây Đằng". */
export const fold = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();

/** An area select with a prompt (or "none") as its first choice. */
export function AreaPicker({ value, onChange, placeholder, testid, optional }: { value: string; onChange: (code: string) => void; placeholder: string; testid?: string; optional?: boolean }) {
  const areas = useAreas();
  return (
    <select value={value} required={!optional} onChange={(e) => onChange((e.target as HTMLSelectElement).value)} data-testid={testid}>
      <option value="" disabled={!optional}>
        {placeholder}
      </option>
      {areaOptions(areas).map((o) => (
        <option key={o.code} value={o.code}>
          {o.label} ({o.code})
        </option>
      ))}
    </select>
  );
}
