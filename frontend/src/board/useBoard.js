/**
 * useBoard: the board's data (pipeline stages and leads) and its writes.
 *
 * Moves are optimistic: the card changes column at once and goes back, with a message, when
 * the server refuses (409 when someone else changed the lead first: the board is reloaded).
 * The board reloads whenever the chat reports changes (`crm:leads-changed` on `window`).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../lib/api.js';
import { LEADS_CHANGED } from '../lib/format.js';

const SEARCH_DELAY_MS = 250;

export function useBoard() {
  const [stages, setStages] = useState([]);
  const [leads, setLeads] = useState([]);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [query, setQuery] = useState('');
  const queryRef = useRef('');
  const sequence = useRef(0);

  /** Reload the leads (for the current search); a newer reload wins over an older one. */
  const refresh = useCallback(async () => {
    sequence.current += 1;
    const mine = sequence.current;
    try {
      const data = await api.leads({ q: queryRef.current.trim() });
      if (mine !== sequence.current) return;
      setLeads(data.leads || []);
      setLoadError(null);
    } catch (err) {
      if (mine !== sequence.current) return;
      setLoadError(err.message);
    } finally {
      if (mine === sequence.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    let cancelled = false;
    api
      .pipeline()
      .then((data) => {
        if (!cancelled) setStages(data.statuses || []);
      })
      .catch((err) => {
        if (!cancelled) setLoadError(err.message);
      });
    return () => {
      cancelled = true;
    };
  }, []);

  // The first load at once; searches after the user pauses typing.
  const firstLoad = useRef(true);
  useEffect(() => {
    queryRef.current = query;
    if (firstLoad.current) {
      firstLoad.current = false;
      refresh();
      return undefined;
    }
    const timer = setTimeout(refresh, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [query, refresh]);

  useEffect(() => {
    const onChanged = () => refresh();
    window.addEventListener(LEADS_CHANGED, onChanged);
    return () => window.removeEventListener(LEADS_CHANGED, onChanged);
  }, [refresh]);

  const replace = (lead) => setLeads((list) => list.map((l) => (l.id === lead.id ? lead : l)));

  /** Move `lead` to `status` optimistically; roll back with a message when refused. */
  const moveLead = useCallback(
    async (lead, status) => {
      if (!lead || lead.status === status) return;
      setNotice(null);
      replace({ ...lead, status });
      try {
        replace(await api.updateLead(lead.id, { status, version: lead.version }));
      } catch (err) {
        replace(lead);
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
      }
    },
    [refresh],
  );

  /** Create a lead; throws `ApiError` (shown by the form) when refused. */
  const createLead = useCallback(
    async (fields) => {
      const lead = await api.createLead(fields);
      await refresh();
      return lead;
    },
    [refresh],
  );

  /** Save `changes` to `lead` (with its version); on 409 reloads and rethrows. */
  const updateLead = useCallback(
    async (lead, changes) => {
      try {
        const updated = await api.updateLead(lead.id, { ...changes, version: lead.version });
        replace(updated);
        refresh();
        return updated;
      } catch (err) {
        if (err.status === 409 || err.status === 404) refresh();
        throw err;
      }
    },
    [refresh],
  );

  const deleteLead = useCallback(
    async (lead) => {
      await api.deleteLead(lead.id);
      setLeads((list) => list.filter((l) => l.id !== lead.id));
      refresh();
    },
    [refresh],
  );

  return {
    stages,
    leads,
    loading,
    loadError,
    notice,
    setNotice,
    query,
    setQuery,
    refresh,
    moveLead,
    createLead,
    updateLead,
    deleteLead,
  };
}
