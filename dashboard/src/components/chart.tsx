import type { RefObject } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { zonedParts } from '../format.js';
import { getLang } from '../i18n.js';

/**
 * A small dependency-free SVG line chart: time on x (Vietnam wall clock), min/max labels on y, several series, a
 * break in the line wherever samples are missing, and the values under the pointer on hover.
 */
export interface ChartPoint {
  /** Epoch ms. */
  t: number;
  /** null or NaN: no value at this instant (skipped; the line only breaks on a time gap). */
  v: number | null;
}

export interface ChartSeries {
  name: string;
  color: string;
  points: ChartPoint[];
}

export interface LineChartProps {
  series: ChartSeries[];
  /** The x range (epoch ms); defaults to the data's extent. */
  from?: number;
  to?: number;
  /** Formats a value for the axis and the tooltip (unit included). */
  format?: (v: number) => string;
  /** Lines break where two samples are further apart than this; default: 3 × the median interval. */
  gapMs?: number;
  height?: number;
  /** Fixed y bounds (otherwise the data's min/max, padded). */
  yMin?: number;
  yMax?: number;
  /** Drawn when no series has a point. */
  emptyText?: string;
  testId?: string;
}

const PAD = { left: 52, right: 10, top: 10, bottom: 22 };
/** More points than this per series are averaged into buckets first (an SVG path of 60,000 points is slow). */
const MAX_POINTS = 800;

const finite = (p: ChartPoint): p is { t: number; v: number } => p.v !== null && Number.isFinite(p.v) && Number.isFinite(p.t);

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Averages points into equal time buckets when there are too many; empty buckets stay empty. */
export function downsample(points: Array<{ t: number; v: number }>, from: number, to: number, max = MAX_POINTS): Array<{ t: number; v: number }> {
  if (points.length <= max || to <= from) return points;
  const width = (to - from) / max;
  const sums = new Map<number, { t: number; v: number; n: number }>();
  for (const p of points) {
    const b = Math.min(max - 1, Math.max(0, Math.floor((p.t - from) / width)));
    const s = sums.get(b);
    if (s) {
      s.t += p.t;
      s.v += p.v;
      s.n += 1;
    } else sums.set(b, { t: p.t, v: p.v, n: 1 });
  }
  return [...sums.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => ({ t: s.t / s.n, v: s.v / s.n }));
}

/** Splits a sorted series into runs without gaps longer than `gapMs`. */
function runs(points: Array<{ t: number; v: number }>, gapMs: number): Array<Array<{ t: number; v: number }>> {
  const out: Array<Array<{ t: number; v: number }>> = [];
  let cur: Array<{ t: number; v: number }> = [];
  let prev: number | null = null;
  for (const p of points) {
    if (prev !== null && p.t - prev > gapMs) {
      out.push(cur);
      cur = [];
    }
    cur.push(p);
    prev = p.t;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Tick instants on round Vietnam-time boundaries (minutes, hours or days) for the span. */
function timeTicks(from: number, to: number, maxTicks: number): number[] {
  const span = to - from;
  const MIN = 60_000;
  const H = 60 * MIN;
  const steps = [5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, H, 2 * H, 3 * H, 6 * H, 12 * H, 24 * H, 48 * H, 7 * 24 * H];
  const step = steps.find((s) => span / s <= maxTicks) ?? steps[steps.length - 1]!;
  // Vietnam is UTC+7 without daylight saving: round on the shifted clock.
  const OFFSET = 7 * H;
  const first = Math.ceil((from + OFFSET) / step) * step - OFFSET;
  const out: number[] = [];
  for (let t = first; t <= to; t += step) out.push(t);
  return out;
}

function tickLabel(t: number, span: number): string {
  const p = zonedParts(new Date(t));
  const two = (n: number) => String(n).padStart(2, '0');
  if (span > 2 * 86_400_000) return p.hh === 0 && p.mm === 0 ? `${two(p.day)}/${two(p.m)}` : `${two(p.day)}/${two(p.m)} ${two(p.hh)}h`;
  return `${two(p.hh)}:${two(p.mm)}`;
}

function hoverLabel(t: number): string {
  const p = zonedParts(new Date(t));
  const two = (n: number) => String(n).padStart(2, '0');
  return getLang() === 'vi' ? `${two(p.hh)}:${two(p.mm)} ngày ${two(p.day)}/${two(p.m)}` : `${two(p.day)}/${two(p.m)} ${two(p.hh)}:${two(p.mm)}`;
}

const defaultFormat = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** The container's width in CSS pixels, followed as it resizes (also the bar chart's, bar-chart.tsx). */
export function useWidth(): [RefObject<HTMLDivElement>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [w, setW] = useState(600);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setW(Math.max(200, Math.floor(el.clientWidth)));
    measure();
    if (typeof ResizeObserver === 'undefined') {
      window.addEventListener('resize', measure);
      return () => window.removeEventListener('resize', measure);
    }
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, w];
}

