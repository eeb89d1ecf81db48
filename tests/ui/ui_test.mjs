// Drives the web UI in Debian's chromium through playwright-core:
// search, expand, click-to-filter, filter error marking, live tail, SQL with
// bar and time charts, trace waterfall, cluster page, alerts (create, edit,
// delete through the form), settings (signal, API
// key shown once, sign-in). Fails on any console error or page error except
// the HTTP errors a step provokes on purpose.
//   node ui_test.mjs <node url> <artifact dir>
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDataset, count, TRACE_ID } from './dataset.mjs';

const [url, artifacts] = process.argv.slice(2);
if (!url || !artifacts) throw new Error('usage: node ui_test.mjs <node url> <artifact dir>');
mkdirSync(artifacts, { recursive: true });

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok - ${what}`);
}

async function post(path, body, headers = {}) {
  const res = await fetch(url + path, { method: 'POST', body, headers });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res;
}

// 1. Load the data and wait until it is searchable.
const data = makeDataset();
await post('/ingest/clef', data.map(e => JSON.stringify(e)).join('\n'));
for (let i = 0; ; i++) {
  const res = await fetch(`${url}/api/events?count=1000`);
  const got = await res.json();
  if (got.length >= data.length) break;
  if (i > 100) throw new Error(`only ${got.length} of ${data.length} events readable`);
  await new Promise(r => setTimeout(r, 100));
}

// 2. The admin API the Settings page uses (no keys exist yet: loopback is trusted).
{
  const json = async (method, path, body) => {
    const res = await fetch(url + path, { method, body: body && JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const created = await json('POST', '/api/retentionpolicies', { RetentionTime: '2.00:00:00', Filter: "@Level = 'Debug'" });
  check(created.status === 201 && created.body.RetentionMilliseconds === 172800000 && created.body.IsEnforced === true,
    'retention policy stored (2 days, Debug), marked enforced');
  const bad = await json('POST', '/api/retentionpolicies', { RetentionMilliseconds: 1000, Filter: "@Level = = 'x'" });
  check(bad.status === 400 && Number.isInteger(bad.body.Position), 'a bad retention filter is refused with its position');
  check((await json('GET', '/api/retentionpolicies')).body.length === 1, 'retention policies are listed');
  check((await json('DELETE', `/api/retentionpolicies/${created.body.Id}`)).status === 200 &&
        (await json('GET', '/api/retentionpolicies')).body.length === 0, 'a retention policy is removed');
  const sig = await json('POST', '/api/signals', { Title: 'Temp', Filters: [{ Filter: "Application = 'shop'" }] });
  check(sig.status === 201 && sig.body.Filter === "Application = 'shop'", 'signal created');
  check((await json('PUT', `/api/signals/${sig.body.Id}`, { Title: 'Temp2', Filter: "Application = 'x'" })).status === 200 &&
        (await json('GET', '/api/signals')).body.some(x => x.Title === 'Temp2'), 'signal updated');
  check((await json('DELETE', `/api/signals/${sig.body.Id}`)).status === 200, 'signal removed');
  check((await json('GET', '/api/apikeys')).body.length === 0, 'no API keys yet');
}

// 3. The browser: fresh profile, headless, nothing phoning home.
const profile = mkdtempSync(join(tmpdir(), 'cairn-ui-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
});
const consoleErrors = [];
let allowed = null; // regex of console errors the current step provokes on purpose
const page = context.pages()[0] || await context.newPage();
page.on('console', m => {
  if (m.type() !== 'error') return;
  if (allowed && allowed.test(m.text())) return;
  consoleErrors.push(`${m.text()} (${m.location().url || ''})`);
});
page.on('pageerror', e => consoleErrors.push(`page error: ${e.message}`));
page.setDefaultTimeout(15000);
const shot = name => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: false });

try {
  // -- Events: search -----------------------------------------------------------
  await page.goto(`${url}/`);
  await page.waitForSelector('.event-line');
  const filter = page.getByLabel('Filter');
  await filter.fill("Application = 'billing'");
  await filter.press('Enter');
  const billing = count(data, e => e.Application === 'billing');
  await page.waitForFunction(n => document.querySelector('.status-line')?.textContent.startsWith(`${n} events`), billing);
  const messages = await page.locator('.event .msg').allTextContents();
  check(messages.length > 0 && messages.every(m => m.startsWith('Handled ')), `search shows ${billing} billing events, rendered messages`);
  const levels = await page.locator('.event .lvl').evaluateAll(els => els.map(e => e.className));
  check(levels.some(c => c.includes('lvl-error')) && levels.some(c => c.includes('lvl-warning')), 'levels are coloured');

  // -- expand one, click a property value to filter --------------------------------
  await page.locator('.event-line', { hasText: 'with 500' }).first().click();
  const detail = page.locator('.event-detail').first();
  await detail.waitFor();
  check((await detail.locator('pre.exception').textContent()).includes('InvalidOperationException'), 'expanded event shows its exception');
  check(await detail.getByText('RequestPath', { exact: true }).count() === 1, 'expanded event lists its properties');
  await shot('events-expanded');
  const userId = await detail.locator('tr', { hasText: 'UserId' }).locator('.pval').textContent();
  await detail.locator('tr', { hasText: 'UserId' }).locator('.pval').click();
  check(await filter.inputValue() === `Application = 'billing' and UserId = '${userId}'`, 'clicking a property value extends the filter');
  const narrowed = count(data, e => e.Application === 'billing' && e.UserId === userId);
  await page.waitForFunction(n => document.querySelector('.status-line')?.textContent.startsWith(`${n} event`), narrowed);
  check(true, `property filter shows ${narrowed} events`);

  // -- filter errors are marked at the server's position -------------------------------
  allowed = /status of 400/;
  await filter.fill("Application = = 'x'");
  await filter.press('Enter');
  await page.waitForSelector('.filter-mirror mark');
  const mark = await page.locator('.filter-mirror mark').textContent();
  check(await page.locator('.filter-box input.bad').count() === 1 && mark.trim().length > 0, `bad filter marked at its position ("${mark}")`);
  allowed = null;

  // -- live tail over SSE ---------------------------------------------------------------
  await filter.fill("Application = 'tail'");
  await filter.press('Enter');
  await page.getByRole('button', { name: 'Tail' }).click();
  await page.waitForFunction(() => document.querySelector('button.on')?.textContent === 'Tailing');
  await new Promise(r => setTimeout(r, 700));
  await post('/ingest/clef', JSON.stringify({ '@t': new Date().toISOString(), '@mt': 'Tailed {N}', N: 1, Application: 'tail' }) + '\n' +
    JSON.stringify({ '@t': new Date().toISOString(), '@mt': 'Not for this tail', Application: 'other' }));
  await page.locator('.event .msg', { hasText: 'Tailed 1' }).waitFor();
  check(await page.locator('.event .msg', { hasText: 'Not for this tail' }).count() === 0, 'live tail shows new matching events only');
  await page.getByRole('button', { name: 'Tailing' }).click();

  // -- Queries: bars, then a time series ----------------------------------------------
  await page.goto(`${url}/#/queries`);
  const sql = page.getByLabel('SQL query');
  await sql.fill('select count(*) as n from stream group by Application');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.waitForSelector('svg.chart-bars rect');
  const rows = await page.locator('.results tbody tr').count();
  // shop, billing, search, plus the two the tail step sent (tail, other).
  check(rows === 5 && await page.locator('svg.chart-bars rect').count() === 5, 'SQL result table and bar chart (5 applications)');
  await shot('query-bars');
  await page.getByLabel('Time range').selectOption('1h');
  await sql.fill('select count(*) as n from stream group by time(1m)');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.waitForSelector('svg.chart-time polyline');
  check(await page.locator('svg.chart-time circle').count() >= 5, 'time() grouping draws a time series');
  await shot('query-timeseries');

  // -- Traces: waterfall ------------------------------------------------------------------
  await page.goto(`${url}/#/traces?id=${TRACE_ID}`);
  await page.waitForSelector('.span-row');
  const spans = await page.locator('.span-row .name').allTextContents();
  check(spans.length === 4 && spans[0].includes('GET /checkout'), `waterfall has 4 spans, root first (${spans.join(' | ')})`);
  const failed = await page.locator('.span-row.error .name').allTextContents();
  check(failed.length === 1 && failed[0].includes('payment.charge'), 'the failed span is marked');
  check((await page.locator('.span-row', { hasText: 'db.query' }).locator('.dur').textContent()).includes('40'), 'span duration shown (40 ms)');
  await shot('trace-waterfall');

  // -- Cluster -------------------------------------------------------------------------------
  await page.goto(`${url}/#/cluster`);
  await page.waitForSelector('#cluster-nodes tbody tr');
  await page.waitForSelector('#cluster-storage tbody tr');
  check(await page.locator('#cluster-nodes tbody tr').count() >= 1, 'cluster page lists the node with its storage figures');
  await shot('cluster');

  // -- Alerts: create through the form, list, edit (PUT), delete ------------------------------
  const alertsApi = async () => (await fetch(`${url}/api/alerts`)).json();
  await page.goto(`${url}/#/alerts`);
  await page.waitForSelector('#no-alerts');
  await page.getByLabel('Alert title', { exact: true }).fill('Checkout errors');
  await page.getByLabel('Alert query', { exact: true }).fill("select count(*) as n from stream where @Level = 'Error' having n > 1000000");
  await page.getByLabel('Window (seconds)', { exact: true }).fill('120');
  await page.getByLabel('Interval (seconds)', { exact: true }).fill('30');
  await page.getByLabel('Webhook URL', { exact: true }).fill('http://127.0.0.1:9/hook');
  await page.getByRole('button', { name: 'Create alert' }).click();
  await page.locator('#alerts tbody tr', { hasText: 'Checkout errors' }).waitFor();
  let stored = await alertsApi();
  check(stored.length === 1 && stored[0].WindowMs === 120000 && stored[0].IntervalMs === 30000 &&
        stored[0].Notify.webhook === 'http://127.0.0.1:9/hook' && !stored[0].Notify.email,
    'alert created through the form (window 2 min, every 30 s, webhook)');
  const row = page.locator('#alerts tbody tr', { hasText: 'Checkout errors' });
  check((await row.textContent()).includes('2 min') && (await row.textContent()).includes('webhook'),
    'the alert is listed with its window and outputs');
  check(await page.getByText('No notifications sent since this leader started.').count() === 1,
    'recent notifications section shown (none sent: the alert never fires)');
  // A query that does not compile is refused with the server's message.
  allowed = /status of 400/;
  await row.getByRole('button', { name: 'Edit' }).click();
  check(await page.getByLabel('Alert title', { exact: true }).inputValue() === 'Checkout errors', 'Edit fills the form');
  await page.getByLabel('Alert query', { exact: true }).fill('select count(*) from stream where = =');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.waitForFunction(() => document.getElementById('alert-form-error')?.textContent.startsWith('Query'));
  allowed = null;
  await page.getByLabel('Alert title', { exact: true }).fill('Checkout errors (edited)');
  await page.getByLabel('Alert query', { exact: true }).fill("select count(*) as n from stream where @Level = 'Error' having n > 999999");
  await page.getByLabel('Suppression (seconds)', { exact: true }).fill('300');
  await page.getByLabel('SMTP host', { exact: true }).fill('127.0.0.1');
  await page.getByLabel('Mail from', { exact: true }).fill('cairn@example.com');
  await page.getByLabel('Mail to', { exact: true }).fill('ops@example.com, dev@example.com');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('#alerts tbody tr', { hasText: 'Checkout errors (edited)' }).waitFor();
  stored = await alertsApi();
  check(stored.length === 1 && stored[0].Title === 'Checkout errors (edited)' && stored[0].SuppressionMs === 300000 &&
        stored[0].Query.includes('999999') && stored[0].Notify.webhook === 'http://127.0.0.1:9/hook' &&
        JSON.stringify(stored[0].Notify.email.to) === '["ops@example.com","dev@example.com"]',
    'alert edited in place (PUT): title, query, suppression, email output added, webhook kept');
  check(stored[0].LastError === null && stored[0].DeliveryAttempts === 0 &&
        (await page.locator('#alerts tbody tr').first().textContent()).includes('webhook, email'),
    'delivery state and outputs shown');
  await shot('alerts');
  page.once('dialog', d => d.accept());
  await page.locator('#alerts tbody tr', { hasText: 'Checkout errors (edited)' }).getByRole('button', { name: 'Delete' }).click();
  await page.waitForSelector('#no-alerts');
  check((await alertsApi()).length === 0, 'alert deleted from the page');

  // -- Settings: a signal becomes a one-click filter ---------------------------------------------
  await page.goto(`${url}/#/settings`);
  await page.getByLabel('Signal title').fill('Errors');
  await page.getByLabel('Signal filter').fill("@Level = 'Error'");
  await page.getByRole('button', { name: 'Save signal' }).click();
  await page.waitForSelector('#signals tbody tr');
  await page.goto(`${url}/#/events`);
  await page.locator('.signals button', { hasText: 'Errors' }).click();
  const errorsTotal = count(data, e => e['@l'] === 'Error');
  await page.waitForFunction(n => document.querySelector('.status-line')?.textContent.startsWith(`${n} events`), errorsTotal);
  check(true, `signal "Errors" filters to ${errorsTotal} events`);

  // -- Settings: API key shown once; then keys are required and sign-in works ---------------------
  await page.goto(`${url}/#/settings`);
  await page.getByLabel('Key title').fill('ui test');
  // From here on anonymous calls get 401 (the page's own reloads included).
  allowed = /status of 401/;
  await page.getByRole('button', { name: 'Create key' }).click();
  const token = (await page.locator('#new-token').textContent()).trim();
  check(token.length > 20, 'a new API key token is shown once');
  await shot('settings');
  let anonymous;
  for (let i = 0; i < 50; i++) { // the auth actor notices the first key within a tick
    anonymous = await fetch(`${url}/api/events?count=1`);
    if (anonymous.status === 401) break;
    await new Promise(r => setTimeout(r, 100));
  }
  check(anonymous.status === 401, 'once a key exists, reading without one is refused');
  await page.goto(`${url}/#/events`);
  await page.reload();
  await page.waitForSelector('#signin:not([hidden])');
  check(await page.locator('.event-line').count() === 0, 'nothing is shown before signing in');
  await page.fill('#signin-key', token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('#signin', { state: 'hidden' });
  allowed = null;
  await page.waitForSelector('.event-line');
  check(true, 'signed in with the key, events load again');
} catch (e) {
  await shot('failure').catch(() => {});
  throw e;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

if (consoleErrors.length) {
  console.error(`console errors:\n  ${consoleErrors.join('\n  ')}`);
  process.exit(1);
}
console.log(`ok - no console errors; screenshots in ${artifacts}`);
