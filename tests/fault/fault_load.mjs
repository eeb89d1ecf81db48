// Bounded ingest load, read-back check and timeline report for the fault
// scenarios in tests/fault/*.sh. No npm dependencies (Node 18+ fetch).
//
//   node fault_load.mjs load URLS OUT_DIR [CONNECTIONS] [BATCH] [RATE]
//     URLS: comma-separated node base URLs, or @FILE holding them (re-read
//     whenever a worker switches node, so restarted nodes' new ports are
//     picked up). CONNECTIONS workers post CLEF
//     batches of BATCH uniquely keyed events, together at most RATE batches/s,
//     until SIGTERM or until OUT_DIR/stop exists. A worker sticks to one node
//     and moves to the next one after any failure (like a client behind a load
//     balancer), and never resends a batch: every attempt gets a new number,
//     so each acknowledged batch is counted once.
//     Appends, synchronously, one line per acknowledged batch to OUT_DIR/acked
//     ("BATCH_NO") and one line per attempt to OUT_DIR/timeline
//     ("END_MS STATUS LATENCY_MS NODE_INDEX"; status 0 = network error or
//     timeout). Writes OUT_DIR/summary.json at exit.
//
//   Env CAIRN_API_KEY: an API key sent with every request.
//   Env LOAD_PACING=schedule: open-loop pacing for rate measurements
//     (bench/sustained): request k is due at start + k / RATE seconds,
//     whichever worker is free takes the next due request, and a worker that
//     falls behind sends at once until it is back on schedule. The default
//     (closed loop: each worker waits CONNECTIONS / RATE seconds minus its
//     last latency) loses rate whenever latency exceeds that interval.
//
//   node fault_load.mjs check URLS ACKED_FILE BATCH
//     Reads every event back (GET /api/events, paged) from the first node that
//     answers and checks that each acknowledged batch is present in full, that
//     no batch is half-stored and that no event is stored twice. Prints one
//     "acked ... lost N ..." line; exit code 1 on any loss/partial/duplicate.
//
//   node fault_load.mjs report TIMELINE FAULT_MS HEAL_MS
//     Prints "unavailable_s=U recover_s=R errors=E statuses=..." for the
//     attempts after FAULT_MS: U is the total time after FAULT_MS covered by
//     gaps of more than GAP_MS (500) between successive 201s (FAULT_MS counts
//     as one), R the time from HEAL_MS (the fault's end; FAULT_MS for kills)
//     to the end of the last such gap (0 if ingest never stopped).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

const [mode, ...args] = process.argv.slice(2);
const GAP_MS = 500;
// CAIRN_API_KEY: sent as X-Seq-ApiKey (needed off loopback, e.g. partition.sh).
const HEADERS = process.env.CAIRN_API_KEY ? { 'X-Seq-ApiKey': process.env.CAIRN_API_KEY } : {};

/** The CLEF body of one batch: events keyed "BATCH-I", I in [0, size). */
function batchBody(batch, size) {
  const lines = [];
  const t = new Date().toISOString();
  for (let i = 0; i < size; i++) {
    lines.push(JSON.stringify({
      '@t': t, '@mt': 'Fault load batch {Batch} item {Item}', '@l': 'Information',
      Batch: batch, Item: i, Key: `${batch}-${i}`, Padding: 'x'.repeat(100),
    }));
  }
  return lines.join('\n');
}

function percentile(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function load() {
  const [urlsText, out, connText = '4', batchText = '20', rateText = '40'] = args;
  const readUrls = () => (urlsText.startsWith('@')
    ? readFileSync(urlsText.slice(1), 'utf8').trim() : urlsText).split(',');
  let urls = readUrls();
  const connections = Number(connText);
  const size = Number(batchText);
  const interval = (1000 * connections) / Number(rateText); // per worker
  const scheduled = process.env.LOAD_PACING === 'schedule';
  const period = 1000 / Number(rateText); // between due times, all workers together
  const startedAt = Date.now();
  let due = 0; // next request's number on the open-loop schedule
  let lastLate = 0; // how late (ms) the latest request started
  let maxLate = 0;
  const statuses = {};
  const latencies = [];
  let next = 0;
  let stopping = false;
  process.on('SIGTERM', () => { stopping = true; });
  const stopFile = `${out}/stop`;
  const worker = async (w) => {
    let node = w % urls.length;
    while (!stopping && !existsSync(stopFile)) {
      if (scheduled) {
        const wait = startedAt + (due++) * period - Date.now();
        if (wait > 0) await sleep(wait);
        lastLate = Math.max(0, -wait);
        maxLate = Math.max(maxLate, lastLate);
        if (stopping || existsSync(stopFile)) break;
      }
      const batch = next++;
      const started = Date.now();
      let status = 0;
      try {
        const res = await fetch(`${urls[node]}/ingest/clef`, {
          method: 'POST', headers: HEADERS, body: batchBody(batch, size), signal: AbortSignal.timeout(10000),
        });
        const text = await res.text();
        status = res.status;
        if (status !== 201 && !statuses[status]) console.error(`first ${status}: ${text.slice(0, 300)}`);
      } catch {
        status = 0; // refused, reset or timed out: outcome unknown, not acked
      }
      const end = Date.now();
      statuses[status] = (statuses[status] || 0) + 1;
      appendFileSync(`${out}/timeline`, `${end} ${status} ${end - started} ${node}\n`);
      if (status === 201) {
        appendFileSync(`${out}/acked`, `${batch}\n`);
        latencies.push(end - started);
        const wait = interval - (end - started);
        if (!scheduled && wait > 0) await sleep(wait);
      } else {
        try { urls = readUrls(); } catch { /* being rewritten: keep the old list */ }
        node = (node + 1) % urls.length;
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, w) => worker(w)));
  latencies.sort((a, b) => a - b);
  const elapsed = (Date.now() - startedAt) / 1000;
  const summary = {
    attempts: next, acked_batches: latencies.length, statuses,
    elapsed_s: elapsed, attempts_per_s: next / elapsed,
    // Open loop: how late requests started (the generator keeps up when the
    // last one was on time).
    ...(scheduled ? { late_ms: { last: lastLate, max: maxLate } } : {}),
    latency_ms: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) || 0 },
  };
  writeFileSync(`${out}/summary.json`, JSON.stringify(summary));
  console.log(JSON.stringify(summary));
}

