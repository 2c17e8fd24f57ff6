"""Undo from the change log, per user, across board and chat (docs/change-log.md).

`undo_latest` picks the user's newest change (source `chat` or `board`) that no `undo` row
reverts yet, or the change with the given seq, and reverts it only if the lead is still as that
change left it: every change to the lead since has been undone again (a change and the undo row
reverting it cancel out). Otherwise nothing is written and the line names who changed it since.
The revert is an ordinary write with `actor.source == "undo"` and `actor.reverts == seq`, so it
is logged like any other and is never itself a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent_service.errors import InvalidInput, LeadNotFound, UnknownStage, VersionConflict
from agent_service.leads.history import describe_fields, field_changes, lead_name
from agent_service.leads.models import EDITABLE_FIELDS, Actor, Lead, LeadChange
from agent_service.leads.store import LeadStore

NOTHING = "There is nothing to undo."
PAGE = 200  # changes read per step when walking a user's history backwards
LATER_LIMIT = 5000  # changes of one lead since the candidate that are examined


@dataclass(frozen=True)
class UndoResult:
    """What an undo did. `action` is None when nothing was written; `change` is the change
    undone (or that could not be); `lead` the lead after the undo (None when it was removed or
    nothing was done)."""

    line: str
    action: dict[str, Any] | None
    lead: Lead | None
    change: LeadChange | None

    @property
    def undone(self) -> bool:
        return self.action is not None


def undo_latest(
    store: LeadStore, user_id: str, *, actor: Actor, seq: int | None = None
) -> UndoResult:
    """Revert `user_id`'s newest change not yet undone (or change `seq`); see the module doc."""
    if seq is not None:
        found = store.changes(after=seq - 1, limit=1)
        if not found or found[0].seq != seq:
            return UndoResult(NOTHING, None, None, None)
        change = found[0]
        if change.source == "undo":
            return UndoResult("An undo cannot itself be undone.", None, None, change)
        if change.user_id != user_id:
            return UndoResult(
                f"That change to lead '{lead_name(change)}' was made by {change.who}; "
                "only your own changes can be undone.",
                None,
                None,
                change,
            )
        later = _later(store, change)
        if any(c.reverts == change.seq for c in later):
            return UndoResult(
                f"That change to lead '{lead_name(change)}' was already undone.",
                None,
                None,
                change,
            )
    else:
        picked = _newest_candidate(store, user_id)
        if picked is None:
            return UndoResult(NOTHING, None, None, None)
        change, later = picked
    return _revert(
        store, change, later, actor.model_copy(update={"source": "undo", "reverts": change.seq})
    )


def _later(store: LeadStore, change: LeadChange) -> list[LeadChange]:
    """The changes to the same lead after `change`, oldest first."""
    return store.changes(lead_id=change.lead_id, after=change.seq, limit=LATER_LIMIT)


def _newest_candidate(store: LeadStore, user_id: str) -> tuple[LeadChange, list[LeadChange]] | None:
    """The user's newest non-undo change that no undo row reverts, with the lead's changes since."""
    reverted: set[int] = set()
    before: int | None = None
    while True:
        page = store.changes(user_id=user_id, newest_first=True, limit=PAGE, before=before)
        if not page:
            return None
        for change in page:
            if change.source == "undo":
                if change.reverts is not None:
                    reverted.add(change.reverts)
                continue
            if change.seq in reverted:
                continue
            later = _later(store, change)
            if any(c.reverts == change.seq for c in later):  # undone by someone else
                continue
            return change, later
        before = page[-1].seq


def _unpaired(later: list[LeadChange]) -> list[LeadChange]:
    """The changes in `later` not cancelled by an undo row (also in `later`) reverting them."""
    seqs = {c.seq for c in later}
    undone = {c.reverts for c in later if c.source == "undo" and c.reverts in seqs}
    return [
        c for c in later if c.seq not in undone and not (c.source == "undo" and c.reverts in seqs)
    ]


def _changed_since(change: LeadChange, by: LeadChange) -> UndoResult:
    return UndoResult(
        f"Lead '{lead_name(change)}' was changed since by {by.who} ({by.source}); "
        "nothing was undone.",
        None,
        None,
        change,
    )


def _revert(
    store: LeadStore, change: LeadChange, later: list[LeadChange], actor: Actor
) -> UndoResult:
    unpaired = _unpaired(later)
    if unpaired:
        return _changed_since(change, unpaired[-1])
    # As the log says the lead is now: as the newest of these changes left it.
    expected = (later[-1] if later else change).after
    try:
        current: Lead | None = store.get(change.lead_id)
    except LeadNotFound:
        current = None
    if (current is None) != (expected is None) or (
        current is not None and expected is not None and current.version != expected["version"]
    ):
        return _raced(store, change)
    name = lead_name(change)
    try:
        if change.op in ("create", "restore"):
            assert current is not None
            store.delete(current.id, expected_version=current.version, actor=actor)
            changes = field_changes(current.model_dump(mode="json"), None)
            return UndoResult(
                f"Undone: lead '{current.name}' removed.",
                _action(current.id, current.name, changes),
                None,
                change,
            )
        if change.op == "delete":
            restored = store.restore(Lead.model_validate(change.before), actor=actor)
            changes = field_changes(None, restored.model_dump(mode="json"))
            return UndoResult(
                f"Undone: lead '{restored.name}' restored.",
                _action(restored.id, restored.name, changes),
                restored,
                change,
            )
        assert current is not None and change.before is not None
        touched = field_changes(change.before, change.after)
        fields = {f: change.before.get(f) for f in EDITABLE_FIELDS if f in touched}
        reverted = store.update(current.id, fields, expected_version=current.version, actor=actor)
    except (VersionConflict, LeadNotFound):
        return _raced(store, change)
    except (InvalidInput, UnknownStage) as exc:  # e.g. the old stage left the pipeline
        return UndoResult(
            f"Lead '{name}' could not be set back: {exc.detail}; nothing was undone.",
            None,
            None,
            change,
        )
    changes = field_changes(current.model_dump(mode="json"), reverted.model_dump(mode="json"))
    return UndoResult(
        f"Undone: lead '{reverted.name}' {describe_fields(changes, 'restored to')}."
        if changes
        else f"Undone: lead '{reverted.name}' was already as before.",
        _action(reverted.id, reverted.name, changes),
        reverted,
        change,
    )


def _raced(store: LeadStore, change: LeadChange) -> UndoResult:
    """Someone wrote between our reading the log and our write: name the newest writer."""
    newest = store.changes(lead_id=change.lead_id, newest_first=True, limit=1)
    by = newest[0] if newest and newest[0].seq != change.seq else change
    return _changed_since(change, by)


def _action(lead_id: str, name: str, changes: dict[str, list[Any]]) -> dict[str, Any]:
    """An `undo` action as reported to the caller (DESIGN.md)."""
    return {"type": "undo", "lead_id": lead_id, "lead_name": name, "changes": changes}
