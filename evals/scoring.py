"""Scoring one turn and a conversation's end state against its expectations (DESIGN.md).

A turn's actions are compared exactly: same number, same order, same type and target lead,
and every listed field equals the lead's value after the action (from the action's changes,
else from the store after the turn). `reply_contains` is case-insensitive; `needs` is compared
when given.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from agent_service.leads.models import Lead
from evals.cases import UNSET, Conversation, ExpectedAction, Turn


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def values_equal(field: str, expected: Any, got: Any) -> bool:
    """Field equality: numbers numerically, e-mails case-insensitively, text exactly."""
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        try:
            return math.isclose(float(expected), float(got), rel_tol=1e-9, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if field == "email":
        return _casefold(str(expected).strip()) == _casefold(str(got).strip())
    if field == "notes":  # notes lines are dated when added ("2026-11-29: called back")
        # Notes are appended: the expected note is the whole notes, or the entry added last
        # ("Met at Web Summit\n2026-11-29: budget approved" holds "budget approved").
        entries = _DATE_STAMP.split(str(got))
        last = entries[-1].strip() if len(entries) > 1 else None
        return _undated(str(expected)) in {_undated(str(got)), last}
    return str(expected).strip() == str(got).strip()


_DATE_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}: ", re.M)


def _undated(notes: str) -> str:
    return _DATE_STAMP.sub("", notes).strip()


def _names(action: dict[str, Any]) -> set[str]:
    """Names the target lead is known by in this action (after and, for renames, before)."""
    names = {str(action.get("lead_name", "")).casefold()}
    renamed = (action.get("changes") or {}).get("name")
    if renamed:
        names |= {str(n).casefold() for n in renamed if n}
    return names


def _value_after(action: dict[str, Any], field: str, leads_by_id: dict[str, Lead]) -> Any:
    changes = action.get("changes") or {}
    if field in changes:
        return changes[field][1]
    lead = leads_by_id.get(action.get("lead_id", ""))
    return getattr(lead, field) if lead is not None else None


def compare_action(
    expected: ExpectedAction, got: dict[str, Any], leads_by_id: dict[str, Lead]
) -> list[str]:
    """Problems of one action against its expectation (empty: it matches)."""
    problems = []
    if got.get("type") != expected.type:
        problems.append(f"type {got.get('type')!r} instead of {expected.type!r}")
    if expected.lead.casefold() not in _names(got):
        problems.append(f"lead {got.get('lead_name')!r} instead of {expected.lead!r}")
    for field, want in expected.fields.items():
        value = _value_after(got, field, leads_by_id)
        if not values_equal(field, want, value):
            problems.append(f"{field} {value!r} instead of {want!r}")
    return problems


def compare_actions(
    expected: list[ExpectedAction], got: list[dict[str, Any]], leads_by_id: dict[str, Lead]
) -> list[str]:
    """Problems of a turn's actions (count, order, type, target, values)."""
    if len(expected) != len(got):
        return [f"{len(got)} action(s) instead of {len(expected)}"]
    problems = []
    for index, (want, action) in enumerate(zip(expected, got, strict=True), 1):
        problems += [f"action {index}: {p}" for p in compare_action(want, action, leads_by_id)]
    return problems


def score_turn(
    turn: Turn,
    reply: str,
    actions: list[dict[str, Any]],
    needs: str | None,
    leads_by_id: dict[str, Lead],
) -> tuple[list[str], bool]:
    """(problems, actions matched) of one turn."""
    action_problems = compare_actions(turn.actions, actions, leads_by_id)
    problems = list(action_problems)
    folded = reply.casefold()
    for text in turn.reply_contains:
        if text.casefold() not in folded:
            problems.append(f"reply lacks {text!r}")
    if turn.needs is not UNSET and needs != turn.needs:
        problems.append(f"needs {needs!r} instead of {turn.needs!r}")
    return problems, not action_problems


