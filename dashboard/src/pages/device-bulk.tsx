import { useEffect, useRef, useState } from 'preact/hooks';
import { api, get } from '../api.js';
import { fmtAgo } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href, navigate } from '../router.js';
import type { CommandCreated, CommandDetail, DeviceListItem } from '@loa/shared/rest';
import { Badge, ErrorBox, OnlineBadge } from '../ui.js';
import { fmtInstant, type CommandResultEvent } from './device-common.js';

/**
 * Issue 19, the device list on a phone and bulk commands. Cards (offline and never-connected first, with a hint for a
 * device that never connected) replace the table at phone width; on any width devices can be selected and sent one
 * command together. The commands API takes one target per command ({deviceId} | {groupId} | {areaCode}), so a
 * selection is sent as one command per device, and each device's answer shows as it arrives (live `command.result`,
 * with a poll as a fallback).
 */

const S = defineStrings({
  vi: {
    never: 'Chưa từng kết nối — kiểm tra nguồn điện, SIM và mã đăng ký',
    offlineFor: 'Mất kết nối {ago}',
    lastSeen: 'Liên lạc {ago}',
    select: 'Chọn {name}',
    selectAll: 'Chọn tất cả {n} thiết bị đang hiển thị',
    selected: 'Đã chọn {n} thiết bị',
    clearSel: 'Bỏ chọn',
    command: 'Lệnh',
    cmd_setVolume: 'Đặt âm lượng',
    cmd_stop: 'Dừng phát',
    cmd_selfTest: 'Tự kiểm tra',
    cmd_resync: 'Đồng bộ lại lịch',
    cmd_restart: 'Khởi động lại',
    level: 'Âm lượng (0–100)',
    send: 'Gửi lệnh tới {n} thiết bị',
    sending: 'Đang gửi…',
    results: 'Kết quả lệnh "{cmd}"',
    doneN: '{done}/{n} thiết bị đã trả lời',
    state_queued: 'Đang chờ',
    state_sent: 'Đã gửi',
    state_ok: 'Thành công',
    state_error: 'Lỗi',
    state_rejected: 'Bị từ chối',
    state_expired: 'Hết hạn',
    alarms: '{n} cảnh báo',
  },
  en: {
    never: 'Never connected — check power, SIM and the registration code',
    offlineFor: 'Offline {ago}',
    lastSeen: 'Seen {ago}',
    select: 'Select {name}',
    selectAll: 'Select all {n} devices shown',
    selected: '{n} device(s) selected',
    clearSel: 'Clear selection',
    command: 'Command',
    cmd_setVolume: 'Set volume',
    cmd_stop: 'Stop playing',
    cmd_selfTest: 'Self-test',
    cmd_resync: 'Resync schedule',
    cmd_restart: 'Restart',
    level: 'Volume (0–100)',
    send: 'Send to {n} device(s)',
    sending: 'Sending…',
    results: 'Results of "{cmd}"',
    doneN: '{done}/{n} devices answered',
    state_queued: 'Queued',
    state_sent: 'Sent',
    state_ok: 'OK',
    state_error: 'Error',
    state_rejected: 'Rejected',
    state_expired: 'Expired',
    alarms: '{n} alarm(s)',
  },
});

const BULK_COMMANDS = ['setVolume', 'stop', 'selfTest', 'resync', 'restart'] as const;
type BulkCommand = (typeof BULK_COMMANDS)[number];
const FINAL = new Set(['ok', 'error', 'rejected', 'expired']);
/** Commands sent at once; a province-wide selection goes out in batches so the server's queue is not flooded. */
const PARALLEL = 6;

/** Whether the screen is phone-sized, following resizes (the list renders cards or the table, not both). */
export function usePhone(): boolean {
  const q = typeof window === 'undefined' ? null : window.matchMedia('(max-width: 760px)');
  const [phone, setPhone] = useState(q?.matches ?? false);
  useEffect(() => {
    if (!q) return;
    const on = () => setPhone(q.matches);
    q.addEventListener('change', on);
    return () => q.removeEventListener('change', on);
  }, []);
  return phone;
}

/** Never connected first, then offline, then online; within each, the server's order. */
export function offlineFirst(items: readonly DeviceListItem[]): DeviceListItem[] {
  const rank = (d: DeviceListItem) => (d.lastSeenAt === null ? 0 : d.online ? 2 : 1);
  return items.map((d, i) => ({ d, i })).sort((a, b) => rank(a.d) - rank(b.d) || a.i - b.i).map((x) => x.d);
}

