// Minimal HTTP client for a running Cairn node: CLEF ingestion in chunks,
// waiting for the indexer, and /api/data queries.

/// POSTs CLEF lines in chunks of `chunk` events, `parallel` requests at once.
export async function post_clef(url, lines, { chunk = 5000, parallel = 2 } = {}) {
  let next = 0;
  async function worker() {
    while (next < lines.length) {
      const start = next;
      next += chunk;
      const body = lines.slice(start, start + chunk).join('\n') + '\n';
      const res = await fetch(`${url}/ingest/clef`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.serilog.clef' },
        body,
      });
      if (res.status !== 201) throw new Error(`ingest of events ${start}.. answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker));
}

/// Reads one counter from /metrics (0 if absent).
export async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'));
  return m ? Number(m[1]) : 0;
}

/// Waits until the node has folded `count` events into blocks (or the
/// buffer is drained), polling /metrics; gives up after `timeout_ms`.
export async function wait_indexed(url, count, timeout_ms = 600000) {
  const until = Date.now() + timeout_ms;
  for (;;) {
    const n = await metric(url, 'cairn_indexed_events_total');
    if (n >= count) return n;
    if (Date.now() > until) throw new Error(`only ${n} of ${count} events indexed after ${timeout_ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/// Runs a query through GET /api/data; returns { status, json, ms }.
export async function data(url, q, range) {
  const p = new URLSearchParams({ q });
  if (range?.from) p.set('rangeStartUtc', range.from);
  if (range?.to) p.set('rangeEndUtc', range.to);
  const t0 = performance.now();
  const res = await fetch(`${url}/api/data?${p}`);
  const text = await res.text();
  const ms = performance.now() - t0;
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json, ms };
}

/// GET /api/events?filter=...&count=...: the events array.
export async function events(url, filter, count, range) {
  const p = new URLSearchParams({ filter, count: String(count) });
  if (range?.from) p.set('fromDateUtc', range.from);
  if (range?.to) p.set('toDateUtc', range.to);
  const res = await fetch(`${url}/api/events?${p}`);
  if (res.status !== 200) throw new Error(`/api/events answered ${res.status}: ${await res.text()}`);
  return res.json();
}
