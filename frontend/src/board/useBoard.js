/**
 * useBoard: the board's data (stages, each column's loaded pages and counts, the per-stage
 * summary) and its writes.
 *
 * - Leads load a page per column (`GET /api/leads/?status=S&limit=&offset=`), "load more" per
 *   column; counts and value sums come from `GET /api/leads/summary/`.
 * - One `EventSource('/api/leads/events/')` for the whole board: every `change` event (from
 *   this tab, another tab, a teammate, the chat, undo) is applied to the columns and the
 *   changed card is highlighted briefly. The browser reconnects by itself with
 *   `Last-Event-ID`; if the server refused the stream, it is reopened later with `?after=`
 *   (and, when no change was seen yet to resume from, the board is reloaded meanwhile).
 * - Moves are optimistic: the card changes column at once and goes back, with a message,
 *   when the server refuses (409 when someone else changed the lead first: reloaded).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../lib/api.js';
import { EMPTY_COLUMN, findLead, matchesQuery, withLead, withPage, withoutLead } from './columns.js';

const SEARCH_DELAY_MS = 250;
const STREAM_WAIT_MS = 1500;
const BATCH_MS = 30;
const MAX_HIGHLIGHTS = 20;
const LIVE_SHOWN_MAX = 100; // cards per column beyond which arrivals are only counted
const HIGHLIGHT_MS = 2000;
const SUMMARY_DELAY_MS = 300;
export const PAGE_SIZE = 50;

/** Why the board could not load, without claiming anything about changes. */
function loadFailure(err) {
  if (!err.status) return 'The board could not load: the server cannot be reached.';
  if (err.status === 401 || err.status === 403) return 'The board could not load: your session has ended.';
  return `The board could not load (the server answered ${err.status}).`;
}

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

/**
 * Options: `onChange(change)` is called for every change event after it was applied (the
 * board uses it to warn an open edit panel); `reconnectDelay` (ms) before reopening a stream
 * the server refused.
 */
