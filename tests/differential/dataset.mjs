// Deterministic, realistic log events for the differential test and the
// query benchmark: the same generator feeds Cairn (as CLEF lines) and DuckDB
// (as NDJSON rows of a flat table), so both engines see identical data.
//
// Shape: HTTP request logs (RequestPath, StatusCode ints, Elapsed floats,
// trace/span ids), sign-ins (nullable/missing UserId), cache misses, orders
// (Total floats), failures with .NET-style exceptions, background jobs;
// levels weighted like a real service; 2% of events carry no level at all
// (Cairn reads them as Information); timestamps spread over several hours.

/// mulberry32: small, fast, deterministic.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const base_ms = Date.UTC(2024, 0, 15, 6, 0, 0); // 2024-01-15T06:00:00Z

const apps = ['Orders', 'Billing', 'Gateway', 'Identity'];
const methods = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const paths = [
  '/', '/health', '/api/orders', '/api/orders/recent', '/api/orders/search', '/api/cart', '/api/cart/items',
  '/api/checkout', '/api/payments', '/api/payments/refund', '/api/users', '/api/users/me', '/api/users/settings',
  '/api/products', '/api/products/featured', '/api/products/search', '/api/inventory', '/api/inventory/low',
  '/api/reports/daily', '/api/reports/monthly', '/login', '/logout', '/static/app.js', '/static/site.css',
  '/admin', '/admin/users', '/admin/audit', '/api/v2/orders', '/api/v2/cart', '/metrics',
];
const statuses = [200, 200, 200, 200, 200, 200, 201, 204, 301, 400, 401, 404, 404, 500, 503];
const cache_keys = ['user:profile', 'cart:summary', 'product:list', 'inventory:count', 'session:token'];
const jobs = ['ReindexProducts', 'SendDigest', 'PurgeSessions', 'RollupMetrics'];
const exceptions = [
  'System.InvalidOperationException: Sequence contains no elements\n   at System.Linq.ThrowHelper.ThrowNoElementsException()\n   at Orders.Api.OrderService.GetLatest()',
  'System.NullReferenceException: Object reference not set to an instance of an object.\n   at Billing.Invoices.Render(Invoice invoice)',
  'System.TimeoutException: The operation has timed out.\n   at Gateway.Proxy.SendAsync(HttpRequestMessage request)',
  'Npgsql.PostgresException: 40P01: deadlock detected\n   at Npgsql.NpgsqlConnector.ReadMessage()',
  'System.ArgumentException: Value does not fall within the expected range. (Parameter \'quantity\')\n   at Orders.Cart.Add(Int32 quantity)',
  'System.Net.Http.HttpRequestException: Connection refused (payments.internal:443)\n   at System.Net.Http.HttpConnectionPool.ConnectAsync()',
  'Unhandled failure in worker thread without a type prefix',
];

const hex = (r, n) => {
  let s = '';
  for (let i = 0; i < n; ++i) s += '0123456789abcdef'[Math.floor(r() * 16)];
  return s;
};

function pick_level(r, kind) {
  const x = r();
  if (kind === 'failure') return x < 0.85 ? 'Error' : 'Fatal';
  if (x < 0.02) return null; // no level sent: Information
  if (x < 0.08) return 'Debug';
  if (x < 0.10) return 'Verbose';
  if (x < 0.84) return 'Information';
  if (x < 0.95) return 'Warning';
  return 'Error';
}

function render(mt, props) {
  return mt.replace(/\{(\w+)\}/g, (_, n) => (props[n] === undefined ? `{${n}}` : String(props[n])));
}

/// Generates `count` events over `hours` hours. Calls emit(clef_line, row):
/// clef_line is the CLEF JSON text, row the flat object for DuckDB.
export function generate(count, hours, seed, emit) {
  for (const [line, row] of event_stream(count, hours, seed)) emit(line, row);
}

