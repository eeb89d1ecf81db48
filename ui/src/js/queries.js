// Queries page: SQL editor, the result as a table, a chart (a time series
// for time() groupings, bars otherwise) and CSV export. Understands all
// three of Seq's result shapes: Rows, Slices and Series.
import { api, ApiError } from './api.js';
import { h, setChildren, formatTime, rangePicker } from './dom.js';
import { timeChart, barChart } from './chart.js';

const DEFAULT_SQL = "select count(*) as count from stream group by @Level";

/** Flattens a result into {columns, rows, chart} where chart is a DOM node. */
export function shape(result) {
  const cols = result.Columns || [];
  if (result.Rows) {
    const rows = result.Rows;
    // Group keys come first; chart the numeric columns per first-column label.
    const numeric = cols.map((_, c) => rows.length > 0 && rows.every(r => r[c] === null || typeof r[c] === 'number'));
    const measureIdx = cols.map((_, i) => i).filter(i => numeric[i] && (i > 0 || cols.length === 1));
    const labelIdx = cols.findIndex((_, i) => !measureIdx.includes(i));
    const bars = rows.map((r, i) => ({
      label: labelIdx >= 0 ? (r[labelIdx] === null ? 'null' : String(r[labelIdx])) : String(i + 1),
      values: measureIdx.map(m => r[m]) }));
    return { columns: cols, rows, chart: measureIdx.length ? barChart(bars, measureIdx.map(i => cols[i])) : null };
  }
  if (result.Slices) {
    const rows = result.Slices.flatMap(s => (s.Rows.length ? s.Rows : [cols.map(() => null)]).map(r => [s.Time, ...r]));
    const series = cols.map((c, i) => ({ name: c, points: result.Slices
      .filter(s => s.Rows.length && typeof s.Rows[0][i] === 'number')
      .map(s => ({ t: Date.parse(s.Time), v: s.Rows[0][i] })) }))
      .filter(s => s.points.length);
    return { columns: ['time', ...cols], rows, chart: timeChart(series) };
  }
  if (result.Series) {
    const keyCount = result.Series[0] ? result.Series[0].Key.length : 0;
    const keyCols = cols.slice(0, keyCount), valCols = cols.slice(keyCount);
    const rows = [], series = [];
    for (const s of result.Series) {
      for (const sl of s.Slices) for (const r of sl.Rows) rows.push([sl.Time, ...s.Key, ...r]);
      valCols.forEach((vc, i) => series.push({
        name: `${s.Key.map(k => (k === null ? 'null' : String(k))).join(', ')}${valCols.length > 1 ? ` · ${vc}` : ''}`,
        points: s.Slices.filter(sl => sl.Rows.length && typeof sl.Rows[0][i] === 'number')
          .map(sl => ({ t: Date.parse(sl.Time), v: sl.Rows[0][i] })) }));
    }
    return { columns: ['time', ...keyCols, ...valCols], rows, chart: timeChart(series.filter(s => s.points.length)) };
  }
  return { columns: cols, rows: [], chart: null };
}

function cell(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function toCsv(columns, rows) {
  const q = v => { const s = cell(v); return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s; };
  return [columns.map(q).join(','), ...rows.map(r => r.map(q).join(','))].join('\r\n') + '\r\n';
}

export function mount(root, params) {
  const editor = h('textarea', { class: 'sql', spellcheck: false, 'aria-label': 'SQL query' });
  editor.value = params.get('q') || sessionStorage.getItem('cairn.sql') || DEFAULT_SQL;
  const range = rangePicker(params.get('range') || '24h');
  const errorLine = h('div', { class: 'error', role: 'alert' });
  const stats = h('div', { class: 'status-line' });
  const chartBox = h('div', { class: 'chart', hidden: true });
  const table = h('div', { class: 'results' });
  const exportButton = h('button', { class: 'secondary', disabled: true, onclick: () => exportCsv() }, 'Export CSV');
  let last = null;
  editor.addEventListener('keydown', e => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) run(); });

  root.append(
    editor,
    h('div', { class: 'row' }, h('button', { onclick: () => run() }, 'Run'), range.el, exportButton,
      h('span', { class: 'muted' }, 'Ctrl+Enter runs. Time groupings need a start time.')),
    errorLine, stats, chartBox, table);

  async function run() {
    const q = editor.value.trim();
    sessionStorage.setItem('cairn.sql', q);
    errorLine.textContent = '';
    stats.textContent = 'Running…';
    const { from, to } = range.get();
    try {
      const result = await api('/api/data', { params: { q, rangeStartUtc: from, rangeEndUtc: to } });
      last = shape(result);
      const st = result.Statistics;
      stats.textContent = `${last.rows.length} row${last.rows.length === 1 ? '' : 's'}` +
        (st && st.ElapsedMilliseconds !== undefined ? ` in ${Number(st.ElapsedMilliseconds).toFixed(1)} ms` : '');
      chartBox.hidden = !last.chart;
      setChildren(chartBox, last.chart);
      setChildren(table, h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, last.columns.map(c => h('th', {}, c)))),
        h('tbody', {}, last.rows.map(r => h('tr', {}, r.map((v, i) =>
          h('td', { class: typeof v === 'number' ? 'num' : '' },
            i === 0 && last.columns[0] === 'time' ? formatTime(v) : cell(v))))))));
      exportButton.disabled = false;
    } catch (err) {
      stats.textContent = '';
      chartBox.hidden = true;
      setChildren(table);
      exportButton.disabled = true;
      if (err instanceof ApiError && Number.isInteger(err.body.Position)) {
        const p = err.body.Position;
        errorLine.textContent = `${err.message}\n${q}\n${' '.repeat(p)}^`;
        editor.focus();
        editor.setSelectionRange(p, Math.min(p + 1, q.length));
      } else {
        errorLine.textContent = err.message;
      }
    }
  }

  function exportCsv() {
    if (!last) return;
    const blob = new Blob([toCsv(last.columns, last.rows)], { type: 'text/csv' });
    const a = h('a', { href: URL.createObjectURL(blob), download: 'cairn-query.csv' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  if (params.get('q')) run();
}
