// Sends distinctive events through each real client library (seq-logging,
// pino-seq, winston-seq, OpenTelemetry logs and traces over OTLP/HTTP JSON and
// protobuf), shuts every client down properly, then reads everything back
// from GET /api/events and checks each event field by field.
//
// usage: node clients_test.mjs SERVER_URL
// Exit code 0 when every expectation holds, 1 otherwise.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';

import { Logger as SeqLogger } from 'seq-logging';
import pino from 'pino';
import { createStream as createPinoSeqStream } from 'pino-seq';
import winston from 'winston';
import { SeqTransport } from '@datalust/winston-seq';
import { trace, context, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as OTLPLogExporterJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogExporterProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';

const server = (process.argv[2] || '').replace(/\/$/, '');
if (!server) {
  console.error('usage: node clients_test.mjs SERVER_URL');
  process.exit(2);
}
const runId = randomUUID();

// --- expectations ------------------------------------------------------------

/** Every event we send, keyed by its unique case name, with what must come back. */
const expected = new Map();
/** Errors reported by the clients themselves (HTTP failures, rejected batches). */
const clientErrors = [];

function expect(client, caseName, spec) {
  assert(!expected.has(caseName), `duplicate case ${caseName}`);
  expected.set(caseName, { client, ...spec });
}

/** ISO-8601 with 7 fractional digits, as Seq prints timestamps. */
function iso(ns) {
  const ms = Number(ns / 1000000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = (ns % 1000000000n) / 100n;
  return `${base}.${frac.toString().padStart(7, '0')}Z`;
}

/** .NET TimeSpan text (c format) of a nanosecond duration. */
function timespan(ns) {
  const ticks = ns / 100n;
  const f = ticks % 10000000n;
  let s = ticks / 10000000n;
  const days = s / 86400n;
  s %= 86400n;
  const p2 = (v) => v.toString().padStart(2, '0');
  const hms = `${p2(s / 3600n)}:${p2((s / 60n) % 60n)}:${p2(s % 60n)}.${f.toString().padStart(7, '0')}`;
  return days > 0n ? `${days}.${hms}` : hms;
}

const hr = (ns) => [Number(ns / 1000000000n), Number(ns % 1000000000n)];
const msNs = (ms) => BigInt(ms) * 1000000n;

// A fixed base time a little in the past, so every expected timestamp is exact.
const T0 = (BigInt(Date.now()) - 3600000n) * 1000000n;

function makeError(message) {
  const err = new Error(message);
  err.code = 'E_TEST';
  return err;
}

// --- seq-logging ---------------------------------------------------------------

async function sendSeqLogging() {
  const logger = new SeqLogger({
    serverUrl: server,
    onError: (e) => clientErrors.push(`seq-logging: ${e}`),
  });
  const ts = (i) => new Date(Number((T0 + msNs(i * 10)) / 1000000n));
  const tsNs = (i) => T0 + msNs(i * 10);
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const spanId = '00f067aa0ba902b7';

  const typed = {
    Case: 'seq-logging/typed', RunId: runId,
    OrderId: 1042, Customer: 'ACME "Ltd" Zoë ✓', Total: 99.95, Paid: true, Coupon: null,
    Items: ['a', 2, false, null], Address: { City: 'Oslo', Zip: 150, Geo: { Lat: 59.9 } },
    MaxSafe: 9007199254740991, Negative: -17, Tiny: 1.5e-7,
  };
  logger.emit({
    timestamp: ts(1), level: 'Warning', traceId, spanId,
    messageTemplate: 'Order {OrderId} for {Customer} cost {Total} paid={Paid}',
    properties: typed,
  });
  expect('seq-logging', 'seq-logging/typed', {
    timestamp: iso(tsNs(1)), level: 'Warning',
    message: 'Order 1042 for ACME "Ltd" Zoë ✓ cost 99.95 paid=true',
    props: typed, traceId, spanId,
  });

  const err = makeError('Disk quota exceeded');
  logger.emit({
    timestamp: ts(2), level: 'Error', messageTemplate: 'Failed to {Action} after {Ms:0.00} ms',
    exception: err.stack, properties: { Case: 'seq-logging/exception', RunId: runId, Action: 'save', Ms: 3.14159 },
  });
  expect('seq-logging', 'seq-logging/exception', {
    timestamp: iso(tsNs(2)), level: 'Error', message: 'Failed to save after 3.14 ms',
    exception: err.stack, props: { Action: 'save', Ms: 3.14159 },
  });

  // No level and no template: Seq's defaults.
  logger.emit({ timestamp: ts(3), properties: { Case: 'seq-logging/defaults', RunId: runId } });
  expect('seq-logging', 'seq-logging/defaults', {
    timestamp: iso(tsNs(3)), level: 'Information', message: '(No message provided)', props: {},
  });

  for (const [i, level] of ['Verbose', 'Debug', 'Information', 'Fatal'].entries()) {
    const c = `seq-logging/level-${level}`;
    logger.emit({ timestamp: ts(10 + i), level, messageTemplate: '{{literal}} braces at {Level}',
      properties: { Case: c, RunId: runId, Level: level } });
    expect('seq-logging', c, { timestamp: iso(tsNs(10 + i)), level, message: `{literal} braces at ${level}`, props: { Level: level } });
  }
  await logger.close();
}

// --- pino + pino-seq ------------------------------------------------------------

async function sendPino() {
  const stream = createPinoSeqStream({
    serverUrl: server,
    additionalProperties: { Source: 'pino-seq' },
    onError: (e) => clientErrors.push(`pino-seq: ${e}`),
  });
  let clock = T0 + msNs(1000);
  const log = pino({ level: 'trace', base: { app: 'pino-test' }, timestamp: () => `,"time":${Number(clock / 1000000n)}` }, stream);
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const spanId = 'b7ad6b7169203331';

  const props = {
    Case: 'pino/typed', RunId: runId, user: 'bob', count: 7, ratio: 0.5, ok: false, none: null,
    tags: ['x', 'y'], nested: { a: { b: 1 } }, trace_id: traceId, span_id: spanId,
  };
  log.info(props, 'Hello {user}, you have {count} messages');
  expect('pino', 'pino/typed', {
    timestamp: iso(clock), level: 'Information', message: 'Hello bob, you have 7 messages',
    props: { ...props, app: 'pino-test', Source: 'pino-seq' }, traceId, spanId,
  });

  clock += msNs(10);
  const err = makeError('pino boom');
  log.error({ Case: 'pino/error', RunId: runId, err }, 'Request failed');
  expect('pino', 'pino/error', {
    timestamp: iso(clock), level: 'Error', message: 'Request failed', exception: err.stack,
    props: { type: 'Error', code: 'E_TEST' },
  });

  const child = log.child({ requestId: 'req-9' });
  const levels = [['trace', 'Verbose'], ['debug', 'Debug'], ['warn', 'Warning'], ['fatal', 'Fatal']];
  for (const [name, level] of levels) {
    clock += msNs(10);
    const c = `pino/level-${name}`;
    child[name]({ Case: c, RunId: runId }, `level ${name}`);
    expect('pino', c, { timestamp: iso(clock), level, message: `level ${name}`, props: { requestId: 'req-9' } });
  }
  stream.end();
  await once(stream, 'finish');
}

// --- winston + @datalust/winston-seq ---------------------------------------------

async function sendWinston() {
  const transport = new SeqTransport({
    serverUrl: server,
    onError: (e) => clientErrors.push(`winston-seq: ${e}`),
  });
  const logger = winston.createLogger({
    level: 'silly',
    format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { service: 'winston-test' },
    transports: [transport],
  });
  const at = (i) => new Date(Number((T0 + msNs(2000 + i * 10)) / 1000000n));
  const atNs = (i) => T0 + msNs(2000 + i * 10);

  const meta = {
    Case: 'winston/typed', RunId: runId, Count: 12, City: 'Bergen', Weight: 3.5, Fragile: true,
    Note: null, Dims: [1, 2, 3], Meta: { k: 'v', n: [true] },
  };
  logger.info('Shipped {Count} parcels to {City}', { ...meta, timestamp: at(1) });
  expect('winston', 'winston/typed', {
    timestamp: iso(atNs(1)), level: 'info', message: 'Shipped 12 parcels to Bergen',
    props: { ...meta, service: 'winston-test', timestamp: at(1).toISOString() },
  });

  const err = makeError('winston boom');
  logger.log({ level: 'error', message: 'Crash in {Where}', Where: 'db', stack: err.stack, Case: 'winston/stack', RunId: runId, timestamp: at(2) });
  expect('winston', 'winston/stack', {
    timestamp: iso(atNs(2)), level: 'error', message: 'Crash in db', exception: err.stack, props: { Where: 'db' },
  });
  logger.warn('Payment {Id} declined', { Id: 77, exception: 'CardDeclined: insufficient funds\n   at pay()', Case: 'winston/exception', RunId: runId, timestamp: at(3) });
  expect('winston', 'winston/exception', {
    timestamp: iso(atNs(3)), level: 'warn', message: 'Payment 77 declined',
    exception: 'CardDeclined: insufficient funds\n   at pay()', props: { Id: 77 },
  });
  for (const [i, level] of ['debug', 'verbose', 'silly', 'http'].entries()) {
    const c = `winston/level-${level}`;
    logger.log({ level, message: `winston ${level}`, Case: c, RunId: runId, timestamp: at(10 + i) });
    expect('winston', c, { timestamp: iso(atNs(10 + i)), level, message: `winston ${level}`, props: {} });
  }
  // Let winston's pipeline hand everything to the transport, then flush it.
  await new Promise((r) => setImmediate(r));
  await transport.flush();
  logger.close();
}

// --- OpenTelemetry logs -----------------------------------------------------------

async function sendOtelLogs(kind, Exporter, url) {
  const client = `otel-logs-${kind}`;
  const service = `cairn-test-${client}`;
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.version': '1.2.3' }),
    processors: [new BatchLogRecordProcessor({ exporter: new Exporter({ url }) })],
  });
  const logger = provider.getLogger('cairn-client-test', '0.1.0');
  const base = T0 + msNs(kind === 'json' ? 3000 : 4000);
  const traceId = kind === 'json' ? '5b8efff798038103d269b633813fc60c' : '6e0c63257de34c92bf9efcd03927272e';
  const spanId = kind === 'json' ? 'eee19b7ec3c1b174' : '2f7a1d3c4b5e6f70';
  const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
  const resource = { 'service.name': service, 'service.version': '1.2.3' };
  const scope = { name: 'cairn-client-test', version: '0.1.0' };

  const attrs = {
    case: `${client}/typed`, 'run.id': runId, 'disk.path': '/var', usage: 0.93, count: 5, ok: true,
    list: ['a', 'b'], obj: { x: 1, y: 'z' },
  };
  logger.emit({
    timestamp: hr(base + 123400n), severityNumber: SeverityNumber.WARN, severityText: 'WARN',
    body: 'Disk {usage} almost full', attributes: attrs, context: ctx,
  });
  expect(client, `${client}/typed`, {
    timestamp: iso(base + 123400n), level: 'WARN', message: 'Disk {usage} almost full',
    props: attrs, traceId, spanId, resource, scope,
  });

  // Severity number only: the level is named from the number.
  const numbered = [[SeverityNumber.TRACE, 'Trace'], [SeverityNumber.DEBUG2, 'Debug'], [SeverityNumber.INFO, 'Information'],
    [SeverityNumber.WARN2, 'Warning'], [SeverityNumber.ERROR, 'Error'], [SeverityNumber.FATAL4, 'Fatal']];
  for (const [i, [n, level]] of numbered.entries()) {
    const c = `${client}/severity-${n}`;
    const t = base + msNs(10 * (i + 1));
    logger.emit({ timestamp: hr(t), severityNumber: n, body: `severity ${n}`, attributes: { case: c, 'run.id': runId } });
    expect(client, c, { timestamp: iso(t), level, message: `severity ${n}`, props: {}, resource, scope });
  }

  // A structured body renders as its JSON text; null, bytes (base64), negative and large ints.
  const st = base + msNs(90);
  logger.emit({
    timestamp: hr(st), severityNumber: SeverityNumber.INFO, body: { msg: 'structured', n: 1 },
    attributes: { case: `${client}/structured`, 'run.id': runId, nothing: null, bytes: new Uint8Array([1, 2, 255]), big: 2 ** 53 - 1, neg: -5 },
  });
  expect(client, `${client}/structured`, {
    timestamp: iso(st), level: 'Information', message: '{"msg":"structured","n":1}',
    props: { nothing: null, bytes: 'AQL/', big: 2 ** 53 - 1, neg: -5 }, resource, scope,
  });

  const err = makeError(`${kind} log failure`);
  const t = base + msNs(100);
  logger.emit({
    timestamp: hr(t), severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'with exception',
    exception: err, attributes: { case: `${client}/exception`, 'run.id': runId },
  });
  // The SDK turns the exception into exception.* attributes (semantic conventions).
  expect(client, `${client}/exception`, {
    timestamp: iso(t), level: 'ERROR', message: 'with exception',
    props: { 'exception.type': 'E_TEST', 'exception.message': err.message, 'exception.stacktrace': err.stack },
  });
  await provider.shutdown();
}

