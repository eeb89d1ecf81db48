// Traces page: a trace id -> every span of the trace (events with @TraceId,
// @SpanId, @Start, @Elapsed) as a waterfall nested by @ParentId, with
// durations, and errors (level Error/Fatal or an exception) marked.
import { api } from './api.js';
import { h, setChildren, parseTimeSpan, formatDuration, formatTime } from './dom.js';
import { levelClass } from './events.js';

export function mount(root, params) {
  const input = h('input', { type: 'search', placeholder: 'Trace id', 'aria-label': 'Trace id', class: 'mono', size: 40,
    value: params.get('id') || '' });
  const errorLine = h('div', { class: 'error', role: 'alert' });
  const summary = h('div', { class: 'status-line' });
  const fall = h('div', { class: 'waterfall' });
  const recent = h('div', {});
  input.addEventListener('keydown', e => { if (e.key === 'Enter') open(); });
  root.append(h('div', { class: 'row' }, input, h('button', { onclick: () => open() }, 'Open trace')),
    errorLine, summary, fall, recent);

  function open() {
    const id = input.value.trim();
    if (id) location.hash = `#/traces?id=${encodeURIComponent(id)}`;
  }

  async function load(id) {
    try {
      const events = await api('/api/events', { params: { filter: `@TraceId = '${id.replaceAll("'", "''")}'`, count: 2000 } });
      render(events);
    } catch (err) {
      errorLine.textContent = err.message;
    }
  }

  function render(events) {
    const spans = events.filter(e => e.SpanId && e.Start).map(e => {
      const end = Date.parse(e.Timestamp);
      const dur = e.Elapsed ? parseTimeSpan(e.Elapsed) : 0;
      const start = e.Start ? Date.parse(e.Start) : end - dur;
      const failed = ['error', 'fatal'].includes(levelClass(e.Level)) || !!e.Exception ||
        (e.Properties || []).some(p => /^(otel\.)?status(_code|\.code)?$/i.test(p.Name) && /error/i.test(String(p.Value)));
      return { e, id: e.SpanId, parent: e.ParentId, start, end: Math.max(end, start + dur), dur, failed, children: [] };
    });
    const logs = events.length - spans.length;
    if (!spans.length) {
      summary.textContent = events.length ? `${events.length} events carry this trace id, but none is a span.` : 'No spans found for this trace id.';
      setChildren(fall);
      return;
    }
    const byId = new Map(spans.map(s => [s.id, s]));
    const roots = [];
    for (const s of spans) (s.parent && byId.has(s.parent) ? byId.get(s.parent).children : roots).push(s);
    const t0 = Math.min(...spans.map(s => s.start)), t1 = Math.max(...spans.map(s => s.end));
    const total = Math.max(t1 - t0, 0.001);
    const errors = spans.filter(s => s.failed).length;
    summary.textContent = `${spans.length} span${spans.length === 1 ? '' : 's'}` + (logs ? `, ${logs} log events` : '') +
      ` · ${formatDuration(t1 - t0)} · started ${formatTime(new Date(t0).toISOString())}` +
      (errors ? ` · ${errors} with errors` : '');
    const rows = [];
    const walk = (s, depth) => {
      const bar = h('div', { class: 'bar', title: `${s.e.RenderedMessage} · ${formatDuration(s.dur)}` });
      bar.style.left = `${((s.start - t0) / total) * 100}%`;
      bar.style.width = `${Math.max((s.dur / total) * 100, 0.2)}%`;
      const name = h('div', { class: 'name', title: s.e.RenderedMessage }, s.failed ? '✖ ' : '', s.e.RenderedMessage || s.id);
      name.style.paddingLeft = `${8 + depth * 16}px`;
      rows.push(h('div', { class: s.failed ? 'span-row error' : 'span-row', dataset: { spanId: s.id } },
        name, h('div', { class: 'track' }, bar), h('div', { class: 'dur' }, formatDuration(s.dur))));
      s.children.sort((a, b) => a.start - b.start).forEach(c => walk(c, depth + 1));
    };
    roots.sort((a, b) => a.start - b.start).forEach(r => walk(r, 0));
    setChildren(fall, rows);
  }

  async function showRecent() {
    // Without an id: offer the most recent root spans.
    try {
      const events = await api('/api/events', { params: { filter: "@SpanId is not null and @ParentId is null", count: 20 } });
      if (!events.length) return;
      setChildren(recent, h('h3', {}, 'Recent traces'), h('table', { class: 'grid' }, h('tbody', {},
        events.map(e => h('tr', {},
          h('td', { class: 'mono' }, formatTime(e.Timestamp)),
          h('td', {}, h('a', { href: `#/traces?id=${encodeURIComponent(e.TraceId)}` }, e.RenderedMessage || e.TraceId)),
          h('td', { class: 'num' }, formatDuration(parseTimeSpan(e.Elapsed))))))));
    } catch { /* nothing to offer */ }
  }

  if (params.get('id')) load(params.get('id')); else showRecent();
}
