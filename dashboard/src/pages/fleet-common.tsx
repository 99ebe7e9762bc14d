/**
 * Pieces shared by the fleet administration tabs: the once-shown secret box with a copy button, the agent command
 * line an installer pastes, a confirm dialog, a Blob download, and the view types of the fleet endpoints.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { ErrorBox, Modal, areaOptions, useAreas, useAsync } from '../ui.js';

/** GET /api/v1/board-profiles (server/src/board-profiles/board-profiles.service.ts). */
export interface BoardProfile {
  id: string;
  name: string;
  width: number;
  height: number;
  orientation: 'landscape' | 'portrait';
  createdAt: string;
  updatedAt: string | null;
}

/** GET /api/v1/signing-key (public). */
export interface SigningKey {
  alg: string;
  kid: string;
  publicKey: string;
}

const F = defineStrings({
  vi: {
    copy: 'Sao chép',
    copied: 'Đã sao chép',
    copyFailed: 'Không sao chép được: hãy bôi đen và sao chép thủ công',
    onceWarn: 'Mã bí mật chỉ hiển thị MỘT LẦN này. Hãy sao chép và cấu hình vào thiết bị ngay; đóng trang là không xem lại được (khi mất, chỉ có thể cấp mã mới).',
    secret: 'Mã bí mật của thiết bị',
    deviceId: 'Mã thiết bị',
    serverKey: 'Khóa công khai của máy chủ',
    command: 'Lệnh chạy phần mềm thiết bị (agent)',
    commandHint: 'Dán vào máy điều khiển cụm loa / bảng tin. Giữ dấu "=" trong --secret=… vì mã bí mật có thể bắt đầu bằng dấu "-".',
    envFile: 'Hoặc tệp cấu hình /etc/loa/agent.env',
    mqttUrl: 'Địa chỉ MQTT mà thiết bị kết nối',
    mqttHint: 'Cổng MQTT của máy chủ (LOA_MQTT_PORT, mặc định 1883); dùng mqtts:// khi qua Internet.',
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
    command: 'Agent command line',
    commandHint: 'Paste it on the loudspeaker controller / e-board. Keep the "=" in --secret=…: a secret may start with "-".',
    envFile: 'Or the settings file /etc/loa/agent.env',
    mqttUrl: 'MQTT address the device connects to',
    mqttHint: "The server's MQTT port (LOA_MQTT_PORT, default 1883); use mqtts:// across the Internet.",
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

const MQTT_KEY = 'loa.fleet.mqttUrl';
const defaultMqtt = (): string => {
  try {
    const saved = localStorage.getItem(MQTT_KEY);
    if (saved) return saved;
  } catch {
    // private mode
  }
  return `mqtt://${location.hostname || 'localhost'}:1883`;
};

export function useSigningKey() {
  return useAsync(() => get<SigningKey>('/api/v1/signing-key'), []);
}

export type AgentIdentity = { kind: 'identity'; deviceId: string; secret: string; serverPublicKey: string; deviceKind: string } | { kind: 'provisioning'; key: string; deviceKind: string; serverPublicKey: string | null };

/** The agent's settings for this device as a command line and as agent.env, with the MQTT address editable. */
export function AgentCommand({ identity }: { identity: AgentIdentity }) {
  const w = useT(F);
  const [mqtt, setMqtt] = useState(defaultMqtt);
  const serverUrl = location.origin;
  const kind = identity.deviceKind === 'board' ? 'board' : 'speaker';
  const flags: Array<[string, string]> = [
    ['--server-url', serverUrl],
    ['--mqtt-url', mqtt],
  ];
  const env: Array<[string, string]> = [
    ['LOA_AGENT_SERVER_URL', serverUrl],
    ['LOA_AGENT_MQTT_URL', mqtt],
  ];
  if (identity.kind === 'identity') {
    flags.push(['--device-id', identity.deviceId], ['--secret', identity.secret], ['--server-public-key', identity.serverPublicKey]);
    env.push(['LOA_AGENT_DEVICE_ID', identity.deviceId], ['LOA_AGENT_SECRET', identity.secret], ['LOA_AGENT_SERVER_PUBLIC_KEY', identity.serverPublicKey]);
  } else {
    flags.push(['--provisioning-key', identity.key]);
    env.push(['LOA_AGENT_PROVISIONING_KEY', identity.key]);
    if (identity.serverPublicKey) {
      flags.push(['--server-public-key', identity.serverPublicKey]);
      env.push(['LOA_AGENT_SERVER_PUBLIC_KEY', identity.serverPublicKey]);
    }
  }
  flags.push(['--kind', kind]);
  env.push(['LOA_AGENT_KIND', kind]);
  if (kind === 'speaker') {
    flags.push(['--audio-output', 'alsa:default']);
    env.push(['LOA_AGENT_AUDIO_OUTPUT', 'alsa:default']);
  }
  flags.push(['--data-dir', '/var/lib/loa-agent']);
  env.push(['LOA_AGENT_DATA_DIR', '/var/lib/loa-agent']);
  const cmd = ['node /opt/loa/agent/dist/cli.js', ...flags.map(([f, v]) => `${f}=${shq(v)}`)].join(' \\\n  ');
  const envText = env.map(([k, v]) => `${k}=${v}`).join('\n');
  return (
    <div>
      <label class="field">
        <span class="field-label">{w('mqttUrl')}</span>
        <input
          value={mqtt}
          onInput={(e) => {
            const v = (e.target as HTMLInputElement).value;
            setMqtt(v);
            try {
              localStorage.setItem(MQTT_KEY, v);
            } catch {
              // private mode
            }
          }}
          data-testid="agent-mqtt-url"
        />
        <span class="field-hint">{w('mqttHint')}</span>
      </label>
      <div class="field">
        <span class="field-label">{w('command')}</span>
        <pre style={{ ...monoBox, flex: 'none', overflowX: 'auto', wordBreak: 'normal', whiteSpace: 'pre' }} data-testid="agent-command">
          {cmd}
        </pre>
        <div class="row" style={{ marginTop: '.3rem' }}>
          <CopyButton text={cmd.replace(/ \\\n {2}/g, ' ')} testid="agent-command-copy" />
        </div>
        <span class="field-hint">{w('commandHint')}</span>
      </div>
      <details>
        <summary class="small">{w('envFile')}</summary>
        <pre style={{ ...monoBox, flex: 'none', overflowX: 'auto', wordBreak: 'normal', whiteSpace: 'pre', marginTop: '.4rem' }}>{envText}</pre>
        <div class="row" style={{ marginTop: '.3rem' }}>
          <CopyButton text={`${envText}\n`} />
        </div>
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