// --- OpenTelemetry traces ---------------------------------------------------------

async function sendOtelTraces(kind, Exporter, url, compression) {
  const client = `otel-traces-${kind}`;
  const service = `cairn-test-${client}`;
  const exporter = new Exporter(compression ? { url, compression } : { url });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('cairn-tracer', '2.0.0');
  const base = T0 + msNs(kind === 'json' ? 5000 : 6000);
  const t = (us) => base + BigInt(us) * 1000n + 700n; // odd sub-microsecond part on purpose
  const resource = { 'service.name': service };
  const scope = { name: 'cairn-tracer', version: '2.0.0' };

  const parentAttrs = { case: `${client}/parent`, 'run.id': runId, 'http.method': 'GET', 'http.status_code': 500, 'retry.ratio': 0.25, 'cache.hit': false, tags: ['a', 'b'] };
  const parent = tracer.startSpan('GET /orders/{id}', { kind: SpanKind.SERVER, startTime: hr(t(0)), attributes: parentAttrs });
  const pctx = trace.setSpan(ROOT_CONTEXT, parent);
  const childAttrs = { case: `${client}/child`, 'run.id': runId, 'db.system': 'postgresql', rows: 3 };
  const child = tracer.startSpan('SELECT orders', { kind: SpanKind.CLIENT, startTime: hr(t(150)), attributes: childAttrs }, pctx);
  child.addEvent('rows fetched', { rows: 3, partial: true }, hr(t(900)));
  const err = makeError('deadlock detected');
  child.recordException(err, hr(t(950)));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock detected' });
  child.end(hr(t(1000)));
  const internalAttrs = { case: `${client}/internal`, 'run.id': runId };
  const internal = tracer.startSpan('render', { startTime: hr(t(1100)), attributes: internalAttrs }, pctx);
  internal.end(hr(t(1100) + 86400n * 1000000000n)); // a day long: tests the days part of Elapsed
  parent.setStatus({ code: SpanStatusCode.OK });
  parent.end(hr(t(2500000)));

  const traceId = parent.spanContext().traceId;
  const parentId = parent.spanContext().spanId;
  expect(client, `${client}/parent`, {
    timestamp: iso(t(2500000)), start: iso(t(0)), elapsed: timespan(t(2500000) - t(0)),
    level: 'Information', message: 'GET /orders/{id}', spanKind: 'Server', traceId, spanId: parentId, parentId: null,
    props: parentAttrs, resource, scope,
  });
  expect(client, `${client}/child`, {
    timestamp: iso(t(1000)), start: iso(t(150)), elapsed: timespan(t(1000) - t(150)),
    level: 'Error', message: 'SELECT orders', spanKind: 'Client', traceId, spanId: child.spanContext().spanId, parentId,
    props: {
      ...childAttrs, StatusMessage: 'deadlock detected',
      SpanEvents: [
        { Name: 'rows fetched', Timestamp: iso(t(900)), Attributes: { rows: 3, partial: true } },
        { Name: 'exception', Timestamp: iso(t(950)), Attributes: { 'exception.type': 'E_TEST', 'exception.message': 'deadlock detected', 'exception.stacktrace': err.stack } },
      ],
    },
    resource, scope,
  });
  expect(client, `${client}/internal`, {
    timestamp: iso(t(1100) + 86400n * 1000000000n), start: iso(t(1100)), elapsed: timespan(86400n * 1000000000n),
    level: 'Information', message: 'render', spanKind: 'Internal', traceId, spanId: internal.spanContext().spanId, parentId,
    props: internalAttrs, resource, scope,
  });
  await provider.shutdown();
}

