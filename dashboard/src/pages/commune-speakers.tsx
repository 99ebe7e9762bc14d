import { useEffect, useState } from 'preact/hooks';
import type { AnnouncementView, CommuneCommandView, CommuneDeviceCommandRequest, DeviceView, SpeakerTestsView } from '@loa/shared/rest';
import { get, post } from '../api.js';
import { fmtAgo } from '../format.js';
import { defineStrings, useLang, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href } from '../router.js';
import { ErrorBox, Loading, OnlineBadge, areaName, useAreas, useAsync } from '../ui.js';
import { withPresence, withTelemetry, type PresenceEvent, type TelemetryEvent } from './device-common.js';

const S = defineStrings({
  vi: {
    title: 'Loa của xã',
    none: 'Xã chưa có loa nào.',
    testPlay: 'Phát thử',
    selfTest: 'Tự kiểm tra',
    volume: 'Âm lượng',
    setVolume: 'Đặt',
    current: 'Âm lượng hiện tại: {v}',
    unknown: 'chưa rõ',
    muted: 'đang tắt tiếng',
    playWhat: 'Nội dung phát thử',
    noContent: 'Chưa có thông báo đã duyệt để phát thử.',
    queued: 'Đã gửi, chờ loa nhận…',
    sent: 'Loa đã nhận, đang thực hiện…',
    okPlay: 'Loa đang phát thử.',
    okVolume: 'Đã đặt âm lượng {v}.',
    okTest: 'Tự kiểm tra xong: mức đo {level} LUFS (âm thử {tone} dBFS).',
    okBoard: 'Tự kiểm tra xong.',
    error: 'Loa báo lỗi: {m}',
    rejected: 'Loa từ chối: {m}',
    expired: 'Loa không trả lời (ngoại tuyến?).',
    level: 'Mức đo gần nhất: {level} LUFS',
    lastSeen: 'liên lạc {ago}',
    open: 'Chi tiết',
  },
  en: {
    title: 'Commune speakers',
    none: 'The commune has no speakers yet.',
    testPlay: 'Test play',
    selfTest: 'Self-test',
    volume: 'Volume',
    setVolume: 'Set',
    current: 'Current volume: {v}',
    unknown: 'unknown',
    muted: 'muted',
    playWhat: 'Content to test-play',
    noContent: 'No approved announcement to test-play yet.',
    queued: 'Sent, waiting for the speaker…',
    sent: 'The speaker got it and is working…',
    okPlay: 'The speaker is test-playing.',
    okVolume: 'Volume set to {v}.',
    okTest: 'Self-test done: measured level {level} LUFS (test tone {tone} dBFS).',
    okBoard: 'Self-test done.',
    error: 'The speaker reported an error: {m}',
    rejected: 'The speaker refused: {m}',
    expired: 'The speaker did not answer (offline?).',
    level: 'Last measured level: {level} LUFS',
    lastSeen: 'seen {ago}',
    open: 'Details',
  },
});

const FINAL = ['ok', 'error', 'rejected', 'expired'];
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** One decimal, with the reader's decimal mark (−23,4 in Vietnamese). */
const fixed = (v: number | null, lang: string): string => (v === null ? '—' : lang === 'vi' ? v.toFixed(1).replace('.', ',') : v.toFixed(1));

/** A command sent to one speaker, followed until the speaker answers (polled: the officer is waiting for it). */
function useCommand(onDone: (v: CommuneCommandView) => void): { view: CommuneCommandView | null; send: (deviceId: string, body: CommuneDeviceCommandRequest) => Promise<void> } {
  const [view, setView] = useState<CommuneCommandView | null>(null);
  useEffect(() => {
    if (!view || FINAL.includes(view.result.state)) return;
    const timer = setTimeout(() => {
      get<CommuneCommandView>(`/api/v1/commune/commands/${encodeURIComponent(view.commandId)}`).then(
        (next) => {
          setView(next);
          if (FINAL.includes(next.result.state)) onDone(next);
        },
        () => setView({ ...view }), // try again on the next tick
      );
    }, 1000);
    return () => clearTimeout(timer);
  }, [view]);
  return {
    view,
    send: async (deviceId, body) => {
      setView(null);
      setView(await post<CommuneCommandView>(`/api/v1/commune/devices/${encodeURIComponent(deviceId)}/commands`, body));
    },
  };
}

