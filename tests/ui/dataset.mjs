// The events the browser test loads: several levels, typed properties,
// exceptions, and one trace with nested spans (one failed). Deterministic
// apart from timestamps (the last few minutes, so "Last hour" sees them).

export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const APPS = ['shop', 'billing', 'search'];
const LEVELS = ['Information', 'Information', 'Warning', 'Debug', 'Error'];

export function makeDataset(now = Date.now()) {
  const events = [];
  const base = now - 10 * 60 * 1000;
  for (let i = 0; i < 90; i++) {
    const level = LEVELS[i % LEVELS.length];
    const e = {
      '@t': new Date(base + i * 5000).toISOString(),
      '@mt': 'Handled {RequestPath} for {UserId} with {StatusCode}',
      '@l': level,
      RequestPath: `/api/items/${i % 7}`,
      UserId: `u-${i % 4}`,
      StatusCode: level === 'Error' ? 500 : 200,
      Application: APPS[i % APPS.length],
    };
    if (level === 'Error')
      e['@x'] = `System.InvalidOperationException: item ${i} is locked\n   at Shop.Items.Lock(Int32 id)\n   at Shop.Api.Handle()`;
    events.push(e);
  }
  // One trace: GET /checkout -> db.query, payment.charge (failed) -> http POST /charge.
  const t0 = now - 2 * 60 * 1000;
  const span = (name, id, parent, startMs, endMs, extra = {}) => ({
    '@t': new Date(t0 + endMs).toISOString(), '@st': new Date(t0 + startMs).toISOString(),
    '@mt': name, '@tr': TRACE_ID, '@sp': id, ...(parent ? { '@ps': parent } : {}),
    '@sk': parent ? 'Internal' : 'Server', Application: 'shop', ...extra,
  });
  events.push(span('GET /checkout', 'a000000000000001', null, 0, 120));
  events.push(span('db.query', 'a000000000000002', 'a000000000000001', 10, 50, { 'db.system': 'postgresql' }));
  events.push(span('payment.charge', 'a000000000000003', 'a000000000000001', 60, 110,
    { '@l': 'Error', '@x': 'PaymentDeclined: card expired\n   at Payments.Charge()' }));
  events.push(span('http POST /charge', 'a000000000000004', 'a000000000000003', 65, 100));
  events.push({ '@t': new Date(t0 + 70).toISOString(), '@mt': 'Charging card for {Amount}', Amount: 42.5,
    '@tr': TRACE_ID, '@sp': 'a000000000000004', Application: 'shop' });
  return events;
}

/** Counts dataset events satisfying `pred` (the test's expected answers). */
export function count(events, pred) {
  return events.filter(pred).length;
}
