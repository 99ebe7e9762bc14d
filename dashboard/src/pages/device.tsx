import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { get, post } from '../api.js';
import { fmtAgo, fmtBytes, fmtDateTime } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href } from '../router.js';
import type { AlarmView, ContentView, DeviceView } from '@loa/shared/rest';
import { ActionButton, Badge, ErrorBox, Loading, Modal, OnlineBadge, PageHeader, areaName, useAreas, useAsync } from '../ui.js';
import {
  COMMAND_FINAL,
  VolumeText,
  commandTone,
  mayCommand,
  mayReadCommands,
  scheduleOfOccurrence,
  useDevLabels,
  withPresence,
  withTelemetry,
  type AlarmEvent,
  type CommandResultEvent,
  type PresenceEvent,
  type TelemetryEvent,
} from './device-common.js';
import { DeviceDeliveries } from './device-deliveries.js';
import { Notice } from '../components/notice.js';
import { TelemetryCharts } from './device-telemetry.js';
import { can } from '../capabilities.js';
import { OfficerSpeakerTests } from './commune-speakers.js';
import { FanoutProgress } from './fanout-progress.js';
import { DeviceLocationCard } from './device-location.js';
import { VirtualDevicePanel } from '../components/virtual-device-panel.js';
import type { CommandCreated, CommandDetail, CommandResultView, ConnectionView, DeviceCommandView, FanoutView, Page } from '@loa/shared/rest';


const S = defineStrings({
  vi: {
    back: '← Danh sách thiết bị',
    id: 'Mã thiết bị',
    presence: 'Trạng thái kết nối',
    since: 'từ {ago}',
    lastSeen: 'Lần cuối liên lạc',
    agent: 'Phiên bản phần mềm',
    timeline: 'Lịch phát trên thiết bị (đã nhận/hiện tại)',
    behind: 'chưa đồng bộ',
    synced: 'đã đồng bộ',
    revoked: 'Đã thu hồi quyền kết nối',
    revokedAt: 'Thu hồi lúc {at}',
    notRevoked: 'Đang hoạt động',
    credentials: 'Quyền kết nối',
    tags: 'Nhãn',
    volume: 'Âm lượng',
    playing: 'Đang phát',
    disk: 'Dung lượng trống',
    nothing: 'Không phát',
    controls: 'Điều khiển từ xa',
    setVolume: 'Đặt âm lượng',
    mute: 'Tắt tiếng',
    unmute: 'Bật tiếng',
    playContent: 'Bản tin phát ngay',
    pickContent: '— Chọn bản tin đã duyệt —',
    noApproved: 'Chưa có bản tin nào được duyệt',
    confirmRestart: 'Khởi động lại thiết bị {name}? Thiết bị sẽ ngừng phát trong giây lát.',
    confirm: 'Khởi động lại',
    lastCommand: 'Lệnh vừa gửi',
    waiting: 'Đang chờ thiết bị trả lời…',
    offlineNote: 'Thiết bị đang mất kết nối: lệnh sẽ được gửi khi thiết bị kết nối lại (trước khi hết hạn).',
    commands: 'Lệnh gần đây',
    time: 'Thời gian',
    command: 'Lệnh',
    result: 'Kết quả',
    answered: 'Trả lời lúc',
    noCommands: 'Chưa có lệnh nào',
    alarms: 'Cảnh báo',
    alarmKind: 'Loại',
    detail: 'Chi tiết',
    raised: 'Phát sinh',
    cleared: 'Kết thúc',
    active: 'Đang có',
    noAlarms: 'Không có cảnh báo',
    connections: 'Nhật ký kết nối',
    state: 'Trạng thái',
    reason: 'Lý do',
    noConnections: 'Chưa có lần kết nối nào',
    details: 'Chi tiết',
    lines: '{n} dòng nhật ký',
  },
  en: {
    back: '← All devices',
    id: 'Device id',
    presence: 'Connection',
    since: 'since {ago}',
    lastSeen: 'Last seen',
    agent: 'Agent version',
    timeline: 'Timeline (acked/current)',
    behind: 'behind',
    synced: 'in sync',
    revoked: 'Revoked',
    revokedAt: 'Revoked at {at}',
    notRevoked: 'Active',
    credentials: 'Credentials',
    tags: 'Tags',
    volume: 'Volume',
    playing: 'Playing',
    disk: 'Free disk',
    nothing: 'Nothing',
    controls: 'Remote control',
    setVolume: 'Set volume',
    mute: 'Mute',
    unmute: 'Unmute',
    playContent: 'Play now',
    pickContent: '— Pick approved content —',
    noApproved: 'No approved content yet',
    confirmRestart: 'Restart device {name}? It stops playing for a moment.',
    confirm: 'Restart',
    lastCommand: 'Last command',
    waiting: 'Waiting for the device to answer…',
    offlineNote: 'The device is offline: the command is sent when it reconnects (before it expires).',
    commands: 'Recent commands',
    time: 'Time',
    command: 'Command',
    result: 'Result',
    answered: 'Answered',
    noCommands: 'No commands yet',
    alarms: 'Alarms',
    alarmKind: 'Kind',
    detail: 'Detail',
    raised: 'Raised',
    cleared: 'Cleared',
    active: 'Active',
    noAlarms: 'No alarms',
    connections: 'Connection log',
    state: 'State',
    reason: 'Reason',
    noConnections: 'No connections yet',
    details: 'Details',
    lines: '{n} log lines',
  },
});

