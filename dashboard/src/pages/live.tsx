/**
 * Live voice (#/live, issue 18): speak into the microphone to an area's speakers now, or relay an upstream station
 * on demand after testing it. Either one is an area alert carrying a stream (approval rules apply: an emergency may
 * wait for a second person). The sessions of the user's areas are listed below, with a stop button.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { ApiError, get, post } from '../api.js';
import { defineStrings, useT } from '../i18n.js';
import type { LiveSessionView, RelayTestResult } from '@loa/shared/rest';
import { ActionButton, AreaSelect, Badge, Empty, ErrorBox, Field, PageHeader, areaName, useAreas, useAsync, type Tone } from '../ui.js';
import { MicBroadcast, micSupported, openMicrophone, type MicStatus } from './live-mic.js';

const LS = defineStrings({
  vi: {
    title: 'Phát trực tiếp',
    intro: 'Nói trực tiếp qua micrô hoặc tiếp sóng một đài tới các cụm loa của địa bàn. Nội dung đang phát sẽ tạm dừng và phát tiếp sau khi kết thúc.',
    area: 'Địa bàn',
    priority: 'Mức ưu tiên',
    emergency: 'Khẩn cấp',
    priorityLevel: 'Ưu tiên',
    name: 'Tiêu đề',
    defaultTitle: 'Phát trực tiếp',
    maxMinutes: 'Thời lượng tối đa (phút)',
    micTitle: 'Nói qua micrô',
    start: 'Bắt đầu nói',
    stop: 'Kết thúc',
    elapsed: 'Đã phát',
    level: 'Mức âm micrô',
    micUnsupported: 'Trình duyệt này không hỗ trợ thu âm trực tiếp (cần Chrome, Edge, Firefox hoặc Safari mới).',
    micDenied: 'Không mở được micrô: hãy cho phép trang dùng micrô trong cài đặt trình duyệt.',
    micMissing: 'Không tìm thấy micrô trên thiết bị này.',
    st_connecting: 'Đang kết nối…',
    st_sending: 'Đang phát trực tiếp',
    st_reconnecting: 'Mất kết nối, đang nối lại…',
    st_ended: 'Đã kết thúc',
    awaiting: 'Đang chờ người thứ hai xác nhận (phát khẩn cấp cần hai người). Loa sẽ phát khi được xác nhận.',
    relayTitle: 'Tiếp sóng đài',
    url: 'Địa chỉ luồng (Icecast/HTTP/HLS)',
    test: 'Kiểm tra luồng',
    relayStart: 'Bắt đầu tiếp sóng',
    sessions: 'Phiên đang phát và gần đây',
    kind_mic: 'Micrô',
    kind_relay: 'Tiếp sóng',
    state_awaiting_approval: 'Chờ xác nhận',
    state_waiting_for_mic: 'Chờ micrô',
    state_live: 'Đang phát',
    state_ended: 'Đã kết thúc',
    listeners: '{n} loa đang nghe',
    rt_ok: 'Luồng hoạt động tốt',
    rt_unreachable: 'Không kết nối được tới địa chỉ luồng',
    rt_timeout: 'Hết thời gian chờ: luồng không gửi âm thanh',
    rt_http_error: 'Máy chủ luồng trả lỗi',
    rt_no_audio: 'Không có âm thanh trong luồng',
    rt_invalid: 'Không đọc được luồng',
  },
  en: {
    title: 'Live broadcast',
    intro: "Speak live through the microphone, or relay a station, to an area's speakers. What is playing pauses and resumes afterwards.",
    area: 'Area',
    priority: 'Priority',
    emergency: 'Emergency',
    priorityLevel: 'Priority',
    name: 'Title',
    defaultTitle: 'Live broadcast',
    maxMinutes: 'Maximum length (minutes)',
    micTitle: 'Speak through the microphone',
    start: 'Start speaking',
    stop: 'Stop',
    elapsed: 'On air',
    level: 'Microphone level',
    micUnsupported: 'This browser cannot capture live audio (use a recent Chrome, Edge, Firefox or Safari).',
    micDenied: 'The microphone could not be opened: allow this page to use it in the browser settings.',
    micMissing: 'No microphone found on this device.',
    st_connecting: 'Connecting…',
    st_sending: 'On air',
    st_reconnecting: 'Connection lost, reconnecting…',
    st_ended: 'Ended',
    awaiting: 'Waiting for a second person to confirm (emergencies need two people). The speakers play once it is confirmed.',
    relayTitle: 'Relay a station',
    url: 'Stream URL (Icecast/HTTP/HLS)',
    test: 'Test the stream',
    relayStart: 'Start relaying',
    sessions: 'Sessions on air and recent',
    kind_mic: 'Microphone',
    kind_relay: 'Relay',
    state_awaiting_approval: 'Awaiting confirmation',
    state_waiting_for_mic: 'Waiting for the microphone',
    state_live: 'On air',
    state_ended: 'Ended',
    listeners: '{n} speakers listening',
    rt_ok: 'The stream works',
    rt_unreachable: 'Cannot connect to the stream address',
    rt_timeout: 'Timed out: the stream sends no audio',
    rt_http_error: 'The stream server answered with an error',
    rt_no_audio: 'No audio in the stream',
    rt_invalid: 'The stream cannot be read',
  },
});

const STATE_TONE: Record<LiveSessionView['state'], Tone> = { awaiting_approval: 'warn', waiting_for_mic: 'warn', live: 'bad', ended: 'muted' };
const POLL_MS = 2000;
const BIG = { width: '100%', minHeight: '72px', fontSize: '1.3rem', fontWeight: 700, justifyContent: 'center' };
const METER_OUTER = { height: '14px', background: 'var(--line)', borderRadius: '7px', overflow: 'hidden', margin: '.5rem 0' };

type Priority = 'emergency' | 'priority';

const fmtElapsed = (ms: number): string => {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

export function LivePage({ session }: PageProps) {
  const t = useT(LS);
  const areas = useAreas();
  const [areaCode, setAreaCode] = useState(session.user.areaCode ?? '');
  const [priority, setPriority] = useState<Priority>('emergency');
  const [title, setTitle] = useState('');
  const [minutes, setMinutes] = useState(15);
  const sessions = useAsync(() => get<LiveSessionView[]>('/api/v1/live'), []);
  useEffect(() => {
    if (!areaCode && areas[0]) setAreaCode(areas[0].code);
  }, [areas.length]);
  useEffect(() => {
    const id = setInterval(() => !document.hidden && sessions.reload(), POLL_MS);
    return () => clearInterval(id);
  }, [sessions.reload]);

  const common = { areaCode, priority, title: title.trim() || t('defaultTitle'), maxDurationS: Math.max(1, minutes) * 60 };
  return (
    <div data-testid="live-page">
      <PageHeader title={t('title')} />
      <p class="muted">{t('intro')}</p>
      <section class="card">
        <div class="row">
          <Field label={t('area')}>
            <AreaSelect value={areaCode} onChange={setAreaCode} required id="live-area" />
          </Field>
          <Field label={t('priority')}>
            <select name="priority" value={priority} onChange={(e) => setPriority((e.target as HTMLSelectElement).value as Priority)} data-testid="live-priority">
              <option value="emergency">{t('emergency')}</option>
              <option value="priority">{t('priorityLevel')}</option>
            </select>
          </Field>
          <Field label={t('name')}>
            <input name="title" value={title} placeholder={t('defaultTitle')} maxLength={200} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} data-testid="live-title" />
          </Field>
          <Field label={t('maxMinutes')}>
            <input type="number" name="minutes" min={1} max={240} value={minutes} onInput={(e) => setMinutes(Number((e.target as HTMLInputElement).value) || 15)} />
          </Field>
        </div>
      </section>
      <MicCard request={common} onChange={sessions.reload} />
      <RelayCard request={common} onChange={sessions.reload} />
      <section class="card">
        <h2>{t('sessions')}</h2>
        {sessions.error ? <ErrorBox error={sessions.error} /> : null}
        <Empty when={(sessions.data ?? []).length === 0} />
        {(sessions.data ?? []).map((s) => (
          <div key={s.id} data-testid="live-session-row" data-session-id={s.id} data-state={s.state} style={{ borderTop: '1px solid var(--line)', padding: '.6rem 0', display: 'flex', flexWrap: 'wrap', gap: '.5rem', alignItems: 'center', justifyContent: 'space-between' }}>
            <span>
              <strong>{s.title}</strong> · {t(s.kind === 'mic' ? 'kind_mic' : 'kind_relay')} · {areaName(areas, s.areaCode)}{' '}
              <Badge tone={STATE_TONE[s.state]}>{t(`state_${s.state}`)}</Badge> {s.kind === 'mic' && s.state !== 'ended' ? <span class="muted">{t('listeners', { n: s.listeners })}</span> : null}
            </span>
            {s.state !== 'ended' && session.user.role !== 'approver' ? (
              <ActionButton class="danger" onClick={() => post(`/api/v1/live/${s.id}/stop`).finally(sessions.reload)}>
                {t('stop')}
              </ActionButton>
            ) : null}
          </div>
        ))}
      </section>
    </div>
  );
}

interface StartCommon {
  areaCode: string;
  priority: Priority;
  title: string;
  maxDurationS: number;
}

function MicCard({ request, onChange }: { request: StartCommon; onChange: () => void }) {
  const t = useT(LS);
  const [live, setLive] = useState<LiveSessionView | null>(null);
  const [status, setStatus] = useState<MicStatus | null>(null);
  const [level, setLevel] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [now, setNow] = useState(Date.now());
  const mic = useRef<MicBroadcast | null>(null);

  useEffect(() => () => mic.current?.stop(), []);
  useEffect(() => {
    if (!live) return;
    const id = setInterval(() => {
      setNow(Date.now());
      void get<LiveSessionView>(`/api/v1/live/${live.id}`).then(setLive, () => undefined);
    }, 1000);
    return () => clearInterval(id);
  }, [live?.id]);
  useEffect(() => {
    if (live?.state === 'ended') {
      mic.current?.stop();
      mic.current = null;
    }
  }, [live?.state]);

  const start = async () => {
    setError(null);
    setBusy(true);
    let stream: MediaStream | null = null;
    try {
      // The microphone first: a refused permission must not leave an alert behind.
      try {
        stream = await openMicrophone();
      } catch (err) {
        throw new Error((err as Error).name === 'NotFoundError' ? t('micMissing') : t('micDenied'));
      }
      const s = await post<LiveSessionView>('/api/v1/live', { kind: 'mic', ...request });
      setLive(s);
      setNow(Date.now());
      const m = new MicBroadcast(stream, s.micPath!, { onStatus: (st) => setStatus(st), onLevel: setLevel });
      mic.current = m;
      m.start();
      onChange();
    } catch (err) {
      for (const track of stream?.getTracks() ?? []) track.stop();
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const stop = async () => {
    if (!live) return;
    mic.current?.stop();
    mic.current = null;
    try {
      setLive(await post<LiveSessionView>(`/api/v1/live/${live.id}/stop`));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 409)) setError(err);
    }
    onChange();
  };

  const onAir = live !== null && live.state !== 'ended';
  return (
    <section class="card" data-testid="live-mic" style={{ borderColor: '#f5c2bd', borderWidth: '2px' }}>
      <h2>{t('micTitle')}</h2>
      {!micSupported() ? <p class="muted">{t('micUnsupported')}</p> : null}
      {error ? <ErrorBox error={error} /> : null}
      {!onAir ? (
        <button type="button" class="primary" style={{ ...BIG, background: 'var(--bad)', borderColor: 'var(--bad)' }} disabled={busy || !request.areaCode || !micSupported()} onClick={() => void start()} data-testid="live-start">
          ● {t('start')}
        </button>
      ) : (
        <div data-testid="live-on-air" data-session-id={live.id} data-state={live.state} data-mic={status ?? ''}>
          <p>
            <Badge tone={STATE_TONE[live.state]}>{status ? t(`st_${status}`) : t(`state_${live.state}`)}</Badge>{' '}
            <span>
              {t('elapsed')}: <strong data-testid="live-elapsed">{fmtElapsed(now - Date.parse(live.startedAt))}</strong>
            </span>
          </p>
          {live.state === 'awaiting_approval' ? <p class="muted">{t('awaiting')}</p> : null}
          <div style={METER_OUTER} role="meter" aria-label={t('level')} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(level * 100)} data-testid="live-level">
            <div style={{ height: '100%', width: `${Math.round(level * 100)}%`, background: level > 0.85 ? 'var(--bad)' : 'var(--ok, #2e7d32)', transition: 'width 90ms linear' }} />
          </div>
          <button type="button" class="danger" style={BIG} onClick={() => void stop()} data-testid="live-stop">
            ■ {t('stop')}
          </button>
        </div>
      )}
    </section>
  );
}

function RelayCard({ request, onChange }: { request: StartCommon; onChange: () => void }) {
  const t = useT(LS);
  const [url, setUrl] = useState('');
  const [test, setTest] = useState<RelayTestResult | null>(null);
  const [testedUrl, setTestedUrl] = useState('');
  const [live, setLive] = useState<LiveSessionView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const runTest = async () => {
    setTest(null);
    const r = await post<RelayTestResult>('/api/v1/live/relay-test', { url: url.trim() });
    setTest(r);
    setTestedUrl(url.trim());
  };
  const start = async () => {
    setError(null);
    try {
      setLive(await post<LiveSessionView>('/api/v1/live', { kind: 'relay', ...request, url: url.trim() }));
      onChange();
    } catch (err) {
      setError(err);
    }
  };
  const stop = async () => {
    if (!live) return;
    setLive(await post<LiveSessionView>(`/api/v1/live/${live.id}/stop`).catch(() => null));
    onChange();
  };
  const onAir = live !== null && live.state !== 'ended';
  return (
    <section class="card" data-testid="live-relay">
      <h2>{t('relayTitle')}</h2>
      {error ? <ErrorBox error={error} /> : null}
      <Field label={t('url')}>
        <input type="url" name="url" value={url} placeholder="http://…" style={{ width: '100%', boxSizing: 'border-box' }} onInput={(e) => setUrl((e.target as HTMLInputElement).value)} data-testid="relay-url" disabled={onAir} />
      </Field>
      <ActionButton onClick={runTest} disabled={!url.trim() || onAir} data-testid="relay-test">
        {t('test')}
      </ActionButton>
      {test ? (
        <p data-testid="relay-test-result" data-code={test.code}>
          <Badge tone={test.ok ? 'ok' : 'bad'}>{t(`rt_${test.code}`)}</Badge>{' '}
          {test.ok ? <span class="muted">{[test.codec, test.bitrateKbps ? `${test.bitrateKbps} kbps` : null, test.sampleRate ? `${test.sampleRate} Hz` : null].filter(Boolean).join(' · ')}</span> : <span class="muted">{test.detail}</span>}
        </p>
      ) : null}
      {!onAir ? (
        <button type="button" class="primary" disabled={!test?.ok || testedUrl !== url.trim() || !request.areaCode} onClick={() => void start()} data-testid="relay-start">
          {t('relayStart')}
        </button>
      ) : (
        <p data-testid="relay-on-air" data-session-id={live.id}>
          <Badge tone={STATE_TONE[live.state]}>{t(`state_${live.state}`)}</Badge>{' '}
          <button type="button" class="danger" onClick={() => void stop()} data-testid="relay-stop">
            ■ {t('stop')}
          </button>
        </p>
      )}
    </section>
  );
}
