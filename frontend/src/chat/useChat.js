/**
 * useChat: everything the chat widget says to the server, in one hook.
 *
 * - restores the conversation from `/api/chat/history/` on mount (it survives a reload until
 *   cleared); a trailing user message means a run is still in flight: it follows that run's
 *   status when this tab started it (the run id is kept in `sessionStorage`), else re-reads the
 *   history — both bounded, so it never sits on "Thinking…" for good;
 * - `send(text)` posts the message with a fresh `client_message_id` (202 `{task_id}`), then
 *   follows the run's event stream (`status`, `step`, `result`, `error`); if the stream cannot
 *   be opened or breaks, it polls `/api/chat/status/<task_id>/` instead (bounded);
 * - a 503/504 `{"type": "timeout"}` on the post means the message may still be processed: it
 *   posts again with the same `client_message_id`, which re-attaches to the same run;
 * - `retry(id)` re-sends the message an error belongs to with the same id; `clear()` forgets
 *   the conversation; `undo(seq)` undoes the user's latest change (or change `seq`).
 *
 * The board learns about changes from the lead event stream, not from here.
 * Components only render what this returns.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../lib/api.js';
import { markResult } from '../lib/perf.js';

const TERMINAL = new Set(['succeeded', 'failed']);
const MAX_POLL_FAILURES = 5;
const RUN_KEY = 'crm:chat-run';

/** A fresh client message id (crypto.randomUUID where the browser has it). */
export function newClientId() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === 'function') {
    return globalThis.crypto.randomUUID();
  }
  return `m-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

function remember(run) {
  try {
    if (run) sessionStorage.setItem(RUN_KEY, JSON.stringify(run));
    else sessionStorage.removeItem(RUN_KEY);
  } catch {
    /* storage unavailable (private mode): a reload then re-reads the history instead */
  }
}

function remembered() {
  try {
    return parse(sessionStorage.getItem(RUN_KEY) || 'null');
  } catch {
    return null;
  }
}

/** Is this refusal "the proxy gave up waiting", after which the message may still run? */
function isTimeout(err) {
  return Boolean(err) && (err.status === 503 || err.status === 504) && err.type === 'timeout';
}

function stamp(value) {
  const time = value ? new Date(value).getTime() : NaN;
  return Number.isFinite(time) ? time : null;
}

/**
 * Options: `pollInterval` (ms between status polls), `maxPolls` (status polls before giving up
 * on a run that never ends), `maxReattach` (re-posts after a timeout), `historyTries` (history
 * re-reads after a reload mid-run).
 */
export function useChat({ pollInterval = 1000, maxPolls = 300, maxReattach = 5, historyTries = 30 } = {}) {
  const [messages, setMessages] = useState([]);
  const [loading, setLoading] = useState(true);
  const [busy, setBusy] = useState(false);
  const [step, setStep] = useState(null);
  const nextId = useRef(0);
  const current = useRef(null); // the run being followed: {taskId, text, clientId, done, source, timer}
  const mounted = useRef(true);

  const newId = () => {
    nextId.current += 1;
    return `m${nextId.current}`;
  };

  const append = useCallback((message) => {
    setMessages((list) => [...list, { id: newId(), actions: [], choices: [], at: Date.now(), ...message }]);
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
      remember(null);
      if (!mounted.current) return;
      if (data && data.status === 'succeeded' && data.result) {
        const result = data.result;
        markResult(run.taskId);
        append({
          role: 'assistant',
          content: result.reply || '',
          actions: Array.isArray(result.actions) ? result.actions : [],
          needs: result.needs || null,
          choices: Array.isArray(result.choices) ? result.choices : [],
          active: Boolean(result.needs),
          taskId: run.taskId,
        });
      } else {
        const message =
          (data && data.error && data.error.message) ||
          'The assistant could not answer; nothing was changed.';
        append({ role: 'assistant', content: message, error: true, retryText: run.text, clientId: run.clientId });
      }
      setBusy(false);
      setStep(null);
    },
    [append, stopFollowing],
  );

  const failLocally = useCallback(
    (text, err, clientId) => {
      append({
        role: 'assistant',
        content: (err && err.message) || 'Something went wrong.',
        error: true,
        retryText: text,
        clientId,
      });
      setBusy(false);
      setStep(null);
    },
    [append],
  );

  const poll = useCallback(
    (run) => {
      let failures = 0;
      let polls = 0;
      const tick = async () => {
        run.timer = null;
        if (run.done) return;
        polls += 1;
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
            remember(null);
            failLocally(run.text, err, run.clientId);
            return;
          }
        }
        if (polls >= maxPolls) {
          // Never "Thinking…" for good: say what is known, keep the same id for a retry.
          stopFollowing();
          failLocally(
            run.text,
            new Error('No answer yet: your message may still be processed. Retry checks again without sending it twice.'),
            run.clientId,
          );
          return;
        }
        run.timer = setTimeout(tick, pollInterval);
      };
      tick();
    },
    [failLocally, finish, maxPolls, pollInterval, stopFollowing],
  );

  const follow = useCallback(
    (taskId, text, clientId) => {
      stopFollowing();
      const run = { taskId, text, clientId, done: false, source: null, timer: null };
      current.current = run;
      remember({ taskId, text, clientId });
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
    async (text, clientId) => {
      setBusy(true);
      setStep(null);
      setMessages((list) => list.map((m) => (m.active ? { ...m, active: false } : m)));
      for (let attempt = 0; ; attempt += 1) {
        try {
          const answer = await api.sendChat(text, clientId);
          if (!mounted.current) return;
          follow(answer.task_id, text, clientId);
          return;
        } catch (err) {
          if (!mounted.current) return;
          if (isTimeout(err) && attempt < maxReattach) {
            // The proxy gave up waiting; the same id re-attaches to the run if it exists.
            await new Promise((resolve) => setTimeout(resolve, pollInterval));
            if (!mounted.current) return;
            continue;
          }
          const shown = isTimeout(err)
            ? new Error('No answer yet: your message may still be processed. Retry checks again without sending it twice.')
            : err;
          failLocally(text, shown, clientId);
          return;
        }
      }
    },
    [failLocally, follow, maxReattach, pollInterval],
  );

  /** Send a user message; ignored while empty or while a run is in flight. */
  const send = useCallback(
    (raw) => {
      const text = String(raw || '').trim();
      if (!text || busy || loading) return false;
      const clientId = newClientId();
      append({ role: 'user', content: text, clientId });
      post(text, clientId);
      return true;
    },
    [append, busy, loading, post],
  );

  const loadHistory = useCallback(async () => {
    for (let tries = 0; ; tries += 1) {
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
            at: Date.now(),
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
        at: stamp(m.at || m.created_at),
      }));
      const last = restored[restored.length - 1];
      if (last && last.role === 'assistant' && last.needs && data.pending) last.active = true;
      setMessages(restored);
      setLoading(false);
      // A trailing user message is a run still in flight (e.g. the page was reloaded mid-run).
      if (last && last.role === 'user') {
        const mine = remembered();
        if (mine && mine.taskId && mine.text === last.content) {
          // This tab started it: follow its status (bounded; a failed run shows its error).
          setBusy(true);
          const run = { taskId: mine.taskId, text: mine.text, clientId: mine.clientId, done: false, source: null, timer: null };
          current.current = run;
          poll(run);
          return;
        }
        if (tries < historyTries) {
          setBusy(true);
          await new Promise((resolve) => setTimeout(resolve, pollInterval));
          if (!mounted.current) return;
          continue;
        }
        setBusy(false);
        setMessages((list) => [
          ...list,
          {
            id: newId(),
            role: 'assistant',
            content: 'The answer to your last message has not arrived yet; it may still be processed.',
            actions: [],
            choices: [],
            error: true,
            reload: true,
            at: Date.now(),
          },
        ]);
        return;
      }
      setBusy(false);
      return;
    }
  }, [historyTries, poll, pollInterval]);

  /** Re-send the message behind error bubble `id` with its client id (the bubble goes away). */
  const retry = useCallback(
    (id) => {
      if (busy) return;
      const failed = messages.find((m) => m.id === id);
      if (!failed) return;
      setMessages((list) => list.filter((m) => m.id !== id));
      if (failed.retryText) post(failed.retryText, failed.clientId || newClientId());
      else if (failed.reload) {
        setLoading(true);
        loadHistory();
      }
    },
    [busy, loadHistory, messages, post],
  );

  /** Forget the conversation (server and screen). */
  const clear = useCallback(async () => {
    stopFollowing();
    remember(null);
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

  /** Undo this user's latest change (`seq` when the chip knows it); the reply shows in the chat. */
  const undo = useCallback(
    async (seq) => {
      try {
        const answer = await api.undo(seq);
        if (!mounted.current) return answer;
        append({ role: 'assistant', content: answer.reply || '', actions: answer.action ? [answer.action] : [] });
        return answer;
      } catch (err) {
        if (mounted.current) append({ role: 'assistant', content: `Undo failed: ${err.message}`, error: true });
        return null;
      }
    },
    [append],
  );

  useEffect(() => {
    mounted.current = true;
    // loadHistory sets state only after awaiting the server, never synchronously.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    loadHistory();
    return () => {
      mounted.current = false;
      stopFollowing();
    };
  }, [loadHistory, stopFollowing]);

  return { messages, loading, busy, step, send, retry, clear, undo };
}