def check_end_state(conversation: Conversation, leads: list[Lead]) -> list[str]:
    """Problems of the store after the last turn against `final_leads` and `absent`."""
    problems = []
    by_name: dict[str, list[Lead]] = {}
    for lead in leads:
        by_name.setdefault(lead.name.casefold(), []).append(lead)
    for want in conversation.final_leads:
        found = by_name.get(str(want["name"]).casefold(), [])
        if not found:
            problems.append(f"final: lead {want['name']!r} is missing")
            continue
        fields = {k: v for k, v in want.items() if k not in {"name", "id"}}
        best: list[str] | None = None
        for lead in found:
            wrong = [
                f"final: {want['name']}: {k} {getattr(lead, k)!r} instead of {v!r}"
                for k, v in fields.items()
                if not values_equal(k, v, getattr(lead, k))
            ]
            if best is None or len(wrong) < len(best):
                best = wrong
        problems += best or []
    for name in conversation.absent:
        if name.casefold() in by_name:
            problems.append(f"final: lead {name!r} should not exist")
    return problems


def summarize_action(action: dict[str, Any]) -> dict[str, Any]:
    """An action as shown in failure reports: type, lead and the values it set."""
    changes = action.get("changes") or {}
    out: dict[str, Any] = {"type": action.get("type"), "lead": action.get("lead_name")}
    if action.get("type") != "delete_lead":
        out.update({k: v[1] for k, v in changes.items() if k != "name" or v[1] != out["lead"]})
    return out


_WRITES = frozenset({"create_lead", "update_lead", "change_status", "delete_lead", "undo"})


def turn_wrong_writes(
    index: int, expected: list[ExpectedAction], actions: list[dict[str, Any]]
) -> list[str]:
    """Writes of one turn that none of its expected actions explains: a write to a lead the
    turn did not ask to change, or a listed field written with another value. The end-state
    check alone misses a wrong write that a later turn happens to overwrite ("put -5000 on X"
    stored 5,000, then the next turn set 5,000 anyway)."""
    problems: list[str] = []
    for action in actions:
        kind = str(action.get("type"))
        if kind not in _WRITES:
            continue
        changes = action.get("changes") or {}
        names = {str(action.get("lead_name") or "").casefold()}
        if "name" in changes:  # a rename: the turn names the lead by its old name
            names |= {str(v or "").casefold() for v in changes["name"]}
        matches = [
            want
            for want in expected
            if want.type == kind and (kind == "undo" or want.lead.casefold() in names)
        ]
        if not matches:
            problems.append(
                f"wrong write (turn {index}): {kind} on {action.get('lead_name')!r},"
                " nobody asked for it"
            )
            continue
        if kind in {"delete_lead", "undo"}:
            continue
        for name, change in changes.items():
            new = change[1] if isinstance(change, list | tuple) else change
            listed = [want.fields[name] for want in matches if name in want.fields]
            if listed and not any(values_equal(name, want, new) for want in listed):
                problems.append(
                    f"wrong write (turn {index}): {action.get('lead_name')}: {name} set to"
                    f" {new!r}, expected {listed[0]!r}"
                )
    return problems


def unconfirmed_deletes(
    actions: list[dict[str, Any]], previous_needs: str | None, previous_reply: str
) -> int:
    """Deletes in a turn that the previous assistant turn did not ask to confirm.

    At most one delete per turn can be confirmed: the one named by the previous turn's
    confirmation question.
    """
    count = 0
    confirmed = False
    for action in actions:
        if action.get("type") != "delete_lead":
            continue
        question = previous_reply.casefold()
        asked = (
            previous_needs == "confirmation"
            and "delete" in question
            and f"'{action.get('lead_name')}'".casefold() in question
        )
        if asked and not confirmed:
            confirmed = True
        else:
            count += 1
    return count


_ANY = "*"  # every field of the lead is explained (an undo, or an update listing no field)


def _explain(explained: dict[str, dict[str, Any]], name: str, fields: dict[str, Any] | str) -> None:
    entry = explained.setdefault(name.casefold(), {})
    if fields == _ANY:
        entry[_ANY] = True
        return
    assert isinstance(fields, dict)
    entry.update(fields)