async function fetchPage(urls, query) {
  let last = '';
  for (let round = 0; round < 20; round++) {
    for (const u of urls) {
      try {
        const res = await fetch(`${u}/api/events?${query}`, { headers: HEADERS, signal: AbortSignal.timeout(30000) });
        if (res.status === 200) return await res.json();
        last = `${u} answered ${res.status}`;
      } catch (e) {
        last = `${u}: ${e.message}`;
      }
    }
    await sleep(500);
  }
  throw new Error(`no node answered GET /api/events (${last})`);
}

async function check() {
  const [urlsText, ackedFile, batchText] = args;
  const urls = urlsText.split(',');
  const size = Number(batchText);
  const acked = new Set(readFileSync(ackedFile, 'utf8').split('\n').filter(Boolean));
  const found = new Map(); // batch -> events found
  const keys = new Set();
  let duplicates = 0;
  let after = '';
  for (;;) {
    const page = await fetchPage(urls, `count=10000${after}`);
    for (const ev of page) {
      const p = Object.fromEntries(ev.Properties.map((x) => [x.Name, x.Value]));
      if (typeof p.Key !== 'string') continue;
      if (keys.has(p.Key)) duplicates++;
      keys.add(p.Key);
      const b = String(p.Batch);
      found.set(b, (found.get(b) || 0) + 1);
    }
    if (page.length < 10000) break;
    after = `&afterId=${page[page.length - 1].Id}`;
  }
  let lost = 0;
  let lostBatches = 0;
  for (const b of acked) {
    const n = found.get(b) || 0;
    if (n < size) {
      lost += size - n;
      if (++lostBatches <= 10) console.log(`LOST: acknowledged batch ${b} has ${n}/${size} events`);
    }
  }
  let partial = 0;
  let unacked = 0;
  for (const [b, n] of found) {
    if (n % size !== 0 && ++partial <= 10) console.log(`PARTIAL: batch ${b} has ${n}/${size} events`);
    if (!acked.has(b)) unacked++;
  }
  console.log(`acked ${acked.size * size} events (${acked.size} batches), found ${keys.size}, lost ${lost}, ` +
    `duplicates ${duplicates}, partial batches ${partial}, unacknowledged batches stored ${unacked}`);
  process.exit(lost || partial || duplicates ? 1 : 0);
}

function report() {
  const [timeline, faultText, healText] = args;
  const fault = Number(faultText);
  const heal = Number(healText || faultText);
  const rows = readFileSync(timeline, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ').map(Number));
  const ok = rows.filter((r) => r[1] === 201 && r[0] >= fault).map((r) => r[0]).sort((a, b) => a - b);
  const statuses = {};
  let errors = 0;
  for (const r of rows) {
    if (r[0] < fault) continue;
    statuses[r[1]] = (statuses[r[1]] || 0) + 1;
    if (r[1] !== 201) errors++;
  }
  let unavailable = 0;
  let lastGapEnd = 0;
  let prev = fault;
  for (const t of ok) {
    if (t - prev > GAP_MS) {
      unavailable += t - prev;
      lastGapEnd = t;
    }
    prev = t;
  }
  const endOfLoad = rows.length ? Math.max(...rows.map((r) => r[0])) : fault;
  if (endOfLoad - prev > GAP_MS) { // ingest never came back before the load stopped
    unavailable += endOfLoad - prev;
    lastGapEnd = Infinity;
  }
  const recover = lastGapEnd === 0 ? 0 : lastGapEnd === Infinity ? Infinity : Math.max(0, lastGapEnd - heal);
  const fmt = (ms) => (ms === Infinity ? 'never' : (ms / 1000).toFixed(2));
  console.log(`unavailable_s=${fmt(unavailable)} recover_s=${fmt(recover)} errors=${errors} ` +
    `statuses=${Object.entries(statuses).map(([k, v]) => `${k}:${v}`).join(',')}`);
  process.exit(recover === Infinity ? 3 : 0);
}

if (mode === 'load') await load();
else if (mode === 'check') await check();
else if (mode === 'report') report();
else {
  console.error('usage: fault_load.mjs load|check|report ...');
  process.exit(2);
}
