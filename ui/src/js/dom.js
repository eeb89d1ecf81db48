// Tiny DOM helpers: build elements without innerHTML, so event data can
// never inject markup, and without style attributes (the page's CSP forbids
// inline styles; element.style from script is allowed).

/** h('div', {class: 'x', onclick: f}, child, 'text', [more]) */
export function h(tag, attrs, ...children) {
  const svg = ['svg', 'g', 'line', 'rect', 'path', 'text', 'polyline', 'circle', 'title'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'style') Object.assign(el.style, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && !svg && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces the children of `el`. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** Formats an ISO timestamp as local "YYYY-MM-DD HH:MM:SS.mmm". */
export function formatTime(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return String(iso ?? '');
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Parses .NET TimeSpan text "[d.]hh:mm:ss[.fffffff]" into milliseconds. */
export function parseTimeSpan(text) {
  const m = /^(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(text || '');
  if (!m) return 0;
  return ((Number(m[1] || 0) * 24 + Number(m[2])) * 60 + Number(m[3])) * 60000 + Number(m[4]) * 1000;
}

/** "1.23 s", "45.6 ms", "12 µs". */
export function formatDuration(ms) {
  if (ms >= 60000) return `${(ms / 60000).toFixed(1)} min`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
  return `${Math.round(ms * 1000)} µs`;
}

/** Quotes a value as a filter-language literal. */
export function filterLiteral(v) {
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  return `'${JSON.stringify(v).replaceAll("'", "''")}'`;
}

/** A property name as the filter language accepts it. */
export function filterName(name) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `@Properties['${name.replaceAll("'", "''")}']`;
}

/** Time range choices shared by Events and Queries. */
export const RANGES = [
  ['15m', 'Last 15 minutes', 15 * 60e3], ['1h', 'Last hour', 3600e3], ['24h', 'Last 24 hours', 864e5],
  ['7d', 'Last 7 days', 7 * 864e5], ['30d', 'Last 30 days', 30 * 864e5], ['all', 'All time', 0],
  ['custom', 'Custom…', 0],
];

/** A range picker; `get()` returns {from, to} ISO strings or undefined. */
export function rangePicker(initial = 'all', onChange = () => {}) {
  const select = h('select', { 'aria-label': 'Time range' },
    RANGES.map(([v, label]) => h('option', { value: v }, label)));
  select.value = initial;
  const from = h('input', { type: 'datetime-local', 'aria-label': 'From', hidden: true });
  const to = h('input', { type: 'datetime-local', 'aria-label': 'To', hidden: true });
  const sync = () => { from.hidden = to.hidden = select.value !== 'custom'; };
  for (const el of [select, from, to]) el.addEventListener('change', () => { sync(); onChange(); });
  sync();
  return {
    el: h('span', { class: 'row' }, select, from, to),
    get() {
      const choice = RANGES.find(r => r[0] === select.value);
      if (select.value === 'custom') {
        return {
          from: from.value ? new Date(from.value).toISOString() : undefined,
          to: to.value ? new Date(to.value).toISOString() : undefined,
        };
      }
      if (!choice || !choice[2]) return {};
      return { from: new Date(Date.now() - choice[2]).toISOString() };
    },
  };
}
