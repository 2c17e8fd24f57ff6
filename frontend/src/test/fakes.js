/**
 * Test doubles for the edge of the unit: `fetch` (a small router of canned answers that
 * records every call) and `EventSource` (the test pushes server events into it).
 */
import { vi } from 'vitest';

export function jsonResponse(status, body) {
  const text = body === undefined ? '' : JSON.stringify(body);
  return { status, ok: status >= 200 && status < 300, text: async () => text };
}

/**
 * Install a fake `fetch`. `routes` maps "METHOD /path" (query string included when given) to a
 * function `(call) => [status, body]` or a fixed `[status, body]`; a function may return a
 * promise (to hold an answer back). Unrouted calls answer 404. Returns the list of calls.
 */
export function mockFetch(routes) {
  const calls = [];
  const fetch = vi.fn(async (url, init = {}) => {
    const method = (init.method || 'GET').toUpperCase();
    const call = {
      method,
      url,
      headers: init.headers || {},
      body: init.body ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    const route = routes[`${method} ${url}`] ?? routes[`${method} ${url.split('?')[0]}`];
    if (route === undefined) return jsonResponse(404, { detail: `no route ${method} ${url}`, type: 'not_found' });
    const answer = typeof route === 'function' ? await route(call) : route;
    if (answer instanceof Error) throw answer;
    return jsonResponse(answer[0], answer[1]);
  });
  vi.stubGlobal('fetch', fetch);
  return calls;
}

export class FakeEventSource {
  static instances = [];

  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.closed = false;
    this.listeners = {};
    FakeEventSource.instances.push(this);
    // Like a browser: connected a moment later (`open`), unless it failed or closed first.
    setTimeout(() => {
      if (this.readyState !== 0) return;
      this.readyState = 1;
      for (const listener of this.listeners.open || []) listener(new Event('open'));
    }, 0);
  }

  addEventListener(type, listener) {
    (this.listeners[type] ||= []).push(listener);
  }

  removeEventListener(type, listener) {
    this.listeners[type] = (this.listeners[type] || []).filter((l) => l !== listener);
  }

  close() {
    this.closed = true;
    this.readyState = 2;
  }

  /** A server-sent event `type` with JSON `data`. */
  emit(type, data) {
    const event = new MessageEvent(type, { data: JSON.stringify(data) });
    for (const listener of this.listeners[type] || []) listener(event);
  }

  /** The transport failing (what the browser fires when the stream cannot be used). */
  fail() {
    this.readyState = 2;
    for (const listener of this.listeners.error || []) listener(new Event('error'));
  }

  static latest() {
    return FakeEventSource.instances[FakeEventSource.instances.length - 1];
  }

  static install() {
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  }
}

/** A promise with its resolve function exposed (to hold an answer back). */
export function deferred() {
  let resolve;
  const promise = new Promise((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function run(taskId, fields = {}) {
  return { run_id: taskId, thread_id: 't1', status: 'running', step: null, result: null, error: null, ...fields };
}

export function succeeded(taskId, result) {
  return run(taskId, {
    status: 'succeeded',
    result: { reply: '', actions: [], needs: null, choices: [], ...result },
  });
}
