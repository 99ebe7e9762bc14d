import { useEffect, useState } from 'preact/hooks';
import { PRACTICE_API_PREFIX, VIRTUAL_DEVICE_FAULTS, type DashboardConfig, type VirtualDeviceFault, type VirtualDeviceView, type VirtualPlaybackView } from '@loa/shared/rest';
import { get, put } from '../api.js';
import { fmtDateTimeSeconds } from '../format.js';
import { defineStrings, useT } from '../i18n.js';
import { inPractice } from '../practice-mode.js';
import { AudioPlayer } from '../pages/content-shared.js';
import { Badge, ErrorBox, Loading, toneOf, useAsync } from '../ui.js';

const S = defineStrings({
  vi: {
    title: 'Thiết bị ảo',
    intro: 'Trong chế độ thực hành, thiết bị này là thiết bị ảo do máy chủ tự chạy: nó phát đúng giờ và báo cáo như thiết bị thật, nhưng không phát ra loa thật nào.',
    connected: 'Đang kết nối',
    disconnected: 'Mất kết nối',
    fault: 'Lỗi giả lập',
    none: 'Không lỗi',
    offline: 'Mất kết nối (mất điện, mất mạng)',
    'no-media': 'Không có tệp âm thanh',
    silence: 'Phát nhưng không ra tiếng',
    saving: 'Đang lưu…',
    recent: 'Đã phát gần đây',
    noRecent: 'Chưa phát gì',
    level: 'Mức âm thanh đo được: {lufs} LUFS',
    silent: '(im lặng)',
    refresh: 'Làm mới',
    outcome_playing: 'Đang phát',
    outcome_finished: 'Phát xong',
    outcome_failed: 'Lỗi',
    outcome_preempted: 'Bị ngắt',
    outcome_skipped: 'Bỏ qua',
    outcome_expired: 'Quá hạn',
  },
  en: {
    title: 'Virtual device',
    intro: 'In practice mode this device is a virtual one the server runs itself: it plays on time and reports like a real one, but no real speaker plays anything.',
    connected: 'Connected',
    disconnected: 'Disconnected',
    fault: 'Simulated fault',
    none: 'No fault',
    offline: 'Offline (power or network lost)',
    'no-media': 'Audio file missing',
    silence: 'Plays but no sound comes out',
    saving: 'Saving…',
    recent: 'Played recently',
    noRecent: 'Nothing played yet',
    level: 'Measured output level: {lufs} LUFS',
    silent: '(silence)',
    refresh: 'Refresh',
    outcome_playing: 'Playing',
    outcome_finished: 'Finished',
    outcome_failed: 'Failed',
    outcome_preempted: 'Interrupted',
    outcome_skipped: 'Skipped',
    outcome_expired: 'Expired',
  },
});

/** The server's silence alarm threshold default (LOA_ALARM_SILENCE_LUFS): below it nothing audible came out. */
const SILENCE_BELOW_LUFS = -50;

/**
 * Whether the dashboard talks to a practice instance: its `/api/v1/dashboard/config` says `practice: true`. Read once;
 * a server before issue 21 does not say it, which counts as "not practice".
 */
let practiceOnce: Promise<boolean> | null = null;
function isPracticeInstance(): Promise<boolean> {
  if (!inPractice()) return Promise.resolve(false);
  practiceOnce ??= get<DashboardConfig>('/api/v1/dashboard/config').then(
    (c) => (c as { practice?: unknown }).practice === true,
    () => false,
  );
  return practiceOnce;
}

/**
 * The practice instance's own routes live under /api/v1/practice/ there, a prefix the main server keeps for itself:
 * so they are named through the practice proxy explicitly.
 */
const virtualPath = (deviceId: string, rest = ''): string => `${PRACTICE_API_PREFIX}/v1/practice/devices/${encodeURIComponent(deviceId)}${rest}`;

/**
 * Issue 21: on the device page in practice mode, the virtual device behind it — its connection, the fault a lesson
 * (or the trainee) puts on it, and what it played last, with the audio to listen to and the board's text. Nothing
 * outside practice mode.
 */
export function VirtualDevicePanel({ deviceId }: { deviceId: string }) {
  const [practice, setPractice] = useState(false);
  useEffect(() => {
    let alive = true;
    void isPracticeInstance().then((p) => alive && setPractice(p));
    return () => {
      alive = false;
    };
  }, []);
  return practice ? <Panel deviceId={deviceId} /> : null;
}

