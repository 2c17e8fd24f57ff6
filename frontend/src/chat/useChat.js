/**
 * useChat: everything the chat widget says to the server, in one hook.
 *
 * - restores the conversation from `/api/chat/history/` on mount (it survives a reload until
 *   cleared); a trailing user message means a run is still in flight, so it waits for its answer;
 * - `send(text)` posts the message (202 `{task_id}`), then follows the run's event stream
 *   (`status`, `step`, `result`, `error`); if the stream cannot be opened or breaks, it polls
 *   `/api/chat/status/<task_id>/` every second instead;
 * - after a run whose result has actions it dispatches `crm:leads-changed` on `window`, which
 *   the board listens to;
 * - `clear()` forgets the conversation; `retry(id)` re-sends the message an error belongs to.
 *
 * Components only render what this returns.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../lib/api.js';
import { LEADS_CHANGED } from '../lib/format.js';
import { markResult } from '../lib/perf.js';

const TERMINAL = new Set(['succeeded', 'failed']);
const MAX_POLL_FAILURES = 5;
const HISTORY_WAIT_TRIES = 300;

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

export function useChat({ pollInterval = 1000 } = {}) {
  const [messages, setMessages] = useState([]);
  const [loading, setLoading] = useState(true);
  const [busy, setBusy] = useState(false);
  const [step, setStep] = useState(null);
  const nextId = useRef(0);
  const current = useRef(null); // the run being followed: {taskId, text, done, source, timer}
  const mounted = useRef(true);

  const newId = () => {
    nextId.current += 1;
    return `m${nextId.current}`;
  };

  const append = useCallback((message) => {
    setMessages((list) => [...list, { id: newId(), actions: [], choices: [], ...message }]);
  }, []);

  const stopFollowing = useCallback(() => {
    const run = current.current;
    if (!run) return;
    run.done = true;
    if (run.source) run.source.close();
    if (run.timer) clearTimeout(run.timer);
    current.current = null;
  }, []);

  /** Show the outcome of a finished run (the run object of the API). */
  const finish = useCallback(
    (run, data) => {
      if (run.done) return;
      stopFollowing();
      if (!mounted.current) return;
      if (data && data.status === 'succeeded' && data.result) {
        const result = data.result;
        const actions = Array.isArray(result.actions) ? result.actions : [];
        markResult(run.taskId);
        append({
          role: 'assistant',
          content: result.reply || '',
          actions,
          needs: result.needs || null,
          choices: Array.isArray(result.choices) ? result.choices : [],
          active: Boolean(result.needs),
          taskId: run.taskId,
        });
        if (actions.length) {
          window.dispatchEvent(new CustomEvent(LEADS_CHANGED, { detail: { actions } }));
        }
      } else {
        const message =
          (data && data.error && data.error.message) ||
          'The assistant could not answer; nothing was changed.';
        append({ role: 'assistant', content: message, error: true, retryText: run.text });
      }
      setBusy(false);
      setStep(null);
    },
    [append, stopFollowing],
  );

  const failLocally = useCallback(
    (text, err) => {
      append({
        role: 'assistant',
        content: (err && err.message) || 'Something went wrong.',
        error: true,
        retryText: text,
      });
      setBusy(false);
      setStep(null);
    },
    [append],
  );

  const poll = useCallback(
    (run) => {
      let failures = 0;
      const tick = async () => {
        run.timer = null;
        if (run.done) return;
        try {
          const data = await api.chatStatus(run.taskId);
          if (run.done) return;
          if (data && TERMINAL.has(data.status)) {
            finish(run, data);
            return;
          }
          failures = 0;
          if (data && data.step) setStep(data.step);
        } catch (err) {
          if (run.done) return;
          failures += 1;
          if (err.status === 404 || err.status === 401 || failures >= MAX_POLL_FAILURES) {
            stopFollowing();
            failLocally(run.text, err);
            return;
          }
        }
        run.timer = setTimeout(tick, pollInterval);
      };
      tick();
    },
    [failLocally, finish, pollInterval, stopFollowing],
  );

  const follow = useCallback(
    (taskId, text) => {
      stopFollowing();
      const run = { taskId, text, done: false, source: null, timer: null };
      current.current = run;
      if (typeof globalThis.EventSource !== 'function') {
        poll(run);
        return;
      }
      let source;
      try {
        source = new globalThis.EventSource(api.chatEventsUrl(taskId));
      } catch {
        poll(run);
        return;
      }
      run.source = source;
      const onStatus = (event) => {
        const data = parse(event.data);
        if (data && data.step) setStep(data.step);
      };
      source.addEventListener('status', onStatus);
      source.addEventListener('step', onStatus);
      source.addEventListener('result', (event) => finish(run, parse(event.data)));
      source.addEventListener('error', (event) => {
        if (run.done) return;
        // The server's own `error` event carries the failed run; a bare error event is the
        // transport failing (refused, broken, closed early): switch to polling.
        const data = typeof event.data === 'string' ? parse(event.data) : null;
        if (data) {
          finish(run, data);
          return;
        }
        source.close();
        run.source = null;
        poll(run);
      });
    },
    [finish, poll, stopFollowing],
  );

  const post = useCallback(
    async (text) => {
      setBusy(true);
      setStep(null);
      setMessages((list) => list.map((m) => (m.active ? { ...m, active: false } : m)));
      try {
        const answer = await api.sendChat(text);
        if (!mounted.current) return;
        follow(answer.task_id, text);
      } catch (err) {
        if (mounted.current) failLocally(text, err);
      }
    },
    [failLocally, follow],
  );

  /** Send a user message; ignored while empty or while a run is in flight. */
  const send = useCallback(
    (raw) => {
      const text = String(raw || '').trim();
      if (!text || busy || loading) return false;
      append({ role: 'user', content: text });
      post(text);
      return true;
    },
    [append, busy, loading, post],
  );

  const loadHistory = useCallback(async () => {
    setLoading(true);
    let tries = 0;
    for (;;) {
      let data;
      try {
        data = await api.chatHistory();
      } catch (err) {
        if (!mounted.current) return;
        setMessages([
          {
            id: newId(),
            role: 'assistant',
            content: `The conversation could not be loaded: ${err.message}`,
            actions: [],
            choices: [],
            error: true,
            reload: true,
          },
        ]);
        setBusy(false);
        setLoading(false);
        return;
      }
      if (!mounted.current) return;
      const restored = (data.messages || []).map((m) => ({
        id: newId(),
        role: m.role,
        content: m.content || '',
        actions: Array.isArray(m.actions) ? m.actions : [],
        needs: m.needs || null,
        choices: Array.isArray(m.choices) ? m.choices : [],
        error: Boolean(m.error),
        active: false,
      }));
      const last = restored[restored.length - 1];
      if (last && last.role === 'assistant' && last.needs && data.pending) last.active = true;
      setMessages(restored);
      setLoading(false);
      // A trailing user message is a run still in flight (e.g. the page was reloaded mid-run).
      if (last && last.role === 'user' && tries < HISTORY_WAIT_TRIES) {
        tries += 1;
        setBusy(true);
        await new Promise((resolve) => setTimeout(resolve, pollInterval));
        if (!mounted.current) return;
        continue;
      }
      setBusy(false);
      return;
    }
  }, [pollInterval]);

  /** Re-send the message behind error bubble `id` (the bubble goes away). */
  const retry = useCallback(
    (id) => {
      if (busy) return;
      const failed = messages.find((m) => m.id === id);
      if (!failed) return;
      setMessages((list) => list.filter((m) => m.id !== id));
      if (failed.retryText) post(failed.retryText);
      else if (failed.reload) loadHistory();
    },
    [busy, loadHistory, messages, post],
  );

  /** Forget the conversation (server and screen). */
  const clear = useCallback(async () => {
    stopFollowing();
    try {
      await api.clearChat();
      if (!mounted.current) return;
      setMessages([]);
      setBusy(false);
      setStep(null);
    } catch (err) {
      if (!mounted.current) return;
      append({
        role: 'assistant',
        content: `The conversation could not be cleared: ${err.message}`,
        error: true,
      });
      setBusy(false);
    }
  }, [append, stopFollowing]);

  useEffect(() => {
    mounted.current = true;
    loadHistory();
    return () => {
      mounted.current = false;
      stopFollowing();
    };
  }, [loadHistory, stopFollowing]);

  return { messages, loading, busy, step, send, retry, clear };
}
