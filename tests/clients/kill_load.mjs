// Load and check halves of the SIGKILL durability test
// (tests/integration/kill_durability.sh). No npm dependencies.
//
//   node kill_load.mjs load SERVER_URL ROUND ACKED_FILE [CONNECTIONS] [BATCH]
//     Posts CLEF batches of uniquely numbered events on CONNECTIONS concurrent
//     keep-alive loops until the server stops answering. Appends one line
//     "ROUND BATCH_NO" to ACKED_FILE (synchronously) for every 201. A worker
//     stops at its first network error or non-201 status.
//
//   node kill_load.mjs check SERVER_URL ACKED_FILE BATCH
//     Reads every event back (GET /api/events, paged) and checks that each
//     acknowledged batch is present in full, and that no batch is half-stored.
//     Prints acked/found/lost figures; exit code 1 on any loss.
import { appendFileSync, readFileSync } from 'node:fs';

const [mode, server, ...rest] = process.argv.slice(2);

/** The CLEF body of one batch: events "ROUND-BATCH-I", I in [0, size). */
function batchBody(round, batch, size) {
  const lines = [];
  const t = new Date().toISOString();
  for (let i = 0; i < size; i++) {
    lines.push(JSON.stringify({
      '@t': t, '@mt': 'Durability {Round} batch {Batch} item {Item}', '@l': 'Information',
      Round: round, Batch: batch, Item: i, Key: `${round}-${batch}-${i}`,
      Padding: 'x'.repeat(100),
    }));
  }
  return lines.join('\n');
}

async function load() {
  const [roundText, ackedFile, connText = '4', batchText = '50'] = rest;
  const round = Number(roundText);
  const size = Number(batchText);
  let next = 0;
  let acked = 0;
  const worker = async () => {
    for (;;) {
      const batch = next++;
      let res;
      try {
        res = await fetch(`${server}/ingest/clef`, { method: 'POST', body: batchBody(round, batch, size) });
        await res.text();
      } catch {
        return; // connection refused or reset: the node is gone
      }
      if (res.status !== 201) {
        console.error(`batch ${batch}: status ${res.status}`);
        return;
      }
      appendFileSync(ackedFile, `${round} ${batch}\n`);
      acked++;
    }
  };
  await Promise.all(Array.from({ length: Number(connText) }, worker));
  console.log(`round ${round}: ${acked} batches acknowledged, ${next} started`);
}

async function check() {
  const [ackedFile, batchText] = rest;
  const size = Number(batchText);
  const acked = new Set(readFileSync(ackedFile, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(' ', '-')));
  // Events found per batch "ROUND-BATCH", and duplicates per key.
  const found = new Map();
  const keys = new Set();
  let duplicates = 0;
  let total = 0;
  let after = '';
  for (;;) {
    const res = await fetch(`${server}/api/events?count=10000${after}`);
    if (res.status !== 200) throw new Error(`GET /api/events answered ${res.status}`);
    const page = await res.json();
    for (const ev of page) {
      total++;
      const p = Object.fromEntries(ev.Properties.map((x) => [x.Name, x.Value]));
      if (typeof p.Key !== 'string') continue;
      if (keys.has(p.Key)) duplicates++;
      keys.add(p.Key);
      const b = `${p.Round}-${p.Batch}`;
      found.set(b, (found.get(b) || 0) + 1);
    }
    if (page.length < 10000) break;
    after = `&afterId=${page[page.length - 1].Id}`;
  }
  let lostBatches = 0;
  let lostEvents = 0;
  for (const b of acked) {
    const n = found.get(b) || 0;
    if (n !== size) {
      lostBatches++;
      lostEvents += size - n;
      if (lostBatches <= 10) console.log(`LOST: acknowledged batch ${b} has ${n}/${size} events`);
    }
  }
  let partial = 0;
  let unackedStored = 0;
  for (const [b, n] of found) {
    if (n !== size) {
      partial++;
      if (partial <= 10) console.log(`PARTIAL: batch ${b} has ${n}/${size} events`);
    }
    if (!acked.has(b)) unackedStored++;
  }
  console.log(`acked ${acked.size * size} events (${acked.size} batches), found ${keys.size} (${total} read), ` +
    `lost ${lostEvents}, duplicates ${duplicates}, partial batches ${partial}, ` +
    `in-flight batches stored without ack ${unackedStored}`);
  process.exit(lostEvents || partial || duplicates ? 1 : 0);
}

if (mode === 'load') await load();
else if (mode === 'check') await check();
else {
  console.error('usage: kill_load.mjs load|check SERVER_URL ...');
  process.exit(2);
}