export function useBoard({ onChange, reconnectDelay = 5000, pageSize = PAGE_SIZE } = {}) {
  const [stages, setStages] = useState([]);
  const [columns, setColumns] = useState({});
  const [summary, setSummary] = useState(null);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [query, setQuery] = useState('');
  const [highlighted, setHighlighted] = useState(() => new Set());
  const [lastChange, setLastChange] = useState(null); // {leadId, seq} of the newest change seen
  const queryRef = useRef('');
  const stagesRef = useRef([]);
  const sequence = useRef(0);
  const onChangeRef = useRef(onChange);
  const summaryTimer = useRef(null);
  const highlightTimers = useRef(new Map());
  // Resolved once the lead stream is open (or failed, or after STREAM_WAIT_MS): the first load
  // waits for it, so no change can fall between the loaded board and the stream's start.
  const streamReady = useRef(null);
  if (streamReady.current === null) {
    let resolve;
    const promise = new Promise((r) => {
      resolve = r;
    });
    streamReady.current = { promise, resolve };
  }

  const columnsRef = useRef(columns);
  useEffect(() => {
    onChangeRef.current = onChange;
    columnsRef.current = columns;
  }, [onChange, columns]);

  const loadSummary = useCallback(async () => {
    try {
      const data = await api.summary();
      const byStage = Object.fromEntries((data.stages || []).map((s) => [s.status, { count: s.count, value: s.value }]));
      setSummary({ byStage, total: data.total, value: data.value });
    } catch {
      setSummary(null); // columns then show their own totals
    }
  }, []);

  /** Reload the first page of every column (for the current search); a newer reload wins. */
  const refresh = useCallback(async () => {
    sequence.current += 1;
    const mine = sequence.current;
    const stageList = stagesRef.current;
    if (!stageList.length) return;
    const q = queryRef.current.trim();
    loadSummary();
    const results = await Promise.allSettled(
      stageList.map((status) => api.leads({ status, q, limit: pageSize, offset: 0 })),
    );
    if (mine !== sequence.current) return;
    const next = {};
    let failure = null;
    stageList.forEach((stage, index) => {
      const result = results[index];
      if (result.status === 'fulfilled') {
        const data = result.value || {};
        const page = (data.leads || []).filter((lead) => lead.status === stage || !lead.status);
        next[stage] = withPage(EMPTY_COLUMN, page, data.total);
      } else {
        failure = failure || result.reason;
        next[stage] = { ...EMPTY_COLUMN, error: result.reason.message };
      }
    });
    setColumns(next);
    setLoadError(failure ? loadFailure(failure) : null);
    setLoading(false);
  }, [loadSummary, pageSize]);

  /** Load the next page of one column. */
  const loadMore = useCallback(
    async (stage) => {
      const mine = sequence.current;
      const offset = (columnsRef.current[stage] || EMPTY_COLUMN).leads.length;
      setColumns((all) => ({ ...all, [stage]: { ...(all[stage] || EMPTY_COLUMN), loading: true } }));
      try {
        const data = await api.leads({ status: stage, q: queryRef.current.trim(), limit: pageSize, offset });
        if (mine !== sequence.current) return;
        setColumns((all) => ({ ...all, [stage]: withPage(all[stage] || EMPTY_COLUMN, data.leads || [], data.total) }));
      } catch (err) {
        if (mine !== sequence.current) return;
        setColumns((all) => ({ ...all, [stage]: { ...(all[stage] || EMPTY_COLUMN), loading: false, error: err.message } }));
      }
    },
    [pageSize],
  );

  useEffect(() => {
    let cancelled = false;
    api
      .pipeline()
      .then(async (data) => {
        if (cancelled) return;
        stagesRef.current = data.statuses || [];
        setStages(stagesRef.current);
        const ready = streamReady.current;
        await Promise.race([ready.promise, new Promise((r) => setTimeout(r, STREAM_WAIT_MS))]);
        if (!cancelled) refresh();
      })
      .catch((err) => {
        if (cancelled) return;
        setLoadError(loadFailure(err));
        setLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [refresh]);

  // Searches after the user pauses typing (the first load follows the pipeline above).
  const firstQuery = useRef(true);
  useEffect(() => {
    queryRef.current = query;
    if (firstQuery.current) {
      firstQuery.current = false;
      return undefined;
    }
    const timer = setTimeout(refresh, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [query, refresh]);

  const highlight = useCallback((ids) => {
    // A burst (a bulk import) highlights only its first few cards: no timer per change.
    const timers = highlightTimers.current;
    const fresh = ids.filter((id) => !timers.has(id)).slice(0, Math.max(0, MAX_HIGHLIGHTS - timers.size));
    if (!fresh.length) return;
    setHighlighted((set) => new Set([...set, ...fresh]));
    for (const id of fresh) {
      timers.set(
        id,
        setTimeout(() => {
          timers.delete(id);
          setHighlighted((set) => {
            const next = new Set(set);
            next.delete(id);
            return next;
          });
        }, HIGHLIGHT_MS),
      );
    }
  }, []);

  /** Apply changes of the log (create/update/delete/restore) to the loaded columns, in one render. */
  const applyChanges = useCallback(
    (changes) => {
      const valid = changes.filter((change) => change && change.lead_id);
      if (!valid.length) return;
      setColumns((start) =>
        valid.reduce((all, change) => {
          const beforeStatus = change.before ? change.before.status : null;
          if (change.op === 'delete' || !change.after) return withoutLead(all, change.lead_id, beforeStatus);
          const shown = findLead(all, change.lead_id);
          // An older version (e.g. the event of a save whose answer was already applied) is skipped.
          if (shown && typeof shown.version === 'number' && change.after.version < shown.version) return all;
          if (!matchesQuery(change.after, queryRef.current)) {
            return withoutLead(all, change.lead_id, shown ? null : beforeStatus);
          }
          return withLead(all, change.after, beforeStatus, LIVE_SHOWN_MAX);
        }, start),
      );
      const last = valid[valid.length - 1];
      setLastChange({ leadId: last.lead_id, seq: last.seq });
      highlight(valid.filter((change) => change.op !== 'delete').map((change) => change.lead_id));
      clearTimeout(summaryTimer.current);
      summaryTimer.current = setTimeout(loadSummary, SUMMARY_DELAY_MS);
      for (const change of valid) onChangeRef.current?.(change);
    },
    [highlight, loadSummary],
  );

  // Changes arriving together (a burst) are applied together: one render per BATCH_MS.
  const pending = useRef([]);
  const flushTimer = useRef(null);
  const applyChange = useCallback(
    (change) => {
      pending.current.push(change);
      if (flushTimer.current !== null) return;
      flushTimer.current = setTimeout(() => {
        flushTimer.current = null;
        const batch = pending.current;
        pending.current = [];
        applyChanges(batch);
      }, BATCH_MS);
    },
    [applyChanges],
  );

  // One live stream for the whole board.
  useEffect(() => {
    const ready = streamReady.current;
    if (typeof globalThis.EventSource !== 'function') {
      ready.resolve();
      return undefined;
    }
    let source = null;
    let timer = null;
    let lastSeq = null;
    let opened = false;
    let stopped = false;
    const open = () => {
      const url = lastSeq === null ? api.leadEventsUrl : `${api.leadEventsUrl}?after=${lastSeq}`;
      try {
        source = new globalThis.EventSource(url);
      } catch {
        return;
      }
      source.addEventListener('open', () => {
        // A stream (re)opened with nothing to resume from starts at the server's current seq:
        // whatever changed while it was down is only in a reload.
        if (opened && lastSeq === null) refresh();
        opened = true;
        ready.resolve();
      });
      source.addEventListener('change', (event) => {
        const change = parse(event.data);
        if (!change) return;
        if (typeof change.seq === 'number') lastSeq = change.seq;
        else if (event.lastEventId) lastSeq = Number(event.lastEventId);
        applyChange(change);
      });
      source.addEventListener('error', () => {
        // CONNECTING: the browser retries with Last-Event-ID by itself. CLOSED: the server
        // refused the stream (or a proxy cannot relay it); open it again later from the last
        // seq seen, and meanwhile reload the board so it does not stay stale.
        ready.resolve();
        if (stopped || !source || source.readyState !== 2) return;
        source.close();
        timer = setTimeout(() => {
          if (stopped) return;
          // A server that never opened a stream gets polled this way; one that did will
          // reload on its next `open` (after the stream is live, so nothing falls between).
          if (lastSeq === null && !opened) refresh();
          open();
        }, reconnectDelay);
      });
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      if (source) source.close();
    };
  }, [applyChange, reconnectDelay, refresh]);

  useEffect(() => {
    const timers = highlightTimers.current;
    return () => {
      clearTimeout(summaryTimer.current);
      clearTimeout(flushTimer.current);
      for (const timer of timers.values()) clearTimeout(timer);
    };
  }, []);

  const place = (lead, beforeStatus) => setColumns((all) => withLead(all, lead, beforeStatus));

  /** Move `lead` to `status` optimistically; true when the server took it. */
  const moveLead = useCallback(
    async (lead, status) => {
      if (!lead || lead.status === status) return false;
      setNotice(null);
      place({ ...lead, status });
      try {
        place(await api.updateLead(lead.id, { status, version: lead.version }));
        return true;
      } catch (err) {
        place(lead);
        if (err.status === 409) {
          setNotice(
            `'${lead.name}' was changed elsewhere before your move; the board now shows the latest version. Try again.`,
          );
          refresh();
        } else if (err.status === 404) {
          setNotice(`'${lead.name}' no longer exists; the board was reloaded.`);
          refresh();
        } else {
          setNotice(`Could not move '${lead.name}' to ${status}: ${err.message}`);
        }
        return false;
      }
    },
    [refresh],
  );

  /** Create a lead; throws `ApiError` (shown by the form) when refused. */
  const createLead = useCallback(async (fields) => {
    const lead = await api.createLead(fields);
    if (matchesQuery(lead, queryRef.current)) place(lead);
    return lead;
  }, []);

  /** Save `changes` to `lead` (with its version); on 409 or 404 reloads and rethrows. */
  const updateLead = useCallback(
    async (lead, changes) => {
      try {
        const updated = await api.updateLead(lead.id, { ...changes, version: lead.version });
        place(updated, lead.status);
        return updated;
      } catch (err) {
        if (err.status === 409 || err.status === 404) refresh();
        throw err;
      }
    },
    [refresh],
  );

  const deleteLead = useCallback(async (lead) => {
    await api.deleteLead(lead.id);
    setColumns((all) => withoutLead(all, lead.id, lead.status));
  }, []);

  return {
    stages,
    columns,
    summary,
    loading,
    loadError,
    notice,
    setNotice,
    query,
    setQuery,
    highlighted,
    lastChange,
    refresh,
    loadMore,
    moveLead,
    createLead,
    updateLead,
    deleteLead,
  };
}
