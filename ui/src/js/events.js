// Events page: filter box (errors marked at the server's Position), time
// range, signals as one-click filters, a virtualized newest-first list whose
// rows expand in place, click-to-filter property values, and a live tail
// over Server-Sent Events (/api/events/stream).
import { api, ApiError, streamUrl } from './api.js';
import { h, setChildren, formatTime, filterLiteral, filterName, rangePicker } from './dom.js';

const ROW = 29;          // collapsed row height incl. border (px), as in app.css
const PAGE = 200;        // events per request
const OVERSCAN = 8;      // rows rendered beyond the viewport
const MAX_TAIL = 5000;   // rows kept while tailing

/** Level -> CSS class, treating the usual aliases alike (seq-compat.md §5). */
export function levelClass(level) {
  const l = String(level || 'Information').toLowerCase();
  if (/^(f|fa|ftl|fat|fatl|fatal|c|cr|crt|cri|crit|critical|emerg|alert|panic)$/.test(l)) return 'fatal';
  if (/^(e|er|err|erro|eror|error)$/.test(l)) return 'error';
  if (/^(w|wa|war|wrn|warn|warning)$/.test(l)) return 'warning';
  if (/^(d|de|dbg|deb|dbug|debu|debug)$/.test(l)) return 'debug';
  if (/^(v|ver|vrb|verb|verbose|t|tr|trc|trce|trace)$/.test(l)) return 'verbose';
  return 'info';
}