/**
 * Issue 19: one mount per device id — opening another device (or a refused one) starts from nothing, so nothing of
 * the previous device (its facts, commands, charts, slots) is ever shown under another id or under an error.
 */
export function DevicePage(props: PageProps) {
  return <DeviceOf key={props.route.parts[1] ?? ''} {...props} />;
}

function DeviceOf({ route, session }: PageProps) {
  const t = useT(S);
  const c = useCommon();
  const areas = useAreas();
  const id = route.parts[1] ?? '';
  const path = `/api/v1/devices/${encodeURIComponent(id)}`;
  const dev = useAsync(() => get<DeviceView>(path), [id]);
  const canCommand = mayCommand(session.user.role);
  const canReadCommands = mayReadCommands(session.user.role);
  const [commandsVersion, setCommandsVersion] = useState(0);
  const [, setTick] = useState(0);
  useEffect(() => {
    const tick = setInterval(() => setTick((n) => n + 1), 30_000);
    return () => clearInterval(tick);
  }, []);

  useLive('device.presence', (raw) => {
    const e = raw as unknown as PresenceEvent;
    if (e.deviceId !== id) return;
    dev.set((d) => d && withPresence(d, e));
    // Revocation (and re-admission after a rotation) changes more than presence: read the device again.
    if (e.reason === 'revoked' || (e.online && dev.data?.revokedAt)) dev.reload();
  });
  useLive('device.telemetry', (raw) => {
    const e = raw as unknown as TelemetryEvent;
    if (e.deviceId === id) dev.set((d) => d && withTelemetry(d, e));
  });

  // A refusal (403/404) shows the error alone, never data read before it.
  const d = dev.error ? undefined : dev.data;
  return (
    <section>
      <p style={{ margin: '0 0 .5rem' }}>
        <a href={href('/devices')}>{t('back')}</a>
      </p>
      <PageHeader title={d ? d.name : id}>
        <button type="button" onClick={() => dev.reload()} disabled={dev.loading}>
          {c('refresh')}
        </button>
      </PageHeader>
      <Notice tone="error" error={dev.error} testId="device-error" />
      <Loading when={dev.loading && !d} />
      {d ? (
        <>
          <DeviceHeader d={d} area={areaName(areas, d.areaCode)} />
          {/* Issue 21: practice mode only (the panel asks the server whether it is a practice instance). */}
          <VirtualDevicePanel key={`virtual-${d.id}`} deviceId={d.id} />
          <DeviceLocationCard key={`loc-${d.id}`} device={d} role={session.user.role} onSaved={(x) => dev.set(() => x)} />
          {canCommand ? (
            <CommandPanel
              key={d.id}
              d={d}
              onSent={() => setCommandsVersion((v) => v + 1)}
              onOutput={(volume, muted) => dev.set((x) => x && { ...x, telemetry: x.telemetry ? { ...x.telemetry, volume: volume ?? x.telemetry.volume, muted: muted ?? x.telemetry.muted } : x.telemetry })}
            />
          ) : null}
          {/* Issue 19: test play, self-test and volume for whoever may test speakers but not send every command. */}
          {!canCommand && d.kind === 'speaker' && can(session.user, 'testDevices') ? <OfficerSpeakerTests key={d.id} device={d} /> : null}
          <TelemetryCharts deviceId={d.id} />
          <DeviceAlarms deviceId={d.id} canAck={canCommand} />
          {canReadCommands ? <DeviceCommands deviceId={d.id} version={commandsVersion} /> : null}
          <Connections deviceId={d.id} />
          <DeviceDeliveries deviceId={d.id} />
        </>
      ) : null}
    </section>
  );
}

