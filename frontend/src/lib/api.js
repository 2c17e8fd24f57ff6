/**
 * The one place the app talks HTTP to the Django proxy (`/api/...`, same origin, session cookie).
 *
 * Unsafe methods carry Django's CSRF token (`X-CSRFToken`, read from the `csrftoken` cookie).
 * Failures become an `ApiError` with the server's `{"detail", "type"}` and the HTTP status, so
 * callers can tell a 409 conflict from a 422 bad input from a network failure (status 0).
 */

export const LOGIN_URL = '/accounts/login/';
export const LOGOUT_URL = '/accounts/logout/';

export class ApiError extends Error {
  constructor(message, { status = 0, type = 'network' } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
  }
}

/** The value of cookie `name`, or '' when it is not set. */
export function readCookie(name) {
  const prefix = `${name}=`;
  for (const part of document.cookie ? document.cookie.split(';') : []) {
    const item = part.trim();
    if (item.startsWith(prefix)) return decodeURIComponent(item.slice(prefix.length));
  }
  return '';
}

export function csrfToken() {
  return readCookie('csrftoken');
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Where the browser goes when the session has ended (401 from the API). */
export function goToLogin() {
  const next = window.location.pathname + window.location.search;
  window.location.assign(`${LOGIN_URL}?next=${encodeURIComponent(next || '/')}`);
}

function messageFor(status, body) {
  if (body && typeof body.detail === 'string' && body.detail) return body.detail;
  if (status === 401) return 'Your session has ended; please sign in again.';
  if (status === 403) return 'The request was refused; reload the page and try again.';
  if (status === 429) return 'Too many requests; wait a moment and try again.';
  if (status >= 500) return 'The server is unavailable right now; try again shortly.';
  return `The request failed (HTTP ${status}).`;
}

/**
 * `fetch` a JSON API path. Returns the decoded body (null for 204). Throws `ApiError`.
 * A 401 also sends the browser to the login page unless `{redirectOn401: false}`.
 */
export async function apiFetch(path, { method = 'GET', body, signal, redirectOn401 = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (!SAFE.has(method)) headers['X-CSRFToken'] = csrfToken();
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError('Cannot reach the server; check your connection and try again.');
  }
  if (response.status === 204) return null;
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    if (response.status === 401 && redirectOn401) goToLogin();
    throw new ApiError(messageFor(response.status, data), {
      status: response.status,
      type: (data && data.type) || 'http',
    });
  }
  return data;
}

export const api = {
  me: () => apiFetch('/api/me/'),
  pipeline: () => apiFetch('/api/pipeline/'),
  /** One page of leads (`{leads, total, limit, offset}`), optionally of one stage or search. */
  leads: ({ q = '', status = '', limit, offset } = {}, signal) => {
    const params = new URLSearchParams();
    if (status) params.set('status', status);
    if (q) params.set('q', q);
    if (limit !== undefined) params.set('limit', String(limit));
    if (offset !== undefined) params.set('offset', String(offset));
    const query = params.toString();
    return apiFetch(`/api/leads/${query ? `?${query}` : ''}`, { signal });
  },
  /** `{stages: [{status, count, value}], total, value}`: real counts and sums per stage. */
  summary: (signal) => apiFetch('/api/leads/summary/', { signal }),
  /** `{changes, last_seq}`: the change log, for one lead or after a seq. */
  changes: ({ leadId, after, limit } = {}, signal) => {
    const params = new URLSearchParams();
    if (leadId) params.set('lead_id', leadId);
    if (after !== undefined) params.set('after', String(after));
    if (limit !== undefined) params.set('limit', String(limit));
    return apiFetch(`/api/leads/changes/?${params}`, { signal });
  },
  /** Undo this user's latest change (or change `seq`): `{reply, undone, action}`. */
  undo: (seq) =>
    apiFetch('/api/leads/undo/', { method: 'POST', body: seq === undefined || seq === null ? {} : { seq } }),
  leadEventsUrl: '/api/leads/events/',
  lead: (id) => apiFetch(`/api/leads/${encodeURIComponent(id)}/`),
  createLead: (fields) => apiFetch('/api/leads/', { method: 'POST', body: fields }),
  updateLead: (id, fields) =>
    apiFetch(`/api/leads/${encodeURIComponent(id)}/`, { method: 'PATCH', body: fields }),
  deleteLead: (id) => apiFetch(`/api/leads/${encodeURIComponent(id)}/`, { method: 'DELETE' }),
  sendChat: (message, clientMessageId) =>
    apiFetch('/api/chat/', {
      method: 'POST',
      body: clientMessageId ? { message, client_message_id: clientMessageId } : { message },
    }),
  chatStatus: (taskId) => apiFetch(`/api/chat/status/${encodeURIComponent(taskId)}/`),
  chatHistory: () => apiFetch('/api/chat/history/'),
  clearChat: () => apiFetch('/api/chat/clear/', { method: 'POST' }),
  chatEventsUrl: (taskId) => `/api/chat/events/${encodeURIComponent(taskId)}/`,
};
