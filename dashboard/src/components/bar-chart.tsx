import { useWidth } from './chart.js';

/**
 * A small dependency-free SVG bar chart for shares (0..1) by category (a day, a month, an area): one bar per item,
 * a dashed target line, bars under the target drawn in the warning colour, the value in each bar's title (hover,
 * long-press) and the axis labels that fit under the bars, at the container's width, so it fits a phone.
 */
export interface Bar {
  /** Axis label ("01", "T11", a commune's name). */
  label: string;
  /** 0..1; null: nothing due (an empty slot, not a zero). */
  value: number | null;
  /** Full text for the title (tooltip). */
  title?: string;
}

export interface BarChartProps {
  bars: Bar[];
  /** Values at or above this are "met" (default 1, the KH 179 100 %). */
  target?: number;
  height?: number;
  format?: (v: number) => string;
  emptyText?: string;
  testId?: string;
}

const PAD = { left: 38, right: 6, top: 8, bottom: 22 };

export function BarChart({ bars, target = 1, height = 180, format = (v) => `${Math.round(v * 100)}%`, emptyText = '—', testId }: BarChartProps) {
  // Drawn at the container's own width, so labels keep their size on a phone instead of being squeezed.
  const [ref, width] = useWidth();
  const innerW = width - PAD.left - PAD.right;
  const innerH = height - PAD.top - PAD.bottom;
  const y = (v: number) => PAD.top + innerH * (1 - Math.max(0, Math.min(1, v)));
  const slot = bars.length > 0 ? innerW / bars.length : innerW;
  const barW = Math.max(2, Math.min(40, slot * 0.7));
  // Every label when they fit, else every k-th one.
  const every = Math.max(1, Math.ceil((bars.length * 26) / innerW));
  const hasValue = bars.some((b) => b.value !== null);
  return (
    <div ref={ref} class="bar-chart-box">
      <svg class="bar-chart" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" data-testid={testId} data-bars={bars.length}>
        {[0, 0.5, 1].map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={width - PAD.right} y1={y(t)} y2={y(t)} class="bar-grid" />
            <text x={PAD.left - 4} y={y(t) + 4} text-anchor="end" class="bar-axis">
              {format(t)}
            </text>
          </g>
        ))}
        {bars.map((b, i) => {
          const x = PAD.left + slot * i + (slot - barW) / 2;
          const v = b.value;
          return (
            <g key={i} data-bar={b.label} data-value={v === null ? '' : v.toFixed(4)}>
              <title>{b.title ?? `${b.label}: ${v === null ? '—' : format(v)}`}</title>
              {v === null ? (
                <rect x={x} y={y(0) - 2} width={barW} height={2} class="bar-none" />
              ) : (
                <rect x={x} y={y(v)} width={barW} height={Math.max(1, y(0) - y(v))} class={v >= target ? 'bar-ok' : 'bar-low'} />
              )}
              {i % every === 0 ? (
                <text x={x + barW / 2} y={height - 6} text-anchor="middle" class="bar-axis">
                  {b.label}
                </text>
              ) : null}
            </g>
          );
        })}
        {target <= 1 ? <line x1={PAD.left} x2={width - PAD.right} y1={y(target)} y2={y(target)} class="bar-target" /> : null}
        {!hasValue ? (
          <text x={width / 2} y={height / 2} text-anchor="middle" class="bar-axis">
            {emptyText}
          </text>
        ) : null}
      </svg>
    </div>
  );
}
