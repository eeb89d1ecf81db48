// Talks to the node's HTTP API. The API key lives in sessionStorage (this
// tab only) and goes out as X-Seq-ApiKey; a 401 opens the sign-in dialog.

const KEY = 'cairn.apiKey';

export function apiKey() { return sessionStorage.getItem(KEY) || ''; }
export function setApiKey(k) { k ? sessionStorage.setItem(KEY, k) : sessionStorage.removeItem(KEY); }

/** An HTTP error with the server's JSON body ({Error, Position}). */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.Error) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(f) { onUnauthorized = f; }

/** fetch + JSON; throws ApiError. `params` become the query string. */
export async function api(path, { method = 'GET', params, body, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {}))
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  const headers = {};
  const key = apiKey();
  if (key) headers['X-Seq-ApiKey'] = key;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers, signal,
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = { Error: text }; }
  if (res.status === 401) onUnauthorized(json && json.Error);
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

/** The URL of the live tail (EventSource cannot send headers: the key goes in the query). */
export function streamUrl(filter) {
  const url = new URL('/api/events/stream', location.origin);
  if (filter) url.searchParams.set('filter', filter);
  if (apiKey()) url.searchParams.set('apiKey', apiKey());
  return url.toString();
}