// --- read back and compare ---------------------------------------------------------

async function readAll() {
  const events = [];
  let after = null;
  for (;;) {
    const q = after ? `&afterId=${after}` : '';
    const res = await fetch(`${server}/api/events?count=500${q}`);
    if (res.status !== 200) throw new Error(`GET /api/events answered ${res.status}: ${await res.text()}`);
    const page = await res.json();
    events.push(...page);
    if (page.length < 500) return events;
    after = page[page.length - 1].Id;
  }
}

function propsOf(ev) {
  const m = new Map();
  for (const p of ev.Properties || []) m.set(p.Name, p.Value);
  return m;
}

function nameValueObject(list) {
  if (!Array.isArray(list)) return list;
  return Object.fromEntries(list.map((p) => [p.Name, p.Value]));
}

/** ISO-8601 text to BigInt nanoseconds (any number of fraction digits). */
function isoNs(text) {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(text);
  if (!m) return text;
  return BigInt(Date.parse(`${m[1]}Z`)) * 1000000n + BigInt((m[2] || '').padEnd(9, '0').slice(0, 9));
}

/** Span events with their timestamps as instants: the decoders print 9 fraction digits there. */
function spanEventInstants(events) {
  if (!Array.isArray(events)) return events;
  return events.map((e) => ({ ...e, Timestamp: typeof e?.Timestamp === 'string' ? String(isoNs(e.Timestamp)) : e?.Timestamp }));
}

