// A stacked bar chart by UTC day, drawn by uPlot. The bars' heights are floats (pixels need no more);
// the legend shows each bucket's exact value as the API gave it.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';

// Okabe-Ito, distinguishable with the common colour-vision deficiencies, then a few darker extras.
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#7A5195', '#2F4B7C', '#A05195', '#665191', '#003F5C', '#8C564B'];

/**
 * days: ['YYYY-MM-DD', ...]; series: [{ label, values: [number per day], exact: [string per day], total: string }];
 * unit: 'cost' | 'tokens'. Away from the bars, the legend shows each series' total over the range.
 */
export function StackedDailyChart({ title, days, series, unit, height = 260 }) {
  const holder = useRef(null);
  useEffect(() => {
    const element = holder.current;
    if (!element) return undefined;
    const xs = days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000);
    // Series i is drawn as the sum of series i..n, tallest first, so each bar shows its own slice on top
    // of the ones after it.
    const stacked = series.map((_, index) => days.map((__, day) => series.slice(index).reduce((sum, s) => sum + (s.values[day] ?? 0), 0)));
    const bars = uPlot.paths.bars({ size: [0.7, 60], align: 0 });
    const formatAxis = unit === 'cost' ? (value) => `$${+value.toPrecision(6)}` : (value) => new Intl.NumberFormat('en-US', { notation: 'compact' }).format(value);
    const options = {
      title,
      width: Math.max(280, element.clientWidth),
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: '#39414d', grid: { stroke: '#e3e6ea' }, ticks: { stroke: '#c9ced6' } },
        { stroke: '#39414d', grid: { stroke: '#e3e6ea' }, ticks: { stroke: '#c9ced6' }, size: 70, values: (_u, splits) => splits.map(formatAxis) },
      ],
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      legend: { live: true },
      series: [
        { label: 'Day (UTC)', value: (_u, ts) => (ts === null || ts === undefined ? `${days[0]} to ${days.at(-1)}` : new Date(ts * 1000).toISOString().slice(0, 10)) },
        ...series.map((s, index) => ({
          label: s.label,
          stroke: PALETTE[index % PALETTE.length],
          fill: PALETTE[index % PALETTE.length],
          width: 0,
          paths: bars,
          points: { show: false },
          value: (_u, _raw, _seriesIndex, day) => {
            const exact = day === null || day === undefined ? s.total : s.exact[day];
            return exact === undefined || exact === null ? '—' : unit === 'cost' ? `$${exact}` : exact;
          },
        })),
      ],
    };
    const plot = new uPlot(options, [xs, ...stacked], element);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [title, unit, height, JSON.stringify(days), JSON.stringify(series)]);
  return html`<div class="chart" ref=${holder}></div>`;
}
