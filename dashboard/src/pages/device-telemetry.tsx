import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { LineChart, type ChartPoint } from '../components/chart.js';
import { fmtBytes } from '../format.js';
import { defineStrings, useT } from '../i18n.js';
import { useLive } from '../live.js';
import type { TelemetryView } from '@loa/shared/rest';
import { ErrorBox, Loading, useAsync } from '../ui.js';
import type { TelemetryEvent } from './device-common.js';

const S = defineStrings({
  vi: {
    title: 'Thông số vận hành',
    r1h: '1 giờ',
    r24h: '24 giờ',
    r7d: '7 ngày',
    volume: 'Âm lượng',
    lufs: 'Mức âm thanh đầu ra (LUFS)',
    temp: 'Nhiệt độ (°C)',
    disk: 'Dung lượng trống',
    offset: 'Độ lệch đồng hồ (ms)',
    noData: 'Không có số liệu',
    samples: '{n} mẫu',
    truncated: 'Quá nhiều mẫu: chỉ hiển thị {n} mẫu đầu tiên của khoảng thời gian',
  },
  en: {
    title: 'Telemetry',
    r1h: '1 h',
    r24h: '24 h',
    r7d: '7 d',
    volume: 'Volume',
    lufs: 'Output level (LUFS)',
    temp: 'Temperature (°C)',
    disk: 'Free disk',
    offset: 'Clock offset (ms)',
    noData: 'No data',
    samples: '{n} samples',
    truncated: 'Too many samples: only the first {n} of the range are shown',
  },
});

const RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
type Range = keyof typeof RANGES;
const PAGE = 10_000;
const MAX_PAGES = 8;
const MB = 1024 * 1024;

/** Every sample of the range, oldest first, a page of 10,000 at a time (7 days at one a minute is two pages). */
async function loadRange(deviceId: string, from: number): Promise<{ samples: TelemetryView[]; truncated: boolean }> {
  const samples: TelemetryView[] = [];
  let cursor = new Date(from).toISOString();
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await get<TelemetryView[]>(`/api/v1/devices/${encodeURIComponent(deviceId)}/telemetry`, { from: cursor, limit: PAGE });
    samples.push(...page);
    const last = page[page.length - 1];
    if (page.length < PAGE || !last) return { samples, truncated: false };
    cursor = new Date(Date.parse(last.at) + 1).toISOString();
  }
  return { samples, truncated: true };
}

const series = (samples: TelemetryView[], pick: (s: TelemetryView) => number | null): ChartPoint[] => samples.map((s) => ({ t: Date.parse(s.at), v: pick(s) }));

export function TelemetryCharts({ deviceId }: { deviceId: string }) {
  const t = useT(S);
  const [range, setRange] = useState<Range>('1h');
  const [now, setNow] = useState(Date.now());
  const data = useAsync(() => {
    const at = Date.now();
    setNow(at);
    return loadRange(deviceId, at - RANGES[range]);
  }, [deviceId, range]);

  // A live sample extends the charts (the stream sends at most one per device every 10 s).
  useLive('device.telemetry', (raw) => {
    const e = raw as unknown as TelemetryEvent;
    if (e.deviceId !== deviceId) return;
    data.set((prev) => {
      if (!prev || prev.samples.some((s) => s.at === e.at)) return prev;
      const sample: TelemetryView = {
        at: e.at,
        receivedAt: e.at,
        uptimeS: 0,
        timelineVersion: null,
        playing: e.playing,
        volume: e.volume,
        muted: e.muted,
        freeDiskBytes: e.diskFreeMb === null ? null : Math.round(e.diskFreeMb * MB),
        rssBytes: e.rssMb === null ? null : Math.round(e.rssMb * MB),
        clockOffsetMs: null,
        outboxSize: null,
        agentVersion: null,
        outputLevelLufs: e.outputLevelLufs,
        signalDbm: null,
        temperatureC: e.temperatureC,
      };
      return { ...prev, samples: [...prev.samples, sample] };
    });
    setNow(Math.max(Date.now(), Date.parse(e.at)));
  });
  // Slide the window forward while the page stays open.
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(id);
  }, []);

  const samples = data.data?.samples ?? [];
  const from = now - RANGES[range];
  const charts = [
    { key: 'volume', title: t('volume'), points: series(samples, (s) => s.volume), color: '#1f5fa8', format: (v: number) => v.toFixed(0), yMin: 0, yMax: 100 },
    { key: 'lufs', title: t('lufs'), points: series(samples, (s) => s.outputLevelLufs), color: '#7b3fa0', format: (v: number) => v.toFixed(1) },
    { key: 'temperature', title: t('temp'), points: series(samples, (s) => s.temperatureC), color: '#b3261e', format: (v: number) => `${v.toFixed(1)}°` },
    { key: 'disk', title: t('disk'), points: series(samples, (s) => s.freeDiskBytes), color: '#1b7f3b', format: (v: number) => fmtBytes(Math.round(v)) },
    { key: 'offset', title: t('offset'), points: series(samples, (s) => s.clockOffsetMs), color: '#a35f00', format: (v: number) => `${v.toFixed(0)}` },
  ];
  return (
    <div class="card" data-testid="telemetry">
      <div style={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', justifyContent: 'space-between', gap: '.5rem', marginBottom: '.5rem' }}>
        <h2 style={{ margin: 0 }}>{t('title')}</h2>
        <div class="tabs" style={{ marginBottom: 0, borderBottom: 'none' }} role="tablist">
          {(Object.keys(RANGES) as Range[]).map((r) => (
            <button key={r} type="button" role="tab" aria-selected={r === range} class={r === range ? 'active' : ''} data-testid={`range-${r}`} onClick={() => setRange(r)}>
              {t(`r${r}` as 'r1h')}
            </button>
          ))}
        </div>
      </div>
      <ErrorBox error={data.error} />
      <Loading when={data.loading && !data.data} />
      {data.data?.truncated ? <p class="muted small">{t('truncated', { n: samples.length })}</p> : null}
      <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(min(100%, 24rem), 1fr))', gap: '.75rem 1rem', opacity: data.loading ? 0.6 : 1 }}>
        {charts.map((c) => (
          <div key={c.key}>
            <h3 class="small" style={{ margin: '0 0 .25rem' }}>
              {c.title}
            </h3>
            <LineChart series={[{ name: c.title, color: c.color, points: c.points }]} from={from} to={now} format={c.format} yMin={c.yMin} yMax={c.yMax} emptyText={t('noData')} height={150} testId={`chart-${c.key}`} />
          </div>
        ))}
      </div>
      {data.data ? <p class="muted small" style={{ margin: '.5rem 0 0' }}>{t('samples', { n: samples.length })}</p> : null}
    </div>
  );
}