export function mount(root, params) {
  const state = {
    events: [], expanded: new Set(), heights: new Map(), done: false, loading: false,
    generation: 0, tail: null, signals: [], activeSignals: new Set(),
  };

  // -- toolbar ---------------------------------------------------------------
  const input = h('input', { type: 'search', placeholder: "Filter, e.g. @Level = 'Error' and RequestPath like '/api/%'",
    'aria-label': 'Filter', spellcheck: false, value: params.get('filter') || '' });
  const mirror = h('div', { class: 'filter-mirror', 'aria-hidden': 'true' });
  const errorLine = h('div', { class: 'error', role: 'alert' });
  const range = rangePicker(params.get('range') || 'all', () => search());
  const tailButton = h('button', { class: 'secondary', title: 'Live tail', onclick: () => toggleTail() }, 'Tail');
  const status = h('div', { class: 'status-line' });
  const signalBar = h('div', { class: 'signals' });
  input.addEventListener('keydown', e => { if (e.key === 'Enter') search(); });
  input.addEventListener('input', () => { input.classList.remove('bad'); setChildren(mirror); });
  input.addEventListener('scroll', () => { mirror.scrollLeft = input.scrollLeft; });

  const view = h('div', { class: 'events-view', tabindex: 0 });
  const spacer = h('div', { class: 'events-spacer' });
  view.append(spacer);
  view.addEventListener('scroll', () => { render(); maybeLoadMore(); });
  const resize = new ResizeObserver(() => render());
  resize.observe(view);

  root.append(
    h('div', { class: 'row' },
      h('div', { class: 'filter-box' }, input, mirror),
      range.el,
      h('button', { onclick: () => search() }, 'Search'),
      tailButton),
    errorLine, signalBar, status, view);

  // -- filter text ------------------------------------------------------------
  function combinedFilter() {
    const parts = [];
    for (const s of state.signals)
      if (state.activeSignals.has(s.Id) && s.Filter) parts.push(s.Filter);
    if (input.value.trim()) parts.push(input.value.trim());
    return parts.length > 1 ? parts.map(p => `(${p})`).join(' and ') : (parts[0] || '');
  }

  function showFilterError(err) {
    const pos = err.body && Number.isInteger(err.body.Position) ? err.body.Position : null;
    errorLine.textContent = err.message;
    if (pos === null || input.value.trim() === '' || combinedFilter() !== input.value.trim()) {
      input.classList.add('bad');
      return;
    }
    // The server's position is into the trimmed text; map it back.
    const text = input.value;
    const at = Math.min(text.length - text.trimStart().length + pos, text.length);
    const end = Math.min(at + Math.max(1, (/^\S+/.exec(text.slice(at)) || [''])[0].length), text.length);
    input.classList.add('bad');
    setChildren(mirror, text.slice(0, at), h('mark', { title: err.message }, text.slice(at, end) || ' '), text.slice(end));
  }

  /** Adds `Name = value` to the filter and searches. */
  function addToFilter(name, value) {
    const clause = `${filterName(name)} = ${filterLiteral(value)}`;
    const current = input.value.trim();
    input.value = !current ? clause : (/\bor\b/i.test(current) ? `(${current}) and ${clause}` : `${current} and ${clause}`);
    search();
  }

  // -- loading ----------------------------------------------------------------
  async function search() {
    state.generation++;
    state.events = [];
    state.expanded.clear();
    state.heights.clear();
    state.done = false;
    errorLine.textContent = '';
    setChildren(mirror);
    input.classList.remove('bad');
    view.scrollTop = 0;
    render();
    await loadMore();
    if (state.tail) startTail();
  }

  async function loadMore() {
    if (state.loading || state.done) return;
    state.loading = true;
    const gen = state.generation;
    const { from, to } = range.get();
    const last = state.events[state.events.length - 1];
    status.textContent = 'Loading…';
    try {
      const page = await api('/api/events', { params: {
        filter: combinedFilter(), count: PAGE, fromDateUtc: from, toDateUtc: to, afterId: last && last.Id } });
      if (gen !== state.generation) return;
      state.events.push(...page);
      state.done = page.length < PAGE;
      status.textContent = `${state.events.length} event${state.events.length === 1 ? '' : 's'}` +
        (state.done ? '' : ', scroll for more') + (state.tail ? ' · tailing' : '');
    } catch (err) {
      if (gen !== state.generation) return;
      state.done = true;
      status.textContent = '';
      if (err instanceof ApiError && err.status === 400) showFilterError(err);
      else errorLine.textContent = err.message;
    } finally {
      state.loading = false;
    }
    render();
    maybeLoadMore();
  }

  function maybeLoadMore() {
    if (view.scrollTop + view.clientHeight > spacer.offsetHeight - 6 * ROW) loadMore();
  }

  // -- live tail --------------------------------------------------------------
  function toggleTail() {
    if (state.tail) stopTail(); else startTail();
  }

  function startTail() {
    stopTail();
    const source = new EventSource(streamUrl(combinedFilter()));
    state.tail = source;
    tailButton.classList.add('on');
    tailButton.textContent = 'Tailing';
    source.onmessage = m => {
      let e;
      try { e = JSON.parse(m.data); } catch { return; }
      state.events.unshift(e);
      if (state.events.length > MAX_TAIL) state.events.length = MAX_TAIL;
      status.textContent = `${state.events.length} events · tailing`;
      // Keep what the reader looks at in place when they scrolled down.
      if (view.scrollTop > 0) view.scrollTop += heightOf(e);
      render();
    };
    source.onerror = () => { status.textContent = 'Live tail reconnecting…'; };
  }

  function stopTail() {
    if (!state.tail) return;
    state.tail.close();
    state.tail = null;
    tailButton.classList.remove('on');
    tailButton.textContent = 'Tail';
  }

  // -- virtualized list ---------------------------------------------------------
  function heightOf(e) { return state.expanded.has(e.Id) ? (state.heights.get(e.Id) || ROW * 6) : ROW; }

  function render() {
    const events = state.events;
    const offsets = new Array(events.length + 1);
    offsets[0] = 0;
    for (let i = 0; i < events.length; i++) offsets[i + 1] = offsets[i] + heightOf(events[i]);
    spacer.style.height = `${offsets[events.length]}px`;
    const top = view.scrollTop, bottom = top + view.clientHeight;
    let lo = 0, hi = events.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (offsets[mid + 1] <= top) lo = mid + 1; else hi = mid; }
    const first = Math.max(0, lo - OVERSCAN);
    let last = lo;
    while (last < events.length && offsets[last] < bottom) last++;
    last = Math.min(events.length, last + OVERSCAN);
    const rows = [];
    for (let i = first; i < last; i++) rows.push(renderEvent(events[i], offsets[i]));
    setChildren(spacer, rows);
    if (!events.length && !state.loading && state.done)
      spacer.append(h('div', { class: 'muted event-detail' }, 'No matching events.'));
    // Measure expanded rows; re-render if their real height differs.
    let changed = false;
    for (const el of spacer.querySelectorAll('.event.expanded')) {
      const hgt = el.offsetHeight;
      if (state.heights.get(el.dataset.id) !== hgt) { state.heights.set(el.dataset.id, hgt); changed = true; }
    }
    if (changed) render();
  }

  function renderEvent(e, top) {
    const cls = levelClass(e.Level);
    const expanded = state.expanded.has(e.Id);
    const line = h('div', { class: 'event-line', onclick: () => {
      if (expanded) state.expanded.delete(e.Id); else state.expanded.add(e.Id);
      render();
    } },
      h('span', { class: `lvl lvl-${cls}`, title: e.Level || 'Information' }),
      h('span', { class: 'time' }, formatTime(e.Timestamp)),
      h('span', { class: 'lvl-name' }, e.Level || 'Information'),
      h('span', { class: 'msg' }, e.RenderedMessage ?? ''),
      e.Exception ? h('span', { class: 'error' }, '⚠') : null);
    const el = h('div', { class: expanded ? 'event expanded' : 'event', dataset: { id: e.Id }, style: { top: `${top}px` } }, line);
    if (expanded) el.append(renderDetail(e));
    return el;
  }

  function valueCell(name, value) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return h('span', { class: 'pval', title: `Add ${name} = … to the filter`,
      onclick: ev => { ev.stopPropagation(); addToFilter(name, value); } }, text);
  }

  function renderDetail(e) {
    const rows = [];
    const builtin = (label, name, value) => {
      if (value === undefined || value === null || value === '') return;
      rows.push(h('tr', {}, h('td', { class: 'pname' }, label),
        h('td', {}, name ? valueCell(name, value) : String(value))));
    };
    builtin('@Id', null, e.Id);
    builtin('@Timestamp', null, e.Timestamp);
    builtin('@Level', '@Level', e.Level || 'Information');
    builtin('@EventType', '@EventType', e.EventType);
    builtin('@TraceId', '@TraceId', e.TraceId);
    builtin('@SpanId', '@SpanId', e.SpanId);
    builtin('@ParentId', '@ParentId', e.ParentId);
    builtin('@SpanKind', null, e.SpanKind);
    builtin('@Start', null, e.Start);
    builtin('@Elapsed', null, e.Elapsed);
    for (const p of e.Properties || [])
      rows.push(h('tr', {}, h('td', { class: 'pname' }, p.Name), h('td', {}, valueCell(p.Name, p.Value))));
    if (e.Resource) rows.push(h('tr', {}, h('td', { class: 'pname' }, '@Resource'), h('td', {}, JSON.stringify(e.Resource))));
    const links = e.TraceId ? h('a', { href: `#/traces?id=${encodeURIComponent(e.TraceId)}` }, 'Open trace') : null;
    return h('div', { class: 'event-detail' },
      h('table', {}, h('tbody', {}, rows)),
      e.Exception ? h('pre', { class: 'exception' }, e.Exception) : null,
      links);
  }

  // -- signals ----------------------------------------------------------------
  api('/api/signals').then(list => {
    state.signals = list || [];
    setChildren(signalBar, state.signals.map(s => h('button', {
      title: s.Filter || '(all events)',
      onclick: ev => {
        if (state.activeSignals.has(s.Id)) state.activeSignals.delete(s.Id); else state.activeSignals.add(s.Id);
        ev.currentTarget.classList.toggle('on', state.activeSignals.has(s.Id));
        search();
      } }, s.Title)));
  }).catch(() => {}); // signals are optional: a key without Read sees none

  search();
  return () => { stopTail(); resize.disconnect(); state.generation++; };
}