export function LineChart({ series, from, to, format = defaultFormat, gapMs, height = 160, yMin, yMax, emptyText, testId }: LineChartProps) {
  const [ref, width] = useWidth();
  const [hover, setHover] = useState<number | null>(null);

  const prepared = useMemo(() => {
    const clean = series.map((s) => ({ ...s, pts: s.points.filter(finite).sort((a, b) => a.t - b.t) }));
    const all = clean.flatMap((s) => s.pts);
    const x0 = from ?? Math.min(...all.map((p) => p.t));
    const x1 = to ?? Math.max(...all.map((p) => p.t));
    const shown = clean.map((s) => ({ ...s, pts: downsample(s.pts.filter((p) => p.t >= x0 && p.t <= x1), x0, x1) }));
    const vals = shown.flatMap((s) => s.pts.map((p) => p.v));
    let lo = yMin ?? Math.min(...vals);
    let hi = yMax ?? Math.max(...vals);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      lo = 0;
      hi = 1;
    }
    if (hi === lo) {
      const pad = Math.abs(hi) > 0 ? Math.abs(hi) * 0.1 : 1;
      if (yMin === undefined) lo -= pad;
      if (yMax === undefined) hi += pad;
    } else {
      const pad = (hi - lo) * 0.08;
      if (yMin === undefined) lo -= pad;
      if (yMax === undefined) hi += pad;
    }
    const gaps = shown.map((s) => {
      if (gapMs !== undefined) return gapMs;
      const d: number[] = [];
      for (let i = 1; i < s.pts.length; i++) d.push(s.pts[i]!.t - s.pts[i - 1]!.t);
      return Math.max(3 * median(d), 1000);
    });
    return { shown, x0, x1, lo, hi, gaps, count: vals.length };
  }, [series, from, to, gapMs, yMin, yMax]);

  const { shown, x0, x1, lo, hi, gaps, count } = prepared;
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const span = Math.max(1, x1 - x0);
  const x = (t: number) => PAD.left + ((t - x0) / span) * plotW;
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo || 1)) * plotH;
  const ticks = count > 0 ? timeTicks(x0, x1, Math.max(2, Math.floor(plotW / 70))) : [];

  // Nearest sample of each series to the pointer (within that series' gap).
  const near =
    hover === null
      ? []
      : shown
          .map((s, i) => {
            let best: { t: number; v: number } | null = null;
            for (const p of s.pts) if (!best || Math.abs(p.t - hover) < Math.abs(best.t - hover)) best = p;
            return best && Math.abs(best.t - hover) <= Math.max(gaps[i] ?? 0, span * 0.02) ? { s, p: best } : null;
          })
          .filter((n): n is { s: (typeof shown)[number]; p: { t: number; v: number } } => n !== null);

  const onMove = (e: PointerEvent) => {
    const rect = (e.currentTarget as SVGElement).getBoundingClientRect();
    const px = e.clientX - rect.left;
    if (px < PAD.left || px > width - PAD.right || count === 0) return setHover(null);
    setHover(x0 + ((px - PAD.left) / plotW) * span);
  };

  const tipX = near[0] ? x(near[0].p.t) : 0;
  return (
    <div ref={ref} style={{ position: 'relative', width: '100%' }} data-testid={testId}>
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        class="chart"
        style={{ height: `${height}px`, display: 'block', touchAction: 'pan-y' }}
        onPointerMove={onMove}
        onPointerDown={onMove}
        onPointerLeave={() => setHover(null)}
        role="img"
      >
        {/* y axis: max at the top, min at the bottom, a middle guide */}
        <line x1={PAD.left} x2={width - PAD.right} y1={PAD.top} y2={PAD.top} stroke="#eef0f2" />
        <line x1={PAD.left} x2={width - PAD.right} y1={PAD.top + plotH / 2} y2={PAD.top + plotH / 2} stroke="#eef0f2" />
        <line x1={PAD.left} x2={width - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} stroke="#d9dee4" />
        <line x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={PAD.top + plotH} stroke="#d9dee4" />
        {count > 0 ? (
          <>
            <text x={PAD.left - 4} y={PAD.top + 4} text-anchor="end" font-size="11" fill="#5b6775">
              {format(hi)}
            </text>
            <text x={PAD.left - 4} y={PAD.top + plotH} text-anchor="end" font-size="11" fill="#5b6775">
              {format(lo)}
            </text>
          </>
        ) : null}
        {ticks.map((t) => (
          <g key={t}>
            <line x1={x(t)} x2={x(t)} y1={PAD.top + plotH} y2={PAD.top + plotH + 4} stroke="#9aa4af" />
            <text x={x(t)} y={height - 6} text-anchor="middle" font-size="11" fill="#5b6775">
              {tickLabel(t, span)}
            </text>
          </g>
        ))}
        {shown.map((s, i) =>
          runs(s.pts, gaps[i] ?? Infinity).map((run, j) =>
            run.length === 1 ? (
              <circle key={`${i}-${j}`} cx={x(run[0]!.t)} cy={y(run[0]!.v)} r={2} fill={s.color} />
            ) : (
              <path key={`${i}-${j}`} d={run.map((p, k) => `${k ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('')} fill="none" stroke={s.color} stroke-width={1.6} stroke-linejoin="round" />
            ),
          ),
        )}
        {near.length ? (
          <>
            <line x1={tipX} x2={tipX} y1={PAD.top} y2={PAD.top + plotH} stroke="#9aa4af" stroke-dasharray="3 3" />
            {near.map((n) => (
              <circle key={n.s.name} cx={x(n.p.t)} cy={y(n.p.v)} r={3.5} fill="#fff" stroke={n.s.color} stroke-width={2} />
            ))}
          </>
        ) : null}
        {count === 0 && emptyText ? (
          <text x={PAD.left + plotW / 2} y={PAD.top + plotH / 2 + 4} text-anchor="middle" font-size="13" fill="#5b6775">
            {emptyText}
          </text>
        ) : null}
      </svg>
      {near.length ? (
        <div
          style={{
            position: 'absolute',
            top: '4px',
            ...(tipX > width / 2 ? { right: `${width - tipX + 8}px` } : { left: `${tipX + 8}px` }),
            background: 'rgba(255,255,255,.95)',
            border: '1px solid #d9dee4',
            borderRadius: '6px',
            padding: '2px 6px',
            fontSize: '12px',
            pointerEvents: 'none',
            whiteSpace: 'nowrap',
          }}
        >
          <div class="muted">{hoverLabel(near[0]!.p.t)}</div>
          {near.map((n) => (
            <div key={n.s.name}>
              <span style={{ color: n.s.color }}>●</span> {shown.length > 1 ? `${n.s.name}: ` : ''}
              <b>{format(n.p.v)}</b>
            </div>
          ))}
        </div>
      ) : null}
      {shown.length > 1 ? (
        <div class="small muted" style={{ display: 'flex', gap: '.75rem', flexWrap: 'wrap', marginTop: '.25rem' }}>
          {shown.map((s) => (
            <span key={s.name}>
              <span style={{ color: s.color }}>●</span> {s.name}
            </span>
          ))}
        </div>
      ) : null}
    </div>
  );
}