function Panel({ deviceId }: { deviceId: string }) {
  const t = useT(S);
  const v = useAsync(() => get<VirtualDeviceView>(virtualPath(deviceId)), [deviceId]);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // What a virtual device plays changes by itself: look again every few seconds while the page is open.
  useEffect(() => {
    const timer = setInterval(() => v.reload(), 5000);
    return () => clearInterval(timer);
  }, [deviceId]);

  const setFault = async (fault: VirtualDeviceFault) => {
    setSaving(true);
    setError(null);
    try {
      const next = await put<VirtualDeviceView>(virtualPath(deviceId, '/fault'), { fault });
      v.set(() => next);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  const d = v.data;
  return (
    <div class="card" data-testid="virtual-device-panel">
      <h2>
        {t('title')}{' '}
        {d ? (
          <Badge tone={d.connected ? 'ok' : 'bad'}>
            <span data-testid="virtual-connected" data-connected={String(d.connected)}>
              {d.connected ? t('connected') : t('disconnected')}
            </span>
          </Badge>
        ) : null}
      </h2>
      <p class="muted small">{t('intro')}</p>
      <ErrorBox error={v.error ?? error} />
      <Loading when={v.loading && !d} />
      {d ? (
        <>
          <div class="row" style={{ alignItems: 'center', gap: '.5rem', flexWrap: 'wrap' }}>
            <label style={{ display: 'flex', alignItems: 'center', gap: '.5rem', flex: '1 1 16rem', maxWidth: '28rem' }}>
              <span class="field-label">{t('fault')}</span>
              <select data-testid="virtual-fault" value={d.fault} disabled={saving} onChange={(e) => void setFault((e.currentTarget as HTMLSelectElement).value as VirtualDeviceFault)} style={{ flex: 1, minWidth: 0 }}>
                {VIRTUAL_DEVICE_FAULTS.map((f) => (
                  <option key={f} value={f}>
                    {t(f)}
                  </option>
                ))}
              </select>
            </label>
            {saving ? <span class="muted small">{t('saving')}</span> : null}
            <button type="button" onClick={() => v.reload()} disabled={v.loading}>
              {t('refresh')}
            </button>
          </div>
          <h3 style={{ marginTop: '1rem' }}>{t('recent')}</h3>
          {d.recent.length === 0 ? <p class="muted empty">{t('noRecent')}</p> : null}
          <ul style={{ listStyle: 'none', padding: 0, margin: 0, display: 'flex', flexDirection: 'column', gap: '.75rem' }} data-testid="virtual-recent">
            {d.recent.map((r) => (
              <PlaybackItem key={`${r.occurrenceId}-${r.startedAt ?? r.endedAt ?? ''}`} r={r} />
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

function PlaybackItem({ r }: { r: VirtualPlaybackView }) {
  const t = useT(S);
  const silent = r.outputLevelLufs !== null && r.outputLevelLufs < SILENCE_BELOW_LUFS;
  return (
    <li data-testid="virtual-playback" data-outcome={r.outcome} data-occurrence={r.occurrenceId} style={{ borderTop: '1px solid var(--border, #ddd)', paddingTop: '.5rem', minWidth: 0 }}>
      <div style={{ display: 'flex', gap: '.5rem', flexWrap: 'wrap', alignItems: 'baseline' }}>
        <strong style={{ overflowWrap: 'anywhere' }}>{r.title}</strong>
        <Badge tone={r.outcome === 'playing' ? 'info' : toneOf(r.outcome)}>{t(`outcome_${r.outcome}` as const)}</Badge>
        <span class="muted small">{fmtDateTimeSeconds(r.startedAt ?? r.endedAt)}</span>
      </div>
      {r.reason ? <div class="small" style={{ overflowWrap: 'anywhere' }}>{r.reason}</div> : null}
      {r.outputLevelLufs !== null ? (
        <div class={silent ? 'small error' : 'muted small'}>
          {t('level', { lufs: r.outputLevelLufs.toFixed(1) })} {silent ? t('silent') : ''}
        </div>
      ) : null}
      {r.type === 'audio' && r.mediaSha256 ? <AudioPlayer sha256={r.mediaSha256} /> : null}
      {r.type === 'text' && r.text ? (
        <div data-testid="virtual-board-text" style={{ background: '#111', color: '#ffd54a', padding: '.75rem', borderRadius: '.25rem', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontSize: '1.1rem' }}>
          {r.text}
        </div>
      ) : null}
    </li>
  );
}
