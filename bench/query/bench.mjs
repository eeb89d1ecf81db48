// Query benchmark: Cairn (a running node, over HTTP) against DuckDB on the
// same >= 2M events (tests/differential/dataset.mjs), side by side.
//
// Usage: node bench/query/bench.mjs --url http://127.0.0.1:PORT --pid NODE_PID
//          [--events 2000000] [--repeat 5] [--skip-load 1] [--no-duck 1] [--only TEXT]
// --no-duck 1 (with --skip-load 1) times only Cairn, generating nothing;
// --only TEXT runs the queries whose name contains TEXT.
// Events are streamed to the node in chunked CLEF posts and to an NDJSON file
// for DuckDB; the bench then waits until the node's indexer has folded every
// event into blocks (cairn_indexed_events_total).
import { createRequire } from 'node:module';
import { openSync, writeSync, closeSync, unlinkSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const diff = join(here, '../../tests/differential');
const { event_stream, base_ms, duck_load_sql } = await import(join(diff, 'dataset.mjs'));
const { wait_indexed, data, metric } = await import(join(diff, 'cairn_client.mjs'));
// DuckDB is installed by the differential test's npm project.
const { DuckDBInstance } = await import(createRequire(join(diff, 'package.json')).resolve('@duckdb/node-api'));

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const url = args.url;
const pid = args.pid;
const count = Number(args.events ?? 2000000);
const repeat = Number(args.repeat ?? 5);
const hours = 6;
const no_duck = Boolean(args['no-duck']) && Boolean(args['skip-load']);
const only = args.only ?? '';
const range = { from: new Date(base_ms).toISOString(), to: new Date(base_ms + (hours + 1) * 3600e3).toISOString() };

const rss = () => {
  if (!pid) return 'n/a';
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (k) => Math.round(Number(s.match(new RegExp(`${k}:\\s+(\\d+)`))[1]) / 1024);
  return `RSS ${mb('VmRSS')} MiB (peak ${mb('VmHWM')} MiB)`;
};

// ---- load
const ndjson = join(tmpdir(), `cairn-bench-${process.pid}.ndjson`);
const fd = openSync(ndjson, 'w');
const t_load = performance.now();
{
  const chunk = 5000;
  let lines = [];
  let rows = [];
  const inflight = new Set();
  const send = (body) => {
    const p = fetch(`${url}/ingest/clef`, { method: 'POST', body }).then(async (res) => {
      if (res.status !== 201) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
      inflight.delete(p);
    });
    inflight.add(p);
    return p;
  };
  for (const [line, row] of no_duck ? [] : event_stream(count, hours, 42)) {
    lines.push(line);
    rows.push(JSON.stringify(row));
    if (lines.length === chunk) {
      if (!args['skip-load']) {
        if (inflight.size >= 2) await Promise.race(inflight);
        send(lines.join('\n'));
      }
      writeSync(fd, rows.join('\n') + '\n');
      lines = [];
      rows = [];
    }
  }
  if (lines.length && !args['skip-load']) send(lines.join('\n'));
  if (rows.length) writeSync(fd, rows.join('\n') + '\n');
  await Promise.all(inflight);
  closeSync(fd);
}
const posted_ms = performance.now() - t_load;
// --skip-load: the node already holds these events (restarted on the same
// storage), so its counters start at zero and there is nothing to wait for.
if (!args['skip-load']) await wait_indexed(url, count, 1800000);
const indexed_ms = performance.now() - t_load;
console.log(`cairn: ${count} events posted in ${(posted_ms / 1000).toFixed(1)} s, indexed after ${(indexed_ms / 1000).toFixed(1)} s; ` +
  `${await metric(url, 'cairn_indexed_blocks_total')} blocks; node ${rss()}`);

const duck = await DuckDBInstance.create(':memory:');
const conn = await duck.connect();
if (no_duck) unlinkSync(ndjson);
else {
const t_duck = performance.now();
await conn.run(duck_load_sql(ndjson));
unlinkSync(ndjson);
console.log(`duckdb: loaded in ${((performance.now() - t_duck) / 1000).toFixed(1)} s`);
}

// ---- queries
const order_probe = 10000 + Math.floor(count * 0.37);
const window_from = new Date(base_ms + 2 * 3600e3).toISOString();
const window_to = new Date(base_ms + 2 * 3600e3 + 5 * 60e3).toISOString();
const queries = [
  ['count where level', `select count(*) from stream where @Level = 'Error'`, `select count(*) from events where level = 'Error'`],
  ['count by level', `select count(*) from stream group by @Level`, `select level, count(*) from events group by level`],
  ['seed: group by exception type', `select count(*) from stream group by Substring(@Exception, 0, IndexOf(@Exception, ':'))`,
    `select CASE WHEN strpos(exc, ':') = 0 THEN NULL ELSE substr(exc, 1, strpos(exc, ':') - 1) END, count(*) from events group by 1`],
  ['group by time(1m)', `select count(*) from stream group by time(1m)`,
    `select time_bucket(interval '1 minute', ts, timestamp '2024-01-15 06:00:00'), count(*) from events group by 1`],
  ['free text "timed out"', `select count(*) from stream where "timed out"`,
    `select count(*) from events where msg ilike '%timed out%' or exc ilike '%timed out%'`],
  ['p95(Elapsed) by RequestPath', `select percentile(Elapsed, 95) from stream group by RequestPath`,
    `select path, quantile_disc(elapsed, 0.95) from events group by path`],
  ['selective: one order (token bloom)', `select count(*) from stream where @Message like '%Order ${order_probe} placed%'`,
    `select count(*) from events where msg like '%Order ${order_probe} placed%'`],
  ['selective: 5-minute window', `select count(*) from stream where @Timestamp >= DateTime('${window_from}') and @Timestamp < DateTime('${window_to}')`,
    `select count(*) from events where ts >= '${window_from.replace('T', ' ').replace('Z', '')}'::timestamp and ts < '${window_to.replace('T', ' ').replace('Z', '')}'::timestamp`],
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time_duck(sql, threads) {
  if (no_duck) return NaN;
  await conn.run(`SET threads = ${threads}`);
  await conn.runAndReadAll(sql); // warm
  const ts = [];
  for (let i = 0; i < repeat; ++i) {
    const t0 = performance.now();
    await conn.runAndReadAll(sql);
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/// CPU milliseconds the node has used so far (utime + stime), or NaN.
const node_cpu_ms = () => {
  if (!pid) return NaN;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // fields 14/15, at USER_HZ = 100
};

async function time_cairn(q) {
  // The first fresh run may meet a cold page cache; the fresh figures are
  // the median wall and the mean node CPU of `repeat` more runs.
  const first = await data(url, `${q} for no_cache`, range);
  if (first.status !== 200) throw new Error(`${q}: HTTP ${first.status} ${JSON.stringify(first.json)}`);
  const fresh = [];
  const server = [];
  const cpu0 = node_cpu_ms();
  for (let i = 0; i < repeat; ++i) {
    const r = await data(url, `${q} for no_cache`, range);
    fresh.push(r.ms);
    server.push(r.json.Statistics?.ElapsedMilliseconds ?? NaN);
  }
  let cpu_total = node_cpu_ms() - cpu0;
  let cpu_runs = repeat;
  // Cheap queries: 10 ms CPU ticks over a few runs say little, so the CPU
  // figure comes from enough more runs to fill about a second.
  const fresh_median = median(fresh);
  if (pid && fresh_median < 50) {
    const extra = Math.min(500, Math.ceil(1000 / Math.max(fresh_median, 2)));
    const cpu1 = node_cpu_ms();
    for (let i = 0; i < extra; ++i) await data(url, `${q} for no_cache`, range);
    cpu_total += node_cpu_ms() - cpu1;
    cpu_runs += extra;
  }
  const fresh_cpu = cpu_total / cpu_runs;
  const memo = [];
  for (let i = 0; i < repeat; ++i)
    memo.push((await data(url, q, range)).ms);
  return { first: first.ms, fresh: median(fresh), server: median(server), fresh_cpu, memo: median(memo),
    stats: first.json.Statistics ?? {} };
}

const f = (x) => x.toFixed(1).padStart(8);
console.log(`\n${'query'.padEnd(36)} ${'1st'.padStart(8)} ${'fresh'.padStart(8)} ${'server'.padStart(8)} ${'cpu'.padStart(8)} ${'memo'.padStart(8)} ` +
  `${'duck t1'.padStart(8)} ${'duck t2'.padStart(8)} ${'ratio'.padStart(6)}  blocks read/skipped`);
for (const [name, cq, dq] of queries) {
  if (only && !name.includes(only)) continue;
  const c = await time_cairn(cq);
  const d1 = await time_duck(dq, 1);
  const d2 = await time_duck(dq, 2);
  console.log(`${name.padEnd(36)} ${f(c.first)} ${f(c.fresh)} ${f(c.server)} ${c.fresh_cpu.toFixed(2).padStart(8)} ${f(c.memo)} ${f(d1)} ${f(d2)} ` +
    `${(c.fresh / d1).toFixed(2).padStart(6)}  ${c.stats.BlocksRead ?? '?'}/${c.stats.BlocksSkipped ?? '?'}`);
}
console.log(`\ntimes in ms: 1st = the first \`for no_cache\` run (HTTP wall); fresh = median wall of ${repeat} more ` +
  `\`for no_cache\` runs; server = median of their Statistics.ElapsedMilliseconds (the query inside the node, without HTTP); cpu = the node's CPU time per fresh run (/proc, 10 ms ticks: all its threads, ` +
  `i.e. the single-threaded cost); memo = median wall of ${repeat} memoized runs; duck t1/t2 = DuckDB medians ` +
  `with 1/2 threads; ratio = fresh / duck t1; node ${rss()}`);
