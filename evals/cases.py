"""Loading and validating eval conversations (the YAML format of DESIGN.md).

A conversation file holds `name`, `tags`, `leads` (the store before), `turns` (each a `user`
message and an `expect` block) and optionally `final_leads` / `absent`. Every problem in a file
is reported as a `CaseError` naming the file and the place in it, so a typo in a hand-written
case never turns into a silently weaker check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agent_service.conversations import ACTION_TYPES, LEAD_FIELDS, NEEDS, ConversationLoader

UNSET: Any = object()  # `needs` not given: not checked
CaseLoader = ConversationLoader  # the format's YAML loader (agent_service.conversations)


class CaseError(ValueError):
    """A conversation file that does not follow the format."""


@dataclass(frozen=True)
class ExpectedAction:
    """One expected action: its type, the target lead's name, and field values after it."""

    type: str
    lead: str
    fields: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "lead": self.lead, **self.fields}


@dataclass(frozen=True)
class Turn:
    user: str
    actions: list[ExpectedAction]
    reply_contains: list[str] = field(default_factory=list)
    needs: Any = UNSET  # "clarification", "confirmation", None (must not ask) or UNSET

    def expected(self) -> dict[str, Any]:
        """The expectation as plain data, for failure reports."""
        out: dict[str, Any] = {"actions": [a.as_dict() for a in self.actions]}
        if self.reply_contains:
            out["reply_contains"] = list(self.reply_contains)
        if self.needs is not UNSET:
            out["needs"] = self.needs
        return out


@dataclass(frozen=True)
class Conversation:
    name: str
    tags: list[str]
    leads: list[dict[str, Any]]
    turns: list[Turn]
    final_leads: list[dict[str, Any]] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    path: Path | None = None

    @property
    def checks_end_state(self) -> bool:
        return bool(self.final_leads or self.absent)


def _fail(where: str, message: str) -> CaseError:
    return CaseError(f"{where}: {message}")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, "must be a non-empty string")
    return value