function DeviceHeader({ d, area }: { d: DeviceView; area: string }) {
  const t = useT(S);
  const c = useCommon();
  const L = useDevLabels();
  const tm = d.telemetry;
  const behind = d.ackedTimelineVersion < d.timelineVersion;
  const playing = tm?.playing ?? null;
  const playingSchedule = playing ? scheduleOfOccurrence(playing) : null;
  const item = (label: string, value: ComponentChildren, testId?: string) => (
    <div style={{ minWidth: 0 }} data-testid={testId}>
      <div class="field-label">{label}</div>
      <div style={{ overflowWrap: 'anywhere' }}>{value}</div>
    </div>
  );
  return (
    <div class="card" data-testid="device-header">
      <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(min(100%, 9.5rem), 1fr))', gap: '.75rem 1rem' }}>
        {item(t('id'), <code>{d.id}</code>)}
        {item(c('kind'), d.kind === 'board' ? c('board') : c('speaker'))}
        {item(
          c('area'),
          <a href={href(`/devices?area=${encodeURIComponent(d.areaCode)}`)}>{area}</a>,
        )}
        {item(
          t('presence'),
          <>
            <span data-testid="device-online" data-online={String(d.online)}>
              <OnlineBadge online={d.online} />
            </span>{' '}
            <span class="muted small" title={fmtDateTime(d.presenceChangedAt)}>
              {d.presenceReason ? `${L.reason(d.presenceReason)} · ` : ''}
              {d.presenceChangedAt ? t('since', { ago: fmtAgo(d.presenceChangedAt) }) : ''}
            </span>
          </>,
        )}
        {item(t('lastSeen'), <span title={fmtDateTime(d.lastSeenAt)}>{d.lastSeenAt ? fmtAgo(d.lastSeenAt) : '—'}</span>)}
        {item(t('agent'), d.agentVersion ?? '—')}
        {item(
          t('timeline'),
          <>
            {d.ackedTimelineVersion}/{d.timelineVersion} <Badge tone={behind ? 'warn' : 'ok'}>{behind ? t('behind') : t('synced')}</Badge>
          </>,
          'device-timeline',
        )}
        {item(
          t('credentials'),
          d.revokedAt ? (
            <Badge tone="bad" title={t('revokedAt', { at: fmtDateTime(d.revokedAt) })}>
              {t('revoked')}
            </Badge>
          ) : (
            <Badge tone="ok">{t('notRevoked')}</Badge>
          ),
          'device-revoked',
        )}
        {d.kind === 'speaker' ? item(t('volume'), <VolumeText volume={tm?.volume} muted={tm?.muted} />, 'device-volume') : null}
        {item(
          t('playing'),
          playing ? (
        <>
          <Badge tone="info">▶ {t('playing')}</Badge>{' '}
          {playingSchedule ? (
            <a class="small" href={href(`/deliveries/${encodeURIComponent(playingSchedule)}`)}>
              {playing}
            </a>
          ) : (
            <span class="small muted">{playing}</span>
          )}
        </>
      ) : (
        <span class="muted">{t('nothing')}</span>
      ),
        )}
        {item(t('disk'), fmtBytes(tm?.freeDiskBytes))}
        {d.tags.length ? item(t('tags'), d.tags.map((tag) => <Badge key={tag}>{tag}</Badge>)) : null}
      </div>
      {d.revokedAt ? <p class="error">{t('revokedAt', { at: fmtDateTime(d.revokedAt) })}</p> : null}
    </div>
  );
}

