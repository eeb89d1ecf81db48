// Charts drawn as inline SVG: lines over time for time() groupings, bars
// otherwise. No library: the UI ships with the binary and loads nothing
// from elsewhere.
import { h, formatTime } from './dom.js';

const COLORS = ['#2f6fde', '#d3372c', '#1f9d55', '#d98e04', '#8e44ad', '#16a2b8', '#e4608f', '#6b7480'];
const W = 900, H = 260, L = 56, R = 12, T = 12, B = 40;

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function yAxis(max) {
  const parts = [];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4, y = T + (H - T - B) * (1 - i / 4);
    parts.push(h('line', { class: 'axis', x1: L, x2: W - R, y1: y, y2: y, 'stroke-opacity': i ? 0.25 : 1 }));
    parts.push(h('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' }, Number(v.toPrecision(4)).toString()));
  }
  return parts;
}

function legend(names) {
  return h('div', { class: 'legend' }, names.map((n, i) => {
    const s = h('span', {}, n);
    s.style.setProperty('--c', COLORS[i % COLORS.length]);
    return s;
  }));
}

/** series: [{name, points:[{t:ms, v:number}]}] */
export function timeChart(series) {
  const pts = series.flatMap(s => s.points);
  if (!pts.length) return h('div', { class: 'muted' }, 'No data to chart.');
  const t0 = Math.min(...pts.map(p => p.t)), t1 = Math.max(...pts.map(p => p.t));
  const max = niceMax(Math.max(...pts.map(p => p.v)));
  const x = t => L + (t1 === t0 ? (W - L - R) / 2 : ((t - t0) / (t1 - t0)) * (W - L - R));
  const y = v => T + (H - T - B) * (1 - v / max);
  const svg = h('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'Time series chart', class: 'chart-time' },
    yAxis(max),
    [0, 0.5, 1].map(f => h('text', { x: L + f * (W - L - R), y: H - B + 16, 'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle' },
      formatTime(new Date(t0 + f * (t1 - t0)).toISOString()).slice(5, 19))),
    series.map((s, i) => {
      const c = COLORS[i % COLORS.length];
      const sorted = [...s.points].sort((a, b) => a.t - b.t);
      return h('g', {},
        h('polyline', { fill: 'none', stroke: c, 'stroke-width': 2, points: sorted.map(p => `${x(p.t)},${y(p.v)}`).join(' ') }),
        sorted.map(p => h('circle', { cx: x(p.t), cy: y(p.v), r: 2.5, fill: c },
          h('title', {}, `${s.name}: ${p.v} at ${formatTime(new Date(p.t).toISOString())}`))));
    }));
  return h('div', {}, svg, series.length > 1 || series[0].name ? legend(series.map(s => s.name)) : null);
}

/** bars: [{label, values:[number per measure]}], measures: names */
export function barChart(bars, measures) {
  if (!bars.length) return h('div', { class: 'muted' }, 'No data to chart.');
  const shown = bars.slice(0, 50);
  const max = niceMax(Math.max(...shown.flatMap(b => b.values.filter(v => typeof v === 'number'))));
  const slot = (W - L - R) / shown.length, bw = Math.max(2, (slot * 0.8) / measures.length);
  const y = v => T + (H - T - B) * (1 - v / max);
  const svg = h('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'Bar chart', class: 'chart-bars' },
    yAxis(max),
    shown.map((b, i) => h('g', {},
      b.values.map((v, m) => typeof v !== 'number' ? null : h('rect', {
        x: L + i * slot + slot * 0.1 + m * bw, y: y(v), width: bw, height: Math.max(0, y(0) - y(v)),
        fill: COLORS[m % COLORS.length] }, h('title', {}, `${b.label} · ${measures[m]}: ${v}`))),
      shown.length <= 24 ? h('text', { x: L + (i + 0.5) * slot, y: H - B + 16, 'text-anchor': 'middle' },
        String(b.label).slice(0, Math.max(4, Math.floor(slot / 7)))) : null)));
  return h('div', {}, svg, legend(measures));
}
