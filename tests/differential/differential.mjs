// Differential test: the same deterministic events in a Cairn node and in
// DuckDB; every query pair in queries.mjs must give the same answer.
//
// Usage: node differential.mjs --url http://127.0.0.1:PORT [--events 30000]
// Exit code 0 when every pair matches, 1 otherwise (each pair is printed).
import { generate, base_ms } from './dataset.mjs';
import { post_clef, wait_indexed, data, events } from './cairn_client.mjs';
import { open_duck, duck_rows } from './duck.mjs';
import { pairs, event_filters } from './queries.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const url = args.url ?? process.env.CAIRN_URL;
if (!url) throw new Error('--url is required');
const count = Number(args.events ?? 30000);
const hours = 4;
const range = { from: new Date(base_ms).toISOString(), to: new Date(base_ms + (hours + 1) * 3600e3).toISOString() };

// ---- data into both engines
const lines = [];
const rows = [];
generate(count, hours, 20240115, (line, row) => {
  lines.push(line);
  rows.push(row);
});
await post_clef(url, lines);
await wait_indexed(url, count, 120000);
const { conn } = await open_duck(rows, 1);

// ---- normalisation
const iso = (s) => new Date(s).toISOString();

function cairn_rows(json, slices) {
  if (!slices) return json.Rows;
  const out = [];
  if (json.Slices)
    for (const s of json.Slices) for (const r of s.Rows) out.push([iso(s.Time), ...r]);
  if (json.Series)
    for (const series of json.Series)
      for (const s of series.Slices) for (const r of s.Rows) out.push([iso(s.Time), ...series.Key, ...r]);
  return out;
}

function close(a, b) {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isInteger(a) && Number.isInteger(b)) return a === b;
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return a === b;
}

const rows_equal = (x, y) => x.length === y.length && x.every((r, i) => r.length === y[i].length && r.every((v, j) => close(v, y[i][j])));
const sort_rows = (rs) => [...rs].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
const show = (rs) => {
  const s = JSON.stringify(rs);
  return s.length > 300 ? `${s.slice(0, 300)}... (${rs.length} rows)` : s;
};

// ---- the pairs
let failed = 0;
let n = 0;
for (const [name, cq, dq, opts = {}] of pairs) {
  ++n;
  const res = await data(url, cq, range);
  let ok = false;
  let got, want;
  if (res.status !== 200) {
    got = `HTTP ${res.status} ${JSON.stringify(res.json)}`;
  } else {
    got = cairn_rows(res.json, opts.slices);
  }
  want = await duck_rows(conn, dq);
  if (Array.isArray(got)) {
    if (opts.ordered) ok = rows_equal(got, want);
    else {
      got = sort_rows(got);
      want = sort_rows(want);
      ok = rows_equal(got, want);
    }
  }
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${String(n).padStart(2)} ${name}`);
  console.log(`       cairn:  ${cq}`);
  console.log(`       duckdb: ${dq}`);
  if (ok) console.log(`       rows: ${show(got)}`);
  else {
    ++failed;
    console.log(`       cairn rows:  ${typeof got === 'string' ? got : show(got)}`);
    console.log(`       duckdb rows: ${show(want)}`);
  }
}

for (const [name, filter, dq] of event_filters) {
  ++n;
  const [[want]] = await duck_rows(conn, dq);
  const got = (await events(url, filter, 100000, range)).length;
  const ok = got === want;
  if (!ok) ++failed;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${String(n).padStart(2)} ${name}: filter ${filter}: cairn ${got} events, duckdb ${want}`);
}

console.log(`\n${n - failed}/${n} query pairs agree (${count} events)`);
process.exit(failed ? 1 : 0);
