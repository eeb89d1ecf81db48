// Settings page: API keys (the token is shown once, at creation), signals
// (saved filters shown as one-click filters on the Events page) and
// retention policies (enforced by the leader on every replica).
import { api, setApiKey, apiKey } from './api.js';
import { h, setChildren, formatTime } from './dom.js';

const PERMISSIONS = ['Ingest', 'Read', 'Write', 'Setup'];

function section(title, ...body) {
  return h('section', { class: 'card' }, h('h3', {}, title), ...body);
}

export function mount(root) {
  const keys = h('div', {}), keyMsg = h('div', {}), keyErr = h('div', { class: 'error' });
  const sigs = h('div', {}), sigErr = h('div', { class: 'error' });
  const pols = h('div', {}), polErr = h('div', { class: 'error' });

  // -- API keys ---------------------------------------------------------------
  const keyTitle = h('input', { placeholder: 'Title', 'aria-label': 'Key title', required: true });
  const permBoxes = PERMISSIONS.map(p => h('input', { type: 'checkbox', value: p, checked: p !== 'Setup' }));
  const keyForm = h('form', { class: 'row', onsubmit: async e => {
    e.preventDefault();
    keyErr.textContent = '';
    try {
      const created = await api('/api/apikeys', { method: 'POST', body: {
        Title: keyTitle.value, AssignedPermissions: permBoxes.filter(b => b.checked).map(b => b.value) } });
      keyTitle.value = '';
      setChildren(keyMsg, h('p', {}, `Token for “${created.Title}” — copy it now, it is not shown again:`),
        h('div', { class: 'token', id: 'new-token' }, created.Token),
        apiKey() ? null : h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: () => {
          setApiKey(created.Token);
          location.reload();
        } }, 'Sign in with this key')),
        h('p', { class: 'muted' }, 'Once the first key exists, every request needs a key (loopback included).'));
      loadKeys();
    } catch (err) { keyErr.textContent = err.message; }
  } }, keyTitle, permBoxes.map((b, i) => h('label', {}, b, ' ', PERMISSIONS[i])), h('button', { type: 'submit' }, 'Create key'));

  async function loadKeys() {
    try {
      const list = await api('/api/apikeys');
      setChildren(keys, list.length ? h('table', { class: 'grid', id: 'apikeys' },
        h('thead', {}, h('tr', {}, ['Title', 'Token prefix', 'Permissions', 'Created', ''].map(c => h('th', {}, c)))),
        h('tbody', {}, list.map(k => h('tr', {},
          h('td', {}, k.Title), h('td', { class: 'mono' }, `${k.TokenPrefix}…`),
          h('td', {}, (k.AssignedPermissions || []).join(', ')), h('td', {}, formatTime(k.CreatedUtc)),
          h('td', {}, h('button', { class: 'danger', onclick: async () => {
            if (!confirm(`Remove the API key “${k.Title}”? Clients using it stop working.`)) return;
            try { await api(`/api/apikeys/${encodeURIComponent(k.Id)}`, { method: 'DELETE' }); loadKeys(); }
            catch (err) { keyErr.textContent = err.message; }
          } }, 'Remove'))))))
        : h('p', { class: 'muted' }, 'No API keys yet: loopback clients need none until the first one exists.'));
    } catch (err) { keyErr.textContent = err.status === 403 ? 'Managing API keys needs the Setup permission.' : err.message; }
  }

  // -- signals ----------------------------------------------------------------
  const sigTitle = h('input', { placeholder: 'Title', 'aria-label': 'Signal title', required: true });
  const sigFilter = h('input', { placeholder: "Filter, e.g. @Level = 'Error'", 'aria-label': 'Signal filter', class: 'mono', size: 36 });
  const sigForm = h('form', { class: 'row', onsubmit: async e => {
    e.preventDefault();
    sigErr.textContent = '';
    try {
      await api('/api/signals', { method: 'POST', body: { Title: sigTitle.value, Filters: [{ Filter: sigFilter.value }] } });
      sigTitle.value = sigFilter.value = '';
      loadSignals();
    } catch (err) {
      sigErr.textContent = err.body && Number.isInteger(err.body.Position)
        ? `${err.message} (at character ${err.body.Position + 1})` : err.message;
    }
  } }, sigTitle, sigFilter, h('button', { type: 'submit' }, 'Save signal'));

  async function loadSignals() {
    try {
      const list = await api('/api/signals');
      setChildren(sigs, list.length ? h('table', { class: 'grid', id: 'signals' },
        h('thead', {}, h('tr', {}, ['Title', 'Filter', ''].map(c => h('th', {}, c)))),
        h('tbody', {}, list.map(s => h('tr', {},
          h('td', {}, s.Title), h('td', { class: 'mono' }, s.Filter || '(all events)'),
          h('td', {}, h('button', { class: 'danger', onclick: async () => {
            try { await api(`/api/signals/${encodeURIComponent(s.Id)}`, { method: 'DELETE' }); loadSignals(); }
            catch (err) { sigErr.textContent = err.message; }
          } }, 'Remove'))))))
        : h('p', { class: 'muted' }, 'No signals yet.'));
    } catch (err) { sigErr.textContent = err.message; }
  }

  // -- retention policies -----------------------------------------------------
  const polAmount = h('input', { type: 'number', min: 1, value: 30, 'aria-label': 'Retention time', size: 5 });
  const polUnit = h('select', { 'aria-label': 'Unit' }, [['3600000', 'hours'], ['86400000', 'days']].map(([v, l]) => h('option', { value: v }, l)));
  polUnit.value = '86400000';
  const polFilter = h('input', { placeholder: 'Only events matching (empty = all)', 'aria-label': 'Retention filter', class: 'mono', size: 30 });
  const polForm = h('form', { class: 'row', onsubmit: async e => {
    e.preventDefault();
    polErr.textContent = '';
    try {
      await api('/api/retentionpolicies', { method: 'POST', body: {
        RetentionMilliseconds: Math.round(Number(polAmount.value) * Number(polUnit.value)), Filter: polFilter.value } });
      polFilter.value = '';
      loadPolicies();
    } catch (err) { polErr.textContent = err.message; }
  } }, 'Delete events older than', polAmount, polUnit, polFilter, h('button', { type: 'submit' }, 'Add policy'));

  async function loadPolicies() {
    try {
      const list = await api('/api/retentionpolicies');
      setChildren(pols, list.length ? h('table', { class: 'grid', id: 'retention' },
        h('thead', {}, h('tr', {}, ['Older than', 'Matching', 'Enforced', ''].map(c => h('th', {}, c)))),
        h('tbody', {}, list.map(p => h('tr', {},
          h('td', { class: 'mono' }, p.RetentionTime), h('td', { class: 'mono' }, p.Filter || '(all events)'),
          h('td', {}, p.IsEnforced ? 'yes' : 'not yet'),
          h('td', {}, h('button', { class: 'danger', onclick: async () => {
            try { await api(`/api/retentionpolicies/${encodeURIComponent(p.Id)}`, { method: 'DELETE' }); loadPolicies(); }
            catch (err) { polErr.textContent = err.message; }
          } }, 'Remove'))))))
        : h('p', { class: 'muted' }, 'No retention policies: events are kept until the disk fills.'));
    } catch (err) { polErr.textContent = err.message; }
  }

  root.append(h('div', { class: 'settings' },
    section('API keys', keyForm, keyErr, keyMsg, keys),
    section('Signals', h('p', { class: 'muted' }, 'Saved filters; they appear as one-click filters on the Events page.'), sigForm, sigErr, sigs),
    section('Retention policies', h('p', { class: 'muted' },
      'The leader applies these policies on every replica, once per storage.retentionIntervalMs.'),
      polForm, polErr, pols)));
  loadKeys();
  loadSignals();
  loadPolicies();
}
