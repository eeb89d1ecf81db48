// Hash router and sign-in. Each page module exports mount(container, params)
// returning an optional cleanup function (timers, streams).
import { api, apiKey, setApiKey, setUnauthorizedHandler } from './api.js';
import * as events from './events.js';
import * as queries from './queries.js';
import * as traces from './traces.js';
import * as cluster from './cluster.js';
import * as alerts from './alerts.js';
import * as settings from './settings.js';

const pages = { events, queries, traces, alerts, cluster, settings };
const main = document.getElementById('page');
let cleanup = null;

function route() {
  const [name, query] = (location.hash.replace(/^#\/?/, '') || 'events').split('?');
  const page = pages[name] ? name : 'events';
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('active', a.dataset.page === page);
  if (cleanup) cleanup();
  cleanup = null;
  main.replaceChildren();
  cleanup = pages[page].mount(main, new URLSearchParams(query || '')) || null;
}

const overlay = document.getElementById('signin');
const keyInput = document.getElementById('signin-key');
const signinError = document.getElementById('signin-error');

function showSignIn(message) {
  if (!overlay.hidden) return;
  signinError.textContent = apiKey() ? (message || 'The API key was refused.') : '';
  overlay.hidden = false;
  keyInput.focus();
}

document.getElementById('signin-form').addEventListener('submit', async e => {
  e.preventDefault();
  setApiKey(keyInput.value.trim());
  try {
    await api('/api/events', { params: { count: 1 } });
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      signinError.textContent = err.message;
      return;
    }
  }
  overlay.hidden = true;
  keyInput.value = '';
  updateWho();
  route();
});

document.getElementById('signout').addEventListener('click', () => {
  setApiKey('');
  updateWho();
  route();
});

function updateWho() {
  document.getElementById('whoami').textContent = apiKey() ? `key ${apiKey().slice(0, 4)}…` : '';
  document.getElementById('signout').hidden = !apiKey();
}

setUnauthorizedHandler(showSignIn);
window.addEventListener('hashchange', route);
updateWho();
route();