/** Deep equality that also checks JSON types (no 1 == "1", no null == undefined). */
function sameJson(a, b) {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

function check(ev, raw, spec, problems) {
  const want = (what, got, exp) => {
    if (!sameJson(got, exp)) problems.push(`${what}: expected ${JSON.stringify(exp)}, got ${JSON.stringify(got)}`);
  };
  if (spec.timestamp) want('Timestamp', ev.Timestamp, spec.timestamp);
  want('Level', ev.Level, spec.level);
  want('RenderedMessage', ev.RenderedMessage, spec.message);
  want('Exception', ev.Exception, spec.exception);
  want('TraceId', ev.TraceId, spec.traceId);
  want('SpanId', ev.SpanId, spec.spanId);
  want('ParentId', ev.ParentId, spec.parentId ?? undefined);
  want('SpanKind', ev.SpanKind, spec.spanKind);
  want('Start', ev.Start, spec.start);
  want('Elapsed', ev.Elapsed, spec.elapsed);
  const props = propsOf(ev);
  for (const [name, value] of Object.entries(spec.props)) {
    if (!props.has(name)) {
      problems.push(`property ${name} missing (have ${[...props.keys()].join(', ')})`);
      continue;
    }
    want(`property ${name}`, name === 'SpanEvents' ? spanEventInstants(props.get(name)) : props.get(name),
      name === 'SpanEvents' ? spanEventInstants(value) : value);
    // Integers: the JSON text must be the integer as sent (no 42 -> 42.0).
    if (Number.isInteger(value) && !raw.includes(`{"Name":${JSON.stringify(name)},"Value":${JSON.stringify(value)}}`)) {
      problems.push(`property ${name}: JSON text is not ${JSON.stringify(value)}`);
    }
  }
  if (spec.resource) want('Resource', nameValueObject(ev.Resource), spec.resource);
  if (spec.scope) want('Scope', nameValueObject(ev.Scope), spec.scope);
  if (!Array.isArray(ev.MessageTemplateTokens) || ev.MessageTemplateTokens.length === 0) problems.push('MessageTemplateTokens missing');
  if (!/^event-[0-9a-f]{16}$/.test(ev.Id)) problems.push(`Id ${ev.Id} is not an event id`);
}

async function main() {
  const senders = [
    ['seq-logging', sendSeqLogging],
    ['pino', sendPino],
    ['winston', sendWinston],
    ['otel-logs-json', () => sendOtelLogs('json', OTLPLogExporterJson, `${server}/v1/logs`)],
    ['otel-logs-proto', () => sendOtelLogs('proto', OTLPLogExporterProto, `${server}/ingest/otlp/v1/logs`)],
    ['otel-traces-json', () => sendOtelTraces('json', OTLPTraceExporterJson, `${server}/ingest/otlp/v1/traces`)],
    ['otel-traces-proto', () => sendOtelTraces('proto', OTLPTraceExporterProto, `${server}/v1/traces`, 'gzip')],
  ];
  // OTel's diagnostic logger is silent by default: export failures surface as missing events.
  for (const [name, send] of senders) {
    try {
      await send();
    } catch (e) {
      clientErrors.push(`${name}: ${e?.stack || e}`);
    }
  }

  const events = await readAll();
  const byCase = new Map();
  for (const ev of events) {
    const p = propsOf(ev);
    const run = p.get('RunId') ?? p.get('run.id');
    const c = p.get('Case') ?? p.get('case');
    if (run !== runId || typeof c !== 'string') continue;
    if (!byCase.has(c)) byCase.set(c, []);
    byCase.get(c).push(ev);
  }

  const summary = new Map();
  let failures = 0;
  for (const [caseName, spec] of expected) {
    const s = summary.get(spec.client) ?? { ok: 0, bad: 0 };
    summary.set(spec.client, s);
    const found = byCase.get(caseName) ?? [];
    const problems = [];
    if (found.length !== 1) {
      problems.push(`expected exactly 1 event, found ${found.length}`);
    } else {
      const res = await fetch(`${server}/api/events/${found[0].Id}`);
      const raw = await res.text();
      if (res.status !== 200) problems.push(`GET /api/events/${found[0].Id} answered ${res.status}`);
      else check(JSON.parse(raw), raw, spec, problems);
    }
    if (problems.length) {
      s.bad++;
      failures++;
      console.log(`FAIL ${caseName}`);
      for (const p of problems) console.log(`     ${p}`);
    } else {
      s.ok++;
    }
  }
  for (const c of byCase.keys()) {
    if (!expected.has(c)) {
      failures++;
      console.log(`FAIL unexpected event with case ${c}`);
    }
  }
  for (const e of clientErrors) {
    failures++;
    console.log(`FAIL client error: ${e}`);
  }
  console.log('\nclient               events ok  failed');
  for (const [client, s] of summary) console.log(`${client.padEnd(20)} ${String(s.ok).padStart(9)}  ${String(s.bad).padStart(6)}`);
  console.log(`\n${events.length} events read back, ${expected.size} expected, ${failures} failure(s)`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