/** The devices as cards (phone). `selectable`: with a checkbox each for the bulk bar. */
export function DeviceCards({ items, areaOf, selected, onToggle, selectable }: { items: readonly DeviceListItem[]; areaOf: (code: string) => string; selected: ReadonlySet<string>; onToggle: (id: string) => void; selectable: boolean }) {
  const t = useT(S);
  const c = useCommon();
  return (
    <div data-testid="device-cards" style={{ display: 'flex', flexDirection: 'column', gap: '.5rem' }}>
      {offlineFirst(items).map((d) => {
        const never = d.lastSeenAt === null;
        return (
          <div
            key={d.id}
            class="card"
            data-testid="device-row"
            data-view="card"
            data-device-id={d.id}
            data-online={String(d.online)}
            data-never={String(never)}
            style={{ margin: 0, padding: '.6rem .7rem', borderLeft: `4px solid ${d.online ? 'var(--ok)' : never ? 'var(--warn)' : 'var(--bad)'}`, cursor: 'pointer' }}
            onClick={() => navigate(`/device/${encodeURIComponent(d.id)}`)}
          >
            <div class="row" style={{ alignItems: 'center', gap: '.5rem', flexWrap: 'nowrap' }}>
              {selectable ? (
                <input
                  type="checkbox"
                  data-testid="device-select"
                  data-device-id={d.id}
                  aria-label={t('select', { name: d.name })}
                  checked={selected.has(d.id)}
                  style={{ width: '1.4rem', height: '1.4rem', flex: '0 0 auto' }}
                  onClick={(e) => e.stopPropagation()}
                  onChange={() => onToggle(d.id)}
                />
              ) : null}
              <div style={{ flex: '1 1 auto', minWidth: 0 }}>
                <a href={href(`/device/${encodeURIComponent(d.id)}`)} onClick={(e) => e.stopPropagation()} style={{ fontWeight: 600 }}>
                  {d.name}
                </a>
                <div class="muted small" style={{ overflowWrap: 'anywhere' }}>
                  {d.id} · {areaOf(d.areaCode)}
                </div>
              </div>
              <div style={{ flex: '0 0 auto', textAlign: 'right' }}>
                <OnlineBadge online={d.online} />
                {d.activeAlarms ? (
                  <div>
                    <Badge tone="warn">{t('alarms', { n: d.activeAlarms })}</Badge>
                  </div>
                ) : null}
              </div>
            </div>
            {never ? (
              <p class="small" data-testid="never-hint" style={{ margin: '.35rem 0 0', color: '#7a4700' }}>
                ⚠ {t('never')}
              </p>
            ) : (
              <p class="muted small" style={{ margin: '.3rem 0 0' }} title={fmtInstant(d.lastSeenAt)}>
                {d.online ? t('lastSeen', { ago: fmtAgo(d.lastSeenAt!) }) : t('offlineFor', { ago: d.presenceChangedAt ? fmtAgo(d.presenceChangedAt) : fmtAgo(d.lastSeenAt!) })}
                {d.kind === 'board' ? ` · ${c('board')}` : ` · ${c('speaker')}`}
              </p>
            )}
          </div>
        );
      })}
    </div>
  );
}

/** The checkbox cell of a table row (desktop). */
export function SelectCell({ id, name, selected, onToggle }: { id: string; name: string; selected: boolean; onToggle: (id: string) => void }) {
  const t = useT(S);
  return (
    <td onClick={(e) => e.stopPropagation()} style={{ width: '2rem' }}>
      <input type="checkbox" data-testid="device-select" data-device-id={id} aria-label={t('select', { name })} checked={selected} onChange={() => onToggle(id)} />
    </td>
  );
}

/** "Select all shown" checkbox (header cell on a desktop, a line above the cards on a phone). */
export function SelectAll({ ids, selected, onSet }: { ids: readonly string[]; selected: ReadonlySet<string>; onSet: (ids: string[]) => void }) {
  const t = useT(S);
  const all = ids.length > 0 && ids.every((id) => selected.has(id));
  return (
    <label class="row" style={{ alignItems: 'center', gap: '.35rem', display: 'inline-flex' }}>
      <input type="checkbox" data-testid="device-select-all" checked={all} aria-label={t('selectAll', { n: ids.length })} onChange={() => onSet(all ? [] : [...ids])} />
      <span class="small">{t('selectAll', { n: ids.length })}</span>
    </label>
  );
}

interface Sent {
  label: string;
  /** deviceId → commandId */
  commands: Map<string, string>;
  /** deviceId → state */
  states: Map<string, string>;
  messages: Map<string, string>;
  errors: Map<string, string>;
}

