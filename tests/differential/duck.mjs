// DuckDB side: an in-memory database holding the same events as the node.
import { DuckDBInstance } from '@duckdb/node-api';
import { writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duck_load_sql } from './dataset.mjs';

/// Opens DuckDB with `threads` threads and loads `rows` into table `events`.
export async function open_duck(rows, threads = 1) {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const conn = await instance.connect();
  const file = join(tmpdir(), `cairn-duck-${process.pid}-${Date.now()}.ndjson`);
  // Write in pieces: one string of 2M rows would exceed V8's string limit.
  writeFileSync(file, '');
  const step = 100000;
  for (let i = 0; i < rows.length; i += step)
    writeFileSync(file, rows.slice(i, i + step).map((r) => JSON.stringify(r)).join('\n') + '\n', { flag: 'a' });
  await conn.run(duck_load_sql(file));
  unlinkSync(file);
  return { instance, conn };
}

/// Converts DuckDB JS values to what Cairn's JSON shows (BigInt → Number,
/// timestamps → ISO strings).
export function plain(v) {
  if (typeof v === 'bigint') return Number(v);
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && 'micros' in v) return new Date(Number(v.micros / 1000n)).toISOString();
  if (typeof v === 'object' && 'toDouble' in v) return v.toDouble();
  return v;
}

/// Runs SQL; returns rows as arrays of plain values.
export async function duck_rows(conn, sql) {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRows().map((r) => r.map(plain));
}