/** Sends commands to this one device and follows the answer (live event, and polling until it ends). */
function CommandPanel({ d, onSent, onOutput }: { d: DeviceView; onSent: () => void; onOutput: (volume: number | null, muted: boolean | null) => void }) {
  const t = useT(S);
  const L = useDevLabels();
  const c = useCommon();
  const speaker = d.kind === 'speaker';
  const [volume, setVolume] = useState<number>(d.telemetry?.volume ?? 50);
  const [contentId, setContentId] = useState('');
  const [confirmRestart, setConfirmRestart] = useState(false);
  const [last, setLast] = useState<{ id: string; type: string; result: CommandResultView | null; fanout?: FanoutView; error?: unknown } | null>(null);
  const contents = useAsync(() => get<ContentView[]>('/api/v1/contents'), []);
  const approved = (contents.data ?? [])
    .filter((x) => x.state === 'approved')
    .filter((x) => (speaker ? x.type !== 'text' && x.type !== 'image' : x.type === 'text' || x.type === 'image'))
    .sort((a, b) => (b.approvedAt ?? '').localeCompare(a.approvedAt ?? ''));

  const send = async (command: Record<string, unknown> & { type: string }) => {
    const view = await post<CommandCreated>('/api/v1/commands', { command, target: { deviceId: d.id } });
    setLast({ id: view.id, type: command.type, result: null, fanout: view.fanout });
    onSent();
  };

  // Follow the last command: live results at once, polling as a fallback (the socket may be down).
  const lastRef = useRef(last);
  lastRef.current = last;
  useLive('command.result', (raw) => {
    const e = raw as unknown as CommandResultEvent;
    if (e.deviceId !== d.id) return;
    onSent();
    const cur = lastRef.current;
    if (!cur || e.commandId !== cur.id) return;
    const now = new Date().toISOString();
    setLast({
      ...cur,
      result: { deviceId: e.deviceId, state: e.status as CommandResultView['state'], sentAt: cur.result?.sentAt ?? null, attempts: cur.result?.attempts ?? 1, resultAt: now, message: e.result?.message ?? null, data: e.result?.data ?? null, updatedAt: now },
    });
  });
  const lastId = last?.id;
  const lastState = last?.result?.state;
  useEffect(() => {
    if (!lastId || (lastState && COMMAND_FINAL.has(lastState))) return;
    let stopped = false;
    const started = Date.now();
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        const detail = await get<CommandDetail>(`/api/v1/commands/${encodeURIComponent(lastId)}`, { limit: 10 });
        const mine = detail.results.items.find((r) => r.deviceId === d.id) ?? null;
        if (stopped) return;
        setLast((cur) => (cur && cur.id === lastId && mine ? { ...cur, result: mine } : cur));
        if (mine && COMMAND_FINAL.has(mine.state)) {
          onSent();
          return;
        }
      } catch {
        // keep trying: a transient error should not stop following the command
      }
      if (!stopped) timer = setTimeout(() => void poll(), Date.now() - started < 60_000 ? 2000 : 10_000);
    };
    timer = setTimeout(() => void poll(), 1000);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [lastId, lastState]);

  // A setVolume answer carries the output state: show it before the next telemetry sample does.
  useEffect(() => {
    const data = last?.result?.data;
    if (last?.type !== 'setVolume' || last.result?.state !== 'ok' || !data) return;
    onOutput(typeof data.volume === 'number' ? data.volume : null, typeof data.muted === 'boolean' ? data.muted : null);
  }, [last?.id, last?.result?.state]);

  const state = last?.result?.state ?? (last ? 'queued' : null);
  return (
    <div class="card" data-testid="command-panel">
      <h2>{t('controls')}</h2>
      <div style={{ display: 'flex', flexDirection: 'column', gap: '.75rem' }}>
        {speaker ? (
          <div class="row" style={{ alignItems: 'center' }}>
            <label style={{ display: 'flex', alignItems: 'center', gap: '.5rem', flex: '1 1 14rem', maxWidth: '24rem' }}>
              <span class="field-label">{t('volume')}</span>
              <input
                type="range"
                min={0}
                max={100}
                step={1}
                value={volume}
                style={{ flex: 1, minWidth: '8rem' }}
                data-testid="volume-slider"
                aria-label={t('volume')}
                onInput={(e) => setVolume(Number((e.target as HTMLInputElement).value))}
              />
              <b style={{ minWidth: '2.5rem', textAlign: 'right' }} data-testid="volume-value">
                {volume}
              </b>
            </label>
            <ActionButton class="primary" data-testid="command-setVolume" onClick={() => send({ type: 'setVolume', volume })}>
              {t('setVolume')}
            </ActionButton>
            <ActionButton data-testid="command-mute" onClick={() => send({ type: 'setVolume', muted: true })}>
              {t('mute')}
            </ActionButton>
            <ActionButton data-testid="command-unmute" onClick={() => send({ type: 'setVolume', muted: false })}>
              {t('unmute')}
            </ActionButton>
          </div>
        ) : null}
        <div class="row" style={{ alignItems: 'center' }}>
          <select value={contentId} style={{ flex: '1 1 14rem', maxWidth: '24rem' }} aria-label={t('playContent')} data-testid="playnow-content" onChange={(e) => setContentId((e.target as HTMLSelectElement).value)}>
            <option value="">{contents.data && approved.length === 0 ? t('noApproved') : t('pickContent')}</option>
            {approved.map((x) => (
              <option key={x.id} value={x.id}>
                {x.title}
              </option>
            ))}
          </select>
          <ActionButton data-testid="command-playNow" disabled={!contentId} onClick={() => send({ type: 'playNow', contentId })}>
            ▶ {L.command('playNow')}
          </ActionButton>
          <ActionButton data-testid="command-stop" onClick={() => send({ type: 'stop' })}>
            ■ {L.command('stop')}
          </ActionButton>
        </div>
        {contents.error ? <ErrorBox error={contents.error} /> : null}
        <div class="row" style={{ alignItems: 'center' }}>
          <ActionButton data-testid="command-resync" onClick={() => send({ type: 'resync' })}>
            {L.command('resync')}
          </ActionButton>
          <ActionButton data-testid="command-selfTest" onClick={() => send({ type: 'selfTest' })}>
            {L.command('selfTest')}
          </ActionButton>
          <ActionButton data-testid="command-collectLogs" onClick={() => send({ type: 'collectLogs', lines: 200 })}>
            {L.command('collectLogs')}
          </ActionButton>
          <button type="button" class="danger" data-testid="command-restart" onClick={() => setConfirmRestart(true)}>
            {L.command('restart')}
          </button>
        </div>
      </div>
      {last ? (
        <div style={{ marginTop: '1rem', borderTop: '1px solid var(--line)', paddingTop: '.75rem' }} data-testid="last-command" data-command-id={last.id} data-status={state ?? ''}>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: '.5rem', alignItems: 'center' }}>
            <b>{t('lastCommand')}:</b> {L.command(last.type)} <Badge tone={commandTone(state ?? 'queued')}>{L.cmdState(state ?? 'queued')}</Badge>
            {state && !COMMAND_FINAL.has(state) ? <span class="muted small">{t('waiting')}</span> : null}
          </div>
          {state && !COMMAND_FINAL.has(state) && !d.online ? <p class="muted small">{t('offlineNote')}</p> : null}
          {last.fanout && !last.result ? <FanoutProgress key={last.fanout.id} job={last.fanout} /> : null}
          {last.result?.message ? <p class="small">{last.result.message}</p> : null}
          <ResultData data={last.result?.data ?? null} open />
        </div>
      ) : null}
      {confirmRestart ? (
        <Modal title={L.command('restart')} onClose={() => setConfirmRestart(false)}>
          <p>{t('confirmRestart', { name: d.name })}</p>
          <div class="row" style={{ justifyContent: 'flex-end' }}>
            <button type="button" onClick={() => setConfirmRestart(false)}>
              {c('cancel')}
            </button>
            <ActionButton
              class="primary"
              data-testid="command-restart-confirm"
              onClick={async () => {
                await send({ type: 'restart' });
                setConfirmRestart(false);
              }}
            >
              {t('confirm')}
            </ActionButton>
          </div>
        </Modal>
      ) : null}
    </div>
  );
}