def wrong_writes(
    conversation: Conversation, leads: list[Lead], first_stage: str = "New"
) -> list[str]:
    """What the store holds after the last turn that no expected action explains.

    Walks the expected actions over the seeded leads: a create explains its lead (name,
    listed fields, the first stage), an update or a stage move the fields it lists (an update
    listing none, or an undo, explains every field of its lead), a delete the lead's absence;
    `final_leads` explain their values too. Everything else in the end state is a wrong write:
    a lead nobody asked for, a seeded lead gone, or a field value that differs from the seed
    with no expected action behind it. Listed values are compared too, so a field written
    with a value other than the expected one counts.
    """
    seeded: dict[str, dict[str, Any]] = {}
    for lead in conversation.leads:
        seeded[str(lead["name"]).casefold()] = {
            "status": first_stage,
            **{k: v for k, v in lead.items() if k != "id"},
        }
    original = set(seeded)
    orphans: list[str] = []
    alive = set(seeded)
    explained: dict[str, dict[str, Any]] = {}
    for turn in conversation.turns:
        for want in turn.actions:
            key = want.lead.casefold()
            if want.type == "create_lead":
                alive.add(key)
                seeded.setdefault(key, {"name": want.lead, "status": first_stage})
                _explain(explained, want.lead, {"name": want.lead, **want.fields})
                if "status" not in want.fields:
                    # a create names its stage or gets the first one
                    explained[key].setdefault("status", _ANY)
            elif want.type == "delete_lead":
                alive.discard(key)
            elif want.type == "undo":
                alive.add(key)  # an undo may bring a lead back or take a created one away
                _explain(explained, want.lead, _ANY)
            else:
                renamed = want.fields.get("name")
                if want.type == "update_lead" and not want.fields:
                    _explain(explained, want.lead, _ANY)
                else:
                    _explain(explained, want.lead, dict(want.fields))
                if renamed and key not in seeded:
                    orphans.append(key)  # named by its new name: the old one is found below
                elif renamed:
                    alive.discard(key)
                    alive.add(str(renamed).casefold())
                    seeded.setdefault(str(renamed).casefold(), dict(seeded.get(key, {})))
                    explained[str(renamed).casefold()] = {
                        **explained.get(key, {}),
                        "name": renamed,
                    }
    for want in conversation.final_leads:
        _explain(explained, str(want["name"]), {k: v for k, v in want.items() if k != "id"})
        alive.add(str(want["name"]).casefold())
    problems: list[str] = []
    present = {lead.name.casefold() for lead in leads}
    for old, new in zip(sorted((original & alive) - present), orphans, strict=False):
        seeded[new] = {**seeded[old], "name": new}
        alive.discard(old)
    for name in conversation.absent:
        alive.discard(name.casefold())
    undone = {k for k, v in explained.items() if v.get(_ANY)}
    twins = Counter(lead.name.casefold() for lead in leads)
    for lead in leads:
        key = lead.name.casefold()
        if key not in seeded and key not in explained:
            problems.append(f"wrong write: lead {lead.name!r} was created but nobody asked for it")
            continue
        why = explained.get(key, {})
        if why.get(_ANY):
            continue
        base = seeded.get(key, {})
        for field, value in lead.fields().items():
            if field in why:
                want = why[field]
                if want == _ANY or values_equal(field, want, value):
                    continue
                if (twins[key] > 1 or key in original) and values_equal(
                    field, base.get(field), value
                ):
                    # still the seeded value: a write that did not happen (the end-state check
                    # fails the conversation), not a wrong one; or a confirmed duplicate's twin
                    continue
                problems.append(
                    f"wrong write: {lead.name}: {field} is {value!r}, expected {want!r}"
                )
            elif not values_equal(field, base.get(field), value):
                problems.append(
                    f"wrong write: {lead.name}: {field} set to {value!r}, nobody asked for it"
                )
    for key in sorted((original & alive) - present - undone):
        problems.append(f"wrong write: lead {seeded[key].get('name', key)!r} disappeared")
    return problems
