"""Finishing a run from the lead change log, when its own ending was lost.

A run's lead writes, its checkpoint and its final status are separate commits: a crash, an
outage or a timeout can fall between them. The change log (written in the same transaction as
each lead change, with the run's `run_id`) says what the run really did, so its status can be
reported truthfully afterwards:

- changes with its `run_id` → `succeeded`, reply `Done before a restart: <one line per
  change>`, with the matching actions;
- no change → `failed` ("please send it again": sending it again cannot duplicate anything).
"""

from __future__ import annotations

from typing import Any

from agent_service.leads.store import LeadStore

RESTART_PREFIX = "Done before a restart:"
ERROR_PREFIX = "Done before an error:"
TIMEOUT_PREFIX = "Done before the time limit:"


def has_change_log(store: LeadStore) -> bool:
    """Whether the store keeps the change log (`changes(run_id=…)`)."""
    return callable(getattr(store, "changes", None))


def run_changes(store: LeadStore, run_id: str) -> list[Any] | None:
    """The log rows written by run `run_id`, oldest first; None without a change log.
    Raises `StoreUnavailable` when the database is down (then nothing is known)."""
    if not has_change_log(store):
        return None
    return list(store.changes(run_id=run_id, limit=1000))  # type: ignore[attr-defined]


def _field(change: Any, name: str) -> Any:
    return change.get(name) if isinstance(change, dict) else getattr(change, name)


def describe(change: Any) -> str:
    """One line for a change (`leads.history.describe_change`)."""
    from agent_service.leads.history import describe_change

    return describe_change(change)


def action_for(change: Any) -> dict[str, Any]:
    """The run action (as in a run's `result.actions`) that a change row records."""
    before = _field(change, "before") or {}
    after = _field(change, "after") or {}
    op = _field(change, "op")
    ignored = {"updated_at", "version", "created_at", "id"}
    changed = {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if key not in ignored and before.get(key) != after.get(key)
    }
    if _field(change, "source") == "undo" or _field(change, "reverts") is not None:
        kind = "undo"
    elif op == "create":
        kind = "create_lead"
    elif op == "delete":
        kind = "delete_lead"
    elif op == "restore":
        kind = "undo"
    elif set(changed) == {"status"}:
        kind = "change_status"
    else:
        kind = "update_lead"
    return {
        "type": kind,
        "lead_id": _field(change, "lead_id"),
        "lead_name": (after or before).get("name", ""),
        "changes": changed,
    }


def result_from_changes(changes: list[Any], prefix: str = RESTART_PREFIX) -> dict[str, Any]:
    """A run's `result` rebuilt from its log rows."""
    lines = [describe(change) for change in changes]
    return {
        "reply": f"{prefix} " + "\n".join(lines),
        "actions": [action_for(change) for change in changes],
        "needs": None,
        "choices": [],
    }