/// The same events as an iterator of [clef_line, row] (for streaming loads).
export function* event_stream(count, hours, seed) {
  const r = rng(seed);
  const span_ms = hours * 3600 * 1000;
  for (let i = 0; i < count; ++i) {
    const ts = base_ms + Math.floor((i * span_ms) / count) + Math.floor(r() * (span_ms / count));
    const k = r();
    const kind = k < 0.55 ? 'http' : k < 0.65 ? 'login' : k < 0.78 ? 'cache' : k < 0.9 ? 'order' : k < 0.95 ? 'job' : 'failure';
    const app = apps[Math.floor(r() * apps.length)];
    let level = pick_level(r, kind);
    const props = { Application: app };
    let mt;
    let trace = null, span = null;
    switch (kind) {
      case 'http': {
        mt = 'HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed} ms';
        props.RequestMethod = methods[Math.floor(r() * methods.length)];
        props.RequestPath = paths[Math.floor(Math.pow(r(), 1.6) * paths.length)];
        props.StatusCode = statuses[Math.floor(r() * statuses.length)];
        props.Elapsed = Math.round(Math.exp(r() * 7) * 1000) / 1000;
        if (props.StatusCode >= 500 && level !== null && level !== 'Fatal') level = 'Error';
        const u = r();
        if (u < 0.3) props.UserId = null;
        else if (u < 0.6) props.UserId = `u-${Math.floor(r() * 500)}`;
        trace = hex(r, 32);
        span = hex(r, 16);
        break;
      }
      case 'login':
        mt = 'User {UserId} signed in from {ClientIp}';
        props.UserId = `u-${Math.floor(r() * 500)}`;
        props.ClientIp = `10.0.${Math.floor(r() * 4)}.${Math.floor(r() * 250)}`;
        break;
      case 'cache':
        mt = 'Cache miss for key {CacheKey}';
        props.CacheKey = cache_keys[Math.floor(r() * cache_keys.length)];
        break;
      case 'order':
        mt = 'Order {OrderId} placed with total {Total}';
        props.OrderId = 10000 + i;
        props.Total = Math.round(r() * 50000) / 100;
        props.UserId = `u-${Math.floor(r() * 500)}`;
        break;
      case 'job':
        mt = 'Background job {JobName} completed in {Elapsed} ms';
        props.JobName = jobs[Math.floor(r() * jobs.length)];
        props.Elapsed = Math.round(r() * 60000) / 10;
        break;
      default:
        mt = 'Payment for order {OrderId} failed';
        props.OrderId = 10000 + i;
        break;
    }
    let exc = null;
    if ((level === 'Error' || level === 'Fatal') && r() < 0.8) exc = exceptions[Math.floor(r() * exceptions.length)];
    else if (level === 'Warning' && r() < 0.1) exc = exceptions[2];
    const msg = render(mt, props);
    const clef = { '@t': new Date(ts).toISOString(), '@mt': mt, '@m': msg };
    if (level !== null) clef['@l'] = level;
    if (exc !== null) clef['@x'] = exc;
    if (trace) {
      clef['@tr'] = trace;
      clef['@sp'] = span;
    }
    Object.assign(clef, props);
    const row = {
      seq: i,
      ts_ms: ts,
      level: level ?? 'Information',
      mt,
      msg,
      exc,
      app,
      method: props.RequestMethod ?? null,
      path: props.RequestPath ?? null,
      status: props.StatusCode ?? null,
      elapsed: props.Elapsed ?? null,
      user_id: props.UserId ?? null,
      has_user: 'UserId' in props,
      client_ip: props.ClientIp ?? null,
      cache_key: props.CacheKey ?? null,
      order_id: props.OrderId ?? null,
      total: props.Total ?? null,
      job: props.JobName ?? null,
      trace_id: trace,
    };
    yield [JSON.stringify(clef), row];
  }
}

/// DuckDB column types for the rows `generate` emits.
export const duck_columns = {
  seq: 'BIGINT', ts_ms: 'BIGINT', level: 'VARCHAR', mt: 'VARCHAR', msg: 'VARCHAR', exc: 'VARCHAR', app: 'VARCHAR',
  method: 'VARCHAR', path: 'VARCHAR', status: 'INTEGER', elapsed: 'DOUBLE', user_id: 'VARCHAR',
  has_user: 'BOOLEAN', client_ip: 'VARCHAR', cache_key: 'VARCHAR', order_id: 'BIGINT', total: 'DOUBLE',
  job: 'VARCHAR', trace_id: 'VARCHAR',
};

/// SQL that loads an NDJSON file of rows into table `events` (ts as TIMESTAMP).
export function duck_load_sql(ndjson_path) {
  const cols = Object.entries(duck_columns)
    .map(([k, t]) => `${k}: '${t}'`)
    .join(', ');
  return `CREATE OR REPLACE TABLE events AS SELECT make_timestamp(ts_ms * 1000) AS ts, * EXCLUDE (ts_ms) ` +
    `FROM read_json('${ndjson_path}', format = 'newline_delimited', columns = {${cols}})`;
}