def _lead(data: Any, where: str, *, need_name: bool = True) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _fail(where, "must be a mapping of lead fields")
    allowed = {*LEAD_FIELDS, "id"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _fail(where, f"unknown lead field(s) {unknown}; allowed: {sorted(allowed)}")
    if need_name:
        _text(data.get("name"), f"{where}.name")
    return dict(data)


def _action(data: Any, where: str) -> ExpectedAction:
    if not isinstance(data, dict):
        raise _fail(where, "must be a mapping with `type` and `lead`")
    data = dict(data)
    kind = data.pop("type", None)
    if kind not in ACTION_TYPES:
        raise _fail(where, f"type must be one of {list(ACTION_TYPES)}, got {kind!r}")
    lead = _text(data.pop("lead", None), f"{where}.lead")
    fields = data.pop("fields", None) or {}
    if not isinstance(fields, dict):
        raise _fail(f"{where}.fields", "must be a mapping of field: value")
    fields = {**fields, **data}
    unknown = sorted(set(fields) - set(LEAD_FIELDS))
    if unknown:
        raise _fail(where, f"unknown key(s) {unknown}; fields are {list(LEAD_FIELDS)}")
    return ExpectedAction(type=kind, lead=lead, fields=fields)


def _turn(data: Any, where: str) -> Turn:
    if not isinstance(data, dict):
        raise _fail(where, "must be a mapping with `user` and `expect`")
    unknown = sorted(set(data) - {"user", "expect"})
    if unknown:
        raise _fail(where, f"unknown key(s) {unknown}")
    user = data.get("user")
    user = _text(str(user) if isinstance(user, int | float) else user, f"{where}.user")
    expect = data.get("expect") or {}
    if not isinstance(expect, dict):
        raise _fail(f"{where}.expect", "must be a mapping")
    unknown = sorted(set(expect) - {"actions", "reply_contains", "needs"})
    if unknown:
        raise _fail(f"{where}.expect", f"unknown key(s) {unknown}")
    raw_actions = expect.get("actions") or []
    if not isinstance(raw_actions, list):
        raise _fail(f"{where}.expect.actions", "must be a list")
    actions = [_action(a, f"{where}.expect.actions[{i}]") for i, a in enumerate(raw_actions)]
    contains = expect.get("reply_contains") or []
    if isinstance(contains, str):
        contains = [contains]
    if not isinstance(contains, list):
        raise _fail(f"{where}.expect.reply_contains", "must be a list of strings")
    contains = [
        _text(str(c) if isinstance(c, int | float) else c, f"{where}.expect.reply_contains[{i}]")
        for i, c in enumerate(contains)
    ]
    needs = expect.get("needs", UNSET)
    if needs is not UNSET and needs is not None and needs not in NEEDS:
        raise _fail(f"{where}.expect.needs", f"must be one of {list(NEEDS)} or null")
    return Turn(user=user, actions=actions, reply_contains=contains, needs=needs)


def parse_conversation(data: Any, where: str, path: Path | None = None) -> Conversation:
    """Validate one conversation's data (already parsed from YAML)."""
    if not isinstance(data, dict):
        raise _fail(where, "a conversation file must be a mapping")
    allowed = {"name", "tags", "leads", "turns", "final_leads", "absent", "notes"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _fail(where, f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    name = _text(data.get("name"), f"{where}: name")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise _fail(where, f"name {name!r} may only use letters, digits, '-', '_' and '.'")
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise _fail(where, "tags must be a list of strings")
    leads = data.get("leads") or []
    if not isinstance(leads, list):
        raise _fail(where, "leads must be a list")
    leads = [_lead(lead, f"{where}: leads[{i}]") for i, lead in enumerate(leads)]
    turns = data.get("turns")
    if not isinstance(turns, list) or not turns:
        raise _fail(where, "turns must be a non-empty list")
    parsed = [_turn(t, f"{where}: turns[{i}]") for i, t in enumerate(turns)]
    final = data.get("final_leads") or []
    if not isinstance(final, list):
        raise _fail(where, "final_leads must be a list")
    final = [_lead(lead, f"{where}: final_leads[{i}]") for i, lead in enumerate(final)]
    absent = data.get("absent") or []
    if not isinstance(absent, list) or not all(isinstance(a, str) and a for a in absent):
        raise _fail(where, "absent must be a list of lead names")
    return Conversation(
        name=name,
        tags=list(tags),
        leads=leads,
        turns=parsed,
        final_leads=final,
        absent=list(absent),
        path=path,
    )


def load_conversation(path: Path) -> Conversation:
    """Read and validate one conversation file."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=CaseLoader)  # noqa: S506
    except yaml.YAMLError as exc:
        raise CaseError(f"{path}: not valid YAML: {exc}") from None
    return parse_conversation(data, str(path), path)


def load_cases(target: Path) -> list[Conversation]:
    """Every conversation in `target` (a file, or a folder searched recursively), by path."""
    if not target.exists():
        raise CaseError(f"{target}: no such file or folder")
    if target.is_file():
        files = [target]
    else:
        files = sorted(p for p in target.rglob("*") if p.suffix in {".yaml", ".yml"})
    if not files:
        raise CaseError(f"{target}: no .yaml conversation files found")
    cases = [load_conversation(p) for p in files]
    seen: dict[str, Path | None] = {}
    for case in cases:
        if case.name in seen:
            raise CaseError(
                f"{case.path}: conversation name {case.name!r} is also used by {seen[case.name]}"
            )
        seen[case.name] = case.path
    return cases


def select(cases: list[Conversation], tags: list[str]) -> list[Conversation]:
    """The conversations that carry at least one of `tags` (all when `tags` is empty)."""
    if not tags:
        return cases
    wanted = set(tags)
    return [c for c in cases if wanted & set(c.tags)]
