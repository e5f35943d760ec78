/**
 * Hand-drawn SVG line charts: a few dozen points per series, redrawn every poll. Small enough
 * that no charting library is worth its weight in the bundle.
 */
import { h, s } from './dom.js';

/** One line of a chart. `values` are oldest first; `undefined` leaves a gap. */
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: readonly (number | undefined)[];
}

/** Options of {@link lineChart}. */
export interface ChartOptions {
  /** Number of slots on the x axis (the history length). */
  readonly slots: number;
  /** Fixed y range; the max is rounded up to a nice number when absent. */
  readonly yMin?: number;
  readonly yMax?: number;
  readonly format: (v: number) => string;
  readonly fill?: boolean;
  /** Label of the oldest slot, e.g. `2 min`. */
  readonly span: string;
}

const W = 360;
const H = 110;
const PAD_L = 44;
const PAD_R = 6;
const PAD_T = 8;
const PAD_B = 16;

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * mag) return m * mag;
  return 10 * mag;
}

/** Draws `series` as an SVG line chart with a legend. */
export function lineChart(title: string, series: readonly Series[], o: ChartOptions): HTMLElement {
  const all = series.flatMap((x) =>
    x.values.filter((v): v is number => v !== undefined && Number.isFinite(v)),
  );
  const yMin = o.yMin ?? 0;
  const yMax = o.yMax ?? niceMax(Math.max(...all, 0) * 1.1);
  const span = yMax - yMin || 1;
  const x = (i: number) => PAD_L + ((W - PAD_L - PAD_R) * i) / Math.max(1, o.slots - 1);
  const y = (v: number) =>
    PAD_T + (H - PAD_T - PAD_B) * (1 - (Math.min(Math.max(v, yMin), yMax) - yMin) / span);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  for (let g = 0; g <= 2; g++) {
    const v = yMin + (span * g) / 2;
    svg.append(s('line', { x1: PAD_L, x2: W - PAD_R, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(s('text', { x: PAD_L - 6, y: y(v) + 3, class: 'axis', 'text-anchor': 'end' }, o.format(v)));
  }
  svg.append(s('text', { x: PAD_L, y: H - 3, class: 'axis' }, o.span));
  svg.append(s('text', { x: W - PAD_R, y: H - 3, class: 'axis', 'text-anchor': 'end' }, 'now'));
  for (const ser of series) {
    // Right-align the history so the newest point is always at "now".
    const offset = o.slots - ser.values.length;
    let d = '';
    let pen = false;
    let first = -1;
    let last = -1;
    ser.values.forEach((v, i) => {
      if (v === undefined || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i + offset).toFixed(1)},${y(v).toFixed(1)}`;
      if (first < 0) first = i;
      last = i;
      pen = true;
    });
    if (d === '') continue;
    if (o.fill === true && first >= 0) {
      const area = `${d}L${x(last + offset).toFixed(1)},${y(yMin)}L${x(first + offset).toFixed(1)},${y(yMin)}Z`;
      svg.append(s('path', { d: area, fill: ser.color, 'fill-opacity': 0.12, stroke: 'none' }));
    }
    svg.append(s('path', { d, stroke: ser.color, class: 'line' }));
  }
  const legend = h(
    'div',
    { class: 'legend' },
    series.map((ser) => {
      const latest = [...ser.values].reverse().find((v) => v !== undefined);
      const swatch = h('i');
      swatch.style.background = ser.color; // CSSOM, not a style attribute: allowed by the page's CSP
      return h(
        'span',
        null,
        swatch,
        `${ser.label} `,
        h('b', { class: 'val' }, latest === undefined ? '—' : o.format(latest)),
      );
    }),
  );
  return h('figure', { class: 'chart-box' }, h('figcaption', null, title), svg, legend);
}
