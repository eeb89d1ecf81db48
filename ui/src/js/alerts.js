// Alerts page: every alert with its schedule state and the leader's last
// delivery error (GET /api/alerts), a form that creates (POST) or edits
// (PUT /api/alerts/{id}) one, delete, and the recent notifications
// (GET /api/alerts/notifications). Refreshed every 5 s; the form is never
// touched by a refresh.
import { api } from './api.js';
import { h, setChildren, formatTime } from './dom.js';

/** "90 s", "5 min", "2 h", "1 d" for a millisecond count. */
function span(ms) {
  if (typeof ms !== 'number' || ms <= 0) return '—';
  const units = [[86400000, 'd'], [3600000, 'h'], [60000, 'min'], [1000, 's']];
  for (const [size, unit] of units)
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms / 1000} s`;
}

function when(iso) { return iso ? formatTime(iso) : '—'; }

/** The outputs a Notify object names, e.g. "webhook, email". */
function outputs(notify) {
  const n = notify || {};
  return ['webhook', 'email', 'app'].filter(k => n[k]).join(', ') || 'none';
}

function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('small', { class: 'muted' }, hint) : null);
}

export function mount(root) {
  const list = h('div', {}), listErr = h('div', { class: 'error' });
  const sent = h('div', {}), status = h('div', { class: 'status-line' });
  const formErr = h('div', { class: 'error', id: 'alert-form-error' });
  let editing = null; // the alert being edited, or null for a new one
  let timer = null;
  let stopped = false; // set on leaving the page: a load in flight schedules no more

  // -- the form ---------------------------------------------------------------
  const input = (label, attrs = {}) => h('input', { 'aria-label': label, ...attrs });
  const title = input('Alert title', { required: true, size: 40 });
  const query = h('textarea', { 'aria-label': 'Alert query', rows: 3, class: 'sql', required: true,
    placeholder: "select count(*) as errors from stream where @Level = 'Error' having errors > 10" });
  const windowS = input('Window (seconds)', { type: 'number', min: 1, value: 60, size: 6 });
  const intervalS = input('Interval (seconds)', { type: 'number', min: 1, value: 60, size: 6 });
  const suppressS = input('Suppression (seconds)', { type: 'number', min: 0, value: 0, size: 6 });
  const disabled = input('Disabled', { type: 'checkbox' });
  const webhook = input('Webhook URL', { placeholder: 'http://host:port/path', size: 40 });
  const app = input('App command', { placeholder: '/usr/local/bin/notify-app --flag', size: 40 });
  const appEvents = input('App event filter', { class: 'mono', size: 30, placeholder: "@Level = 'Error' (optional)" });
  const mailHost = input('SMTP host', { size: 20 });
  const mailPort = input('SMTP port', { type: 'number', min: 1, max: 65535, size: 5, placeholder: '25' });
  const mailTls = h('select', { 'aria-label': 'SMTP TLS' }, ['none', 'starttls', 'implicit'].map(t => h('option', { value: t }, t)));
  const mailFrom = input('Mail from', { size: 24, placeholder: 'cairn@example.com' });
  const mailTo = input('Mail to', { size: 30, placeholder: 'ops@example.com, oncall@example.com' });
  const mailUser = input('SMTP username', { size: 16 });
  const mailSecret = input('SMTP password secret', { size: 16, placeholder: 'secret name' });
  const mailSubject = input('Mail subject', { size: 30, placeholder: '[Cairn] {Title}' });
  const formTitle = h('h3', {}, 'New alert');
  const saveButton = h('button', { type: 'submit' }, 'Create alert');
  const cancelButton = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => edit(null) }, 'Cancel');

  /** Fills the form from `a` (null: an empty new alert). */
  function edit(a) {
    editing = a;
    formErr.textContent = '';
    const n = (a && a.Notify) || {};
    const m = n.email || {};
    title.value = a ? a.Title : '';
    query.value = a ? a.Query : '';
    windowS.value = a ? a.WindowMs / 1000 : 60;
    intervalS.value = a ? a.IntervalMs / 1000 : 60;
    suppressS.value = a ? a.SuppressionMs / 1000 : 0;
    disabled.checked = !!(a && a.IsDisabled);
    webhook.value = n.webhook || '';
    app.value = n.app || '';
    appEvents.value = n.events || '';
    mailHost.value = m.host || '';
    mailPort.value = m.port || '';
    mailTls.value = m.tls || 'none';
    mailFrom.value = m.from || '';
    mailTo.value = Array.isArray(m.to) ? m.to.join(', ') : (m.to || '');
    mailUser.value = m.username || '';
    mailSecret.value = m.passwordSecret || '';
    mailSubject.value = m.subject || '';
    formTitle.textContent = a ? `Edit alert “${a.Title}”` : 'New alert';
    saveButton.textContent = a ? 'Save changes' : 'Create alert';
    cancelButton.hidden = !a;
    if (a) title.focus();
  }

  /** The Notify object: the edited alert's (unknown keys such as caFile kept) with the form's outputs. */
  function notifyFromForm() {
    const n = { ...((editing && editing.Notify) || {}) };
    const set = (obj, k, v) => { if (v === '' || v === undefined) delete obj[k]; else obj[k] = v; };
    set(n, 'webhook', webhook.value.trim());
    set(n, 'app', app.value.trim());
    set(n, 'events', app.value.trim() ? appEvents.value.trim() : '');
    if (mailHost.value.trim()) {
      const m = { ...(n.email || {}) };
      set(m, 'host', mailHost.value.trim());
      set(m, 'port', mailPort.value ? Number(mailPort.value) : undefined);
      set(m, 'tls', mailTls.value === 'none' ? undefined : mailTls.value);
      set(m, 'from', mailFrom.value.trim());
      const to = mailTo.value.split(',').map(s => s.trim()).filter(Boolean);
      set(m, 'to', to.length ? to : undefined);
      set(m, 'username', mailUser.value.trim());
      set(m, 'passwordSecret', mailSecret.value.trim());
      set(m, 'subject', mailSubject.value.trim());
      n.email = m;
    } else {
      delete n.email;
    }
    return n;
  }

  const form = h('form', { class: 'alert-form', id: 'alert-form', onsubmit: async e => {
    e.preventDefault();
    formErr.textContent = '';
    const body = {
      Title: title.value.trim(), Query: query.value.trim(),
      WindowMs: Math.round(Number(windowS.value) * 1000), IntervalMs: Math.round(Number(intervalS.value) * 1000),
      SuppressionMs: Math.round(Number(suppressS.value || 0) * 1000), IsDisabled: disabled.checked,
      Notify: notifyFromForm(),
    };
    try {
      if (editing) await api(`/api/alerts/${encodeURIComponent(editing.Id)}`, { method: 'PUT', body });
      else await api('/api/alerts', { method: 'POST', body });
      edit(null);
      load();
    } catch (err) { formErr.textContent = err.message; }
  } },
  formTitle,
  h('div', { class: 'row' }, field('Title', title), field('Disabled', disabled)),
  field('Query (fires when it returns a row; use having)', query),
  h('div', { class: 'row' }, field('Window (s)', windowS), field('Check every (s)', intervalS), field('Suppress after firing (s)', suppressS)),
  h('h4', {}, 'Outputs'),
  h('div', { class: 'row' }, field('Webhook', webhook, 'JSON POST, retried with backoff')),
  h('div', { class: 'row' }, field('App', app, 'started by the leader; notifications on stdin'), field('App events', appEvents, 'feed matching events instead')),
  h('div', { class: 'row' }, field('SMTP host', mailHost), field('Port', mailPort), field('TLS', mailTls), field('From', mailFrom), field('To', mailTo)),
  h('div', { class: 'row' }, field('Username', mailUser), field('Password secret', mailSecret, 'cairn secret set -k NAME'), field('Subject', mailSubject)),
  formErr,
  h('div', { class: 'row' }, saveButton, cancelButton));

  // -- the list ---------------------------------------------------------------
  async function remove(a) {
    if (!confirm(`Delete the alert “${a.Title}”?`)) return;
    try {
      await api(`/api/alerts/${encodeURIComponent(a.Id)}`, { method: 'DELETE' });
      if (editing && editing.Id === a.Id) edit(null);
      load();
    } catch (err) { listErr.textContent = err.message; }
  }

  function renderAlerts(alerts) {
    setChildren(list, alerts.length ? h('table', { class: 'grid', id: 'alerts' },
      h('thead', {}, h('tr', {}, ['Title', 'Query', 'Window', 'Every', 'Suppression', 'Outputs', 'Last fired',
        'Suppressed until', 'Delivery', ''].map(c => h('th', {}, c)))),
      h('tbody', {}, alerts.map(a => h('tr', { dataset: { id: a.Id }, class: a.IsDisabled ? 'muted' : null },
        h('td', {}, a.Title, a.IsDisabled ? h('small', { class: 'muted' }, ' (disabled)') : null),
        h('td', { class: 'mono alert-query', title: a.Query }, a.Query),
        h('td', { class: 'num' }, span(a.WindowMs)), h('td', { class: 'num' }, span(a.IntervalMs)),
        h('td', { class: 'num' }, span(a.SuppressionMs)), h('td', {}, outputs(a.Notify)),
        h('td', {}, when(a.LastFiredUtc)), h('td', {}, when(a.SuppressedUntilUtc)),
        h('td', { class: a.LastError ? 'health-bad delivery' : 'delivery' }, a.LastError
          ? [`${a.LastError}`, h('br'), h('small', {}, `${a.DeliveryAttempts} attempt(s), last ${when(a.LastErrorUtc)}`)]
          : (a.NotificationPending ? 'pending' : 'ok')),
        h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', onclick: () => edit(a) }, 'Edit'), ' ',
          h('button', { type: 'button', class: 'danger', onclick: () => remove(a) }, 'Delete'))))))
      : h('p', { class: 'muted', id: 'no-alerts' }, 'No alerts yet.'));
  }

  function renderSent(items) {
    setChildren(sent, items.length ? h('table', { class: 'grid', id: 'alert-notifications' },
      h('thead', {}, h('tr', {}, ['Sent', 'Alert', 'Window end', 'Outputs', 'Result'].map(c => h('th', {}, c)))),
      h('tbody', {}, items.map(n => h('tr', {},
        h('td', {}, when(n.SentUtc)), h('td', { title: n.AlertId }, n.Title), h('td', {}, when(n.WindowEndUtc)),
        h('td', {}, n.Outputs || ''), h('td', { class: n.Error ? 'health-bad' : 'health-ok' }, n.Error || 'delivered')))))
      : h('p', { class: 'muted' }, 'No notifications sent since this leader started.'));
  }

  async function load() {
    clearTimeout(timer);
    try {
      const [alerts, notes] = await Promise.all([api('/api/alerts'), api('/api/alerts/notifications')]);
      listErr.textContent = '';
      renderAlerts(alerts);
      renderSent(notes);
      status.textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every 5 s`;
    } catch (err) { listErr.textContent = err.message; }
    if (!stopped) timer = setTimeout(load, 5000);
  }

  root.append(h('div', { class: 'alerts-page' },
    h('section', { class: 'card' }, h('h3', {}, 'Alerts'),
      h('p', { class: 'muted' }, 'Evaluated by the leader once per interval over the last window; state survives fail-over.'),
      listErr, list, status),
    h('section', { class: 'card' }, form),
    h('section', { class: 'card' }, h('h3', {}, 'Recent notifications'), sent)));
  edit(null);
  load();
  return () => { stopped = true; clearTimeout(timer); };
}