/** The bar shown while devices are selected: pick a command, send it to each, watch the answers arrive. */
export function BulkBar({ selected, names, onClear }: { selected: readonly string[]; names: ReadonlyMap<string, string>; onClear: () => void }) {
  const t = useT(S);
  const [cmd, setCmd] = useState<BulkCommand>('setVolume');
  const [level, setLevel] = useState(60);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState<Sent | null>(null);

  const update = (deviceId: string, commandId: string, state: string, message?: string | null) =>
    setSent((prev) => {
      if (!prev || prev.commands.get(deviceId) !== commandId || prev.states.get(deviceId) === state) return prev;
      const states = new Map(prev.states).set(deviceId, state);
      const messages = message ? new Map(prev.messages).set(deviceId, message) : prev.messages;
      return { ...prev, states, messages };
    });
  useLive('command.result', (raw) => {
    const e = raw as unknown as CommandResultEvent;
    update(e.deviceId, e.commandId, e.status, e.result?.message ?? null);
  });
  // Fallback for answers the live channel missed (reconnects): ask each open command now and then until all are final.
  useEffect(() => {
    if (!sent) return;
    const open = [...sent.commands.entries()].filter(([d]) => !FINAL.has(sent.states.get(d) ?? 'queued'));
    if (open.length === 0) return;
    const timer = setTimeout(() => {
      for (const [deviceId, commandId] of open.slice(0, 20)) {
        void get<CommandDetail>(`/api/v1/commands/${encodeURIComponent(commandId)}`).then(
          (d) => {
            const r = d.results.items.find((x) => x.deviceId === deviceId);
            if (r) update(deviceId, commandId, r.state, r.message);
          },
          () => undefined,
        );
      }
    }, 2000);
    return () => clearTimeout(timer);
  }, [sent]);

  const send = async () => {
    setBusy(true);
    setError(null);
    const command = cmd === 'setVolume' ? { type: 'setVolume', volume: Math.max(0, Math.min(100, Math.round(level))) } : { type: cmd };
    const label = cmd === 'setVolume' ? `${t('cmd_setVolume')} ${command.volume as number}` : t(`cmd_${cmd}`);
    const next: Sent = { label, commands: new Map(), states: new Map(), messages: new Map(), errors: new Map() };
    setSent(next);
    try {
      const queue = [...selected];
      const worker = async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          try {
            const r = await api<CommandCreated>('POST', '/api/v1/commands', { body: { command, target: { deviceId: id } } });
            const deviceId = id;
            setSent((prev) => (prev ? { ...prev, commands: new Map(prev.commands).set(deviceId, r.id), states: new Map(prev.states).set(deviceId, prev.states.get(deviceId) ?? 'queued') } : prev));
          } catch (e) {
            const deviceId = id;
            setSent((prev) => (prev ? { ...prev, errors: new Map(prev.errors).set(deviceId, e instanceof Error ? e.message : String(e)) } : prev));
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, selected.length) }, worker));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const done = sent ? selected.filter((d) => FINAL.has(sent.states.get(d) ?? '') || sent.errors.has(d)).length : 0;
  return (
    <section class="card" data-testid="bulk-bar" style={{ position: 'sticky', bottom: 0, zIndex: 4, boxShadow: '0 -4px 10px rgba(0,0,0,.08)' }}>
      <div class="row" style={{ alignItems: 'flex-end', gap: '.5rem' }}>
        <strong data-testid="bulk-count" data-count={selected.length}>
          {t('selected', { n: selected.length })}
        </strong>
        <button type="button" class="ghost" onClick={onClear}>
          {t('clearSel')}
        </button>
        <label class="field" style={{ marginBottom: 0 }}>
          <span class="field-label">{t('command')}</span>
          <select data-testid="bulk-command" value={cmd} onChange={(e) => setCmd((e.target as HTMLSelectElement).value as BulkCommand)}>
            {BULK_COMMANDS.map((k) => (
              <option key={k} value={k}>
                {t(`cmd_${k}`)}
              </option>
            ))}
          </select>
        </label>
        {cmd === 'setVolume' ? (
          <label class="field" style={{ marginBottom: 0 }}>
            <span class="field-label">{t('level')}</span>
            <input type="number" inputMode="numeric" min={0} max={100} data-testid="bulk-volume" value={level} style={{ width: '6rem' }} onInput={(e) => setLevel(Number((e.target as HTMLInputElement).value) || 0)} />
          </label>
        ) : null}
        <button type="button" class="primary" data-testid="bulk-send" disabled={busy || selected.length === 0} onClick={() => void send()}>
          {busy ? t('sending') : t('send', { n: selected.length })}
        </button>
      </div>
      <ErrorBox error={error} />
      {sent ? (
        <div data-testid="bulk-results" style={{ marginTop: '.5rem' }}>
          <p class="small" style={{ margin: '0 0 .25rem' }}>
            <strong>{t('results', { cmd: sent.label })}</strong> · <span data-testid="bulk-done" data-done={done}>{t('doneN', { done, n: selected.length })}</span>
          </p>
          <ul class="small" style={{ margin: 0, paddingLeft: '1.1rem', maxHeight: '10rem', overflowY: 'auto' }}>
            {selected.map((id) => {
              const err = sent.errors.get(id);
              const state = err ? 'error' : (sent.states.get(id) ?? 'queued');
              return (
                <li key={id} data-testid="bulk-result" data-device-id={id} data-state={state}>
                  {names.get(id) ?? id}: <Badge tone={state === 'ok' ? 'ok' : FINAL.has(state) ? 'bad' : 'muted'}>{t(`state_${state}` as 'state_ok')}</Badge> {err ?? sent.messages.get(id) ?? ''}
                </li>
              );
            })}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