/** The approved announcements an officer can test-play (their content is approved once they are scheduled). */
export function usePlayableAnnouncements() {
  return useAsync(() => get<AnnouncementView[]>('/api/v1/announcements', { limit: 50 }).then((list) => list.filter((a) => a.state === 'scheduled' || a.state === 'awaiting-schedule')), []);
}

/**
 * "Phát thử", "Tự kiểm tra" and the volume of one speaker, with what it answered: the measured level of the self-test
 * and the volume it reports. Used on the commune page and on a device's page for users who may test but not command.
 */
export function SpeakerTests({ device, playable }: { device: DeviceView; playable: AnnouncementView[] }) {
  const t = useT(S);
  const [volume, setVolume] = useState<number | null>(device.telemetry?.volume ?? null);
  const [muted, setMuted] = useState<boolean | null>(device.telemetry?.muted ?? null);
  const [level, setLevel] = useState<number | null>(null);
  const [contentId, setContentId] = useState<string>(playable[0]?.contentId ?? '');
  const [input, setInput] = useState<number>(device.telemetry?.volume ?? 70);
  const [touched, setTouched] = useState(false);
  const lang = useLang();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (device.telemetry?.volume !== undefined && device.telemetry.volume !== null) {
      setVolume(device.telemetry.volume);
      if (!touched) setInput(device.telemetry.volume);
    }
    if (device.telemetry?.muted !== undefined && device.telemetry.muted !== null) setMuted(device.telemetry.muted);
  }, [device.telemetry?.volume, device.telemetry?.muted]);
  useEffect(() => {
    if (!contentId && playable[0]) setContentId(playable[0].contentId);
  }, [playable.length]);
  // What the speaker last answered (the level and volume survive a reload); the live telemetry updates it after.
  useEffect(() => {
    let gone = false;
    get<SpeakerTestsView>(`/api/v1/commune/devices/${encodeURIComponent(device.id)}/tests`).then(
      (r) => {
        if (gone) return;
        if (r.volume !== null) {
          setVolume(r.volume);
          if (!touched) setInput(r.volume);
        }
        if (r.muted !== null) setMuted(r.muted);
        if (r.lastSelfTest?.levelLufs !== null && r.lastSelfTest?.levelLufs !== undefined) setLevel(r.lastSelfTest.levelLufs);
      },
      () => undefined, // the buttons work without it
    );
    return () => {
      gone = true;
    };
  }, [device.id]);
  const cmd = useCommand((v) => {
    const data = v.result.data ?? {};
    if (v.result.state !== 'ok') return;
    const vol = num(data.volume) ?? num(data.deviceVolume);
    if (vol !== null) {
      setVolume(vol);
      if (!touched) setInput(vol);
    }
    if (typeof data.muted === 'boolean') setMuted(data.muted);
    if (v.type === 'selfTest') setLevel(num(data.levelLufs));
  });
  const run = (body: CommuneDeviceCommandRequest) => {
    setError(null);
    cmd.send(device.id, body).catch(setError);
  };
  const busy = cmd.view !== null && !FINAL.includes(cmd.view.result.state);
  return (
    <div data-testid="speaker-tests" data-device={device.id}>
      <p class="small" style={{ margin: '.25rem 0' }} data-testid="speaker-volume" data-value={volume ?? ''}>
        {t('current', { v: volume === null ? t('unknown') : String(volume) })}
        {muted ? ` · ${t('muted')}` : ''}
        {level !== null ? (
          <>
            {' · '}
            <b data-testid="speaker-level" data-value={level}>
              {t('level', { level: fixed(level, lang) })}
            </b>
          </>
        ) : null}
      </p>
      {playable.length > 0 ? (
        <label class="field" style={{ margin: '.25rem 0' }}>
          <span class="field-label small">{t('playWhat')}</span>
          <select value={contentId} onChange={(e) => setContentId((e.target as HTMLSelectElement).value)} data-testid="speaker-content">
            {playable.map((a) => (
              <option key={a.id} value={a.contentId}>
                {a.title}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <p class="muted small">{t('noContent')}</p>
      )}
      <div class="row" style={{ gap: '.5rem', alignItems: 'center' }}>
        <button type="button" class="primary" disabled={busy || !contentId} data-testid="speaker-test-play" onClick={() => run({ type: 'playNow', contentId })}>
          ▶ {t('testPlay')}
        </button>
        <button type="button" disabled={busy} data-testid="speaker-self-test" onClick={() => run({ type: 'selfTest' })}>
          {t('selfTest')}
        </button>
        <span class="row" style={{ gap: '.35rem', alignItems: 'center', flexWrap: 'nowrap' }}>
          <label class="visually-hidden" for={`vol-${device.id}`}>
            {t('volume')}
          </label>
          <input
            id={`vol-${device.id}`}
            type="number"
            min={0}
            max={100}
            step={5}
            style={{ width: '4.5rem' }}
            value={input}
            data-testid="speaker-volume-input"
            onInput={(e) => {
              setTouched(true);
              setInput(Math.max(0, Math.min(100, Number((e.target as HTMLInputElement).value) || 0)));
            }}
          />
          <button type="button" disabled={busy} data-testid="speaker-volume-set" onClick={() => run({ type: 'setVolume', volume: input })}>
            {t('setVolume')}
          </button>
        </span>
      </div>
      <ErrorBox error={error} />
      {cmd.view ? <CommandOutcome view={cmd.view} /> : null}
    </div>
  );
}

function CommandOutcome({ view }: { view: CommuneCommandView }) {
  const t = useT(S);
  const lang = useLang();
  const r = view.result;
  const data = r.data ?? {};
  let text: string;
  let tone: 'info' | 'success' | 'error' = 'info';
  if (r.state === 'queued') text = t('queued');
  else if (r.state === 'sent') text = t('sent');
  else if (r.state === 'ok') {
    tone = 'success';
    if (view.type === 'playNow') text = t('okPlay');
    else if (view.type === 'setVolume') text = t('okVolume', { v: String(num(data.volume) ?? '—') });
    else text = num(data.levelLufs) === null ? t('okBoard') : t('okTest', { level: fixed(num(data.levelLufs), lang), tone: fixed(num(data.toneDbfs), lang) });
  } else {
    tone = 'error';
    text = r.state === 'expired' ? t('expired') : t(r.state === 'rejected' ? 'rejected' : 'error', { m: r.message ?? '' });
  }
  return (
    <div class={`notice notice-${tone}`} role="status" data-testid="speaker-result" data-type={view.type} data-state={r.state}>
      {text}
    </div>
  );
}

/** The commune's speakers as cards (offline first: those need a visit), each with its tests. */
export function CommuneSpeakers() {
  const t = useT(S);
  const areas = useAreas();
  const list = useAsync(() => get<DeviceView[]>('/api/v1/devices', { kind: 'speaker', sort: 'name' }), []);
  const playable = usePlayableAnnouncements();
  useLive('device.presence', (raw) => {
    const e = raw as unknown as PresenceEvent;
    list.set((l) => l?.map((d) => (d.id === e.deviceId ? withPresence(d, e) : d)));
  });
  useLive('device.telemetry', (raw) => {
    const e = raw as unknown as TelemetryEvent;
    list.set((l) => l?.map((d) => (d.id === e.deviceId ? withTelemetry(d, e) : d)));
  });
  const devices = [...(list.data ?? [])].sort((a, b) => Number(a.online) - Number(b.online));
  return (
    <section data-testid="commune-speakers">
      <h2 style={{ fontSize: '1.1rem' }}>{t('title')}</h2>
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && devices.length === 0 ? <p class="muted">{t('none')}</p> : null}
      {devices.map((d) => (
        <div key={d.id} class="card" data-testid="speaker-card" data-device={d.id} data-online={d.online ? '1' : '0'}>
          <div class="row" style={{ justifyContent: 'space-between', alignItems: 'center', gap: '.5rem' }}>
            <b style={{ overflowWrap: 'anywhere' }}>{d.name}</b>
            <OnlineBadge online={d.online} />
          </div>
          <p class="muted small" style={{ margin: '.2rem 0' }}>
            {areaName(areas, d.areaCode)} · {d.id}
            {d.lastSeenAt ? ` · ${t('lastSeen', { ago: fmtAgo(d.lastSeenAt) })}` : ''} · <a href={href(`/device/${encodeURIComponent(d.id)}`)}>{t('open')}</a>
          </p>
          <SpeakerTests device={d} playable={playable.data ?? []} />
        </div>
      ))}
    </section>
  );
}

/** The tests on a device's own page, for users who may test speakers but not send every command (commune officers). */
export function OfficerSpeakerTests({ device }: { device: DeviceView }) {
  const playable = usePlayableAnnouncements();
  const t = useT(S);
  return (
    <section class="card" data-testid="officer-speaker-tests">
      <h2 style={{ fontSize: '1.05rem', marginTop: 0 }}>
        {t('testPlay')} · {t('selfTest')} · {t('volume')}
      </h2>
      <SpeakerTests device={device} playable={playable.data ?? []} />
    </section>
  );
}