/** A command's output: collected log lines as text, anything else as name: value. */
function ResultData({ data, open }: { data: Record<string, unknown> | null; open?: boolean }) {
  const t = useT(S);
  if (!data || Object.keys(data).length === 0) return null;
  const lines = Array.isArray(data.lines) ? (data.lines as unknown[]).map(String) : null;
  if (lines) {
    return (
      <details open={open}>
        <summary class="small">{t('lines', { n: lines.length })}</summary>
        <pre style={{ maxHeight: '20rem', overflow: 'auto', background: '#f8fafb', border: '1px solid var(--line)', borderRadius: '6px', padding: '.5rem', fontSize: '.8rem', whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
          {lines.join('\n')}
        </pre>
      </details>
    );
  }
  return (
    <div class="small" style={{ display: 'flex', flexWrap: 'wrap', gap: '.25rem .75rem' }}>
      {Object.entries(data).map(([k, v]) => (
        <span key={k}>
          <span class="muted">{k}:</span> <code>{typeof v === 'number' ? String(Math.round(v * 100) / 100) : JSON.stringify(v)}</code>
        </span>
      ))}
    </div>
  );
}

function DeviceCommands({ deviceId, version }: { deviceId: string; version: number }) {
  const t = useT(S);
  const L = useDevLabels();
  const list = useAsync(() => get<Page<DeviceCommandView>>(`/api/v1/devices/${encodeURIComponent(deviceId)}/commands`, { limit: 20 }), [deviceId]);
  // Sends and results arrive in bursts: one reload per short window.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const id = setTimeout(() => list.reload(), 300);
    return () => clearTimeout(id);
  }, [version]);
  const items = list.data?.items ?? [];
  return (
    <div>
      <h2>{t('commands')}</h2>
      <ErrorBox error={list.error} />
      <div class="table-wrap">
        <table data-testid="command-table">
          <thead>
            <tr>
              <th>{t('time')}</th>
              <th>{t('command')}</th>
              <th>{t('state')}</th>
              <th>{t('result')}</th>
              <th class="hide-phone">{t('answered')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((x) => (
              <tr key={x.commandId} data-testid="command-row" data-status={x.state} data-command-id={x.commandId} data-type={x.type}>
                <td title={fmtDateTime(x.createdAt)}>{fmtDateTime(x.createdAt)}</td>
                <td>
                  {L.command(x.type)}
                  {x.type === 'setVolume' ? <span class="muted small"> {describeVolume(x.command, t)}</span> : null}
                </td>
                <td>
                  <Badge tone={commandTone(x.state)}>{L.cmdState(x.state)}</Badge>
                </td>
                <td class="wrap" style={{ minWidth: '12rem', maxWidth: '28rem' }}>
                  {x.message ? <div class="small">{x.message}</div> : null}
                  <ResultData data={x.data} />
                  {!x.message && !x.data ? <span class="muted">—</span> : null}
                </td>
                <td class="hide-phone">{x.resultAt ? fmtDateTime(x.resultAt) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data && items.length === 0 ? <p class="muted empty" style={{ padding: '0 .75rem' }}>{t('noCommands')}</p> : null}
        <Loading when={list.loading && !list.data} />
      </div>
    </div>
  );
}

function describeVolume(c: Record<string, unknown>, t: (k: 'mute' | 'unmute') => string): string {
  const parts: string[] = [];
  if (typeof c.volume === 'number') parts.push(String(c.volume));
  if (c.muted === true) parts.push(t('mute').toLowerCase());
  if (c.muted === false) parts.push(t('unmute').toLowerCase());
  return parts.join(' · ');
}

function DeviceAlarms({ deviceId, canAck }: { deviceId: string; canAck: boolean }) {
  const t = useT(S);
  const L = useDevLabels();
  const list = useAsync(() => get<AlarmView[]>('/api/v1/alarms', { deviceId, limit: 50 }), [deviceId]);
  const onAlarm = (raw: unknown) => {
    const a = (raw as AlarmEvent).alarm;
    if (a.deviceId === deviceId) list.set((prev) => (prev ? [a, ...prev.filter((x) => x.id !== a.id)] : [a]));
  };
  useLive('alarm.raised', onAlarm);
  useLive('alarm.cleared', onAlarm);
  const ack = async (a: AlarmView) => {
    const updated = await post<AlarmView>(`/api/v1/alarms/${encodeURIComponent(a.id)}/ack`);
    list.set((prev) => prev?.map((x) => (x.id === a.id ? { ...x, ...updated } : x)));
  };
  const items = [...(list.data ?? [])].sort((a, b) => Number(b.active) - Number(a.active) || b.raisedAt.localeCompare(a.raisedAt));
  return (
    <div>
      <h2>{t('alarms')}</h2>
      <ErrorBox error={list.error} />
      <div class="table-wrap">
        <table data-testid="device-alarms">
          <thead>
            <tr>
              <th>{t('alarmKind')}</th>
              <th>{t('detail')}</th>
              <th>{t('raised')}</th>
              <th>{t('cleared')}</th>
              {canAck ? <th /> : null}
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.id} data-testid="device-alarm-row" data-active={String(a.active)}>
                <td>
                  <Badge tone={a.active ? (a.kind === 'offline' ? 'bad' : 'warn') : 'muted'}>{L.alarm(a.kind)}</Badge>
                </td>
                <td class="wrap" style={{ minWidth: '12rem' }}>
                  {a.detail}
                  {a.clearedDetail ? <div class="muted small">{a.clearedDetail}</div> : null}
                </td>
                <td title={fmtDateTime(a.raisedAt)}>{fmtDateTime(a.raisedAt)}</td>
                <td>{a.active ? <Badge tone="warn">{t('active')}</Badge> : fmtDateTime(a.clearedAt)}</td>
                {canAck ? (
                  <td>
                    {a.ackedAt ? (
                      <span class="muted small" title={fmtDateTime(a.ackedAt)}>
                        {L.t('acked')}
                        {a.ackedBy ? ` · ${a.ackedBy}` : ''}
                      </span>
                    ) : a.active ? (
                      <ActionButton data-testid="alarm-ack" onClick={() => ack(a)}>
                        {L.t('ack')}
                      </ActionButton>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
        {list.data && items.length === 0 ? <p class="muted empty" style={{ padding: '0 .75rem' }}>{t('noAlarms')}</p> : null}
        <Loading when={list.loading && !list.data} />
      </div>
    </div>
  );
}

function Connections({ deviceId }: { deviceId: string }) {
  const t = useT(S);
  const L = useDevLabels();
  const list = useAsync(() => get<ConnectionView[]>(`/api/v1/devices/${encodeURIComponent(deviceId)}/connections`, { limit: 50 }), [deviceId]);
  // A presence change adds a row: prepend it rather than re-fetch.
  useLive('device.presence', (raw) => {
    const e = raw as unknown as PresenceEvent;
    if (e.deviceId !== deviceId) return;
    list.set((prev) => (prev ? [{ at: e.at, state: e.online ? ('online' as const) : ('offline' as const), reason: e.reason }, ...prev.filter((x) => x.at !== e.at)].slice(0, 50) : prev));
  });
  const items = list.data ?? [];
  return (
    <div>
      <h2>{t('connections')}</h2>
      <ErrorBox error={list.error} />
      <div class="table-wrap" style={{ maxHeight: '24rem', overflowY: 'auto' }}>
        <table data-testid="connection-log">
          <thead>
            <tr>
              <th>{t('time')}</th>
              <th>{t('state')}</th>
              <th>{t('reason')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((x, i) => (
              <tr key={`${x.at}-${i}`} data-testid="connection-row">
                <td>{fmtDateTime(x.at)}</td>
                <td>
                  <OnlineBadge online={x.state === 'online'} />
                </td>
                <td>{L.reason(x.reason)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data && items.length === 0 ? <p class="muted empty" style={{ padding: '0 .75rem' }}>{t('noConnections')}</p> : null}
        <Loading when={list.loading && !list.data} />
      </div>
    </div>
  );
}
