"""The recorded-conversation file format (DESIGN.md "Recorded conversations"), in one place.

One YAML document per conversation: `name`, `tags`, `leads` (the store before), `turns` (each
a `user` message and an `expect` block: `actions`, `reply_contains`, `needs`) and optionally
`final_leads` / `absent`. The service writes such files from live threads
(`agent_service/runs/recording.py`, when `CRM_RECORD_DIR` is set); the eval runner
(`evals/`) reads and checks them. Both import this module; the service never imports
`evals/`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

LEAD_FIELDS = ("name", "company", "email", "phone", "status", "value", "notes")
ACTION_TYPES = ("create_lead", "update_lead", "change_status", "delete_lead", "undo")
NEEDS = ("clarification", "confirmation")


class ConversationLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false, so `user: yes` and `user: no` stay text."""


ConversationLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ConversationLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def read_document(path: Path) -> Any:
    """The YAML document of a conversation file (yes/no stay text)."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=ConversationLoader)  # noqa: S506


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    return slug[:80] or "conversation"


def _removes(action: dict[str, Any]) -> bool:
    """The action leaves the lead gone (a delete, or the undo of a create)."""
    changes = action.get("changes") or {}
    return action.get("type") == "delete_lead" or (
        bool(changes) and all(after is None for _, after in changes.values())
    )


def expected_action(action: dict[str, Any]) -> dict[str, Any]:
    """An action as an `expect.actions` entry: type, lead name, the after-values it set."""
    out: dict[str, Any] = {"type": action["type"], "lead": action["lead_name"]}
    if _removes(action):
        return out
    for field, (_, after) in (action.get("changes") or {}).items():
        if field in LEAD_FIELDS and not (field == "name" and after == action["lead_name"]):
            out[field] = after
    return out


def _lead_entry(lead: dict[str, Any]) -> dict[str, Any]:
    return {k: lead[k] for k in LEAD_FIELDS if lead.get(k) is not None}


def _end_state(
    leads_before: list[dict[str, Any]], turns: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The touched leads' final values and the names of leads the conversation removed."""
    final: dict[str, dict[str, Any]] = {}
    gone: dict[str, str] = {}
    for turn in turns:
        for action in turn.get("actions") or []:
            lead_id = action.get("lead_id") or action["lead_name"]
            if _removes(action):
                final.pop(lead_id, None)
                gone[lead_id] = action["lead_name"]
                continue
            gone.pop(lead_id, None)
            entry = final.setdefault(lead_id, {"name": action["lead_name"]})
            for field, (_, after) in (action.get("changes") or {}).items():
                if field in LEAD_FIELDS:
                    entry[field] = after
            entry["name"] = action["lead_name"]
    present = {lead["name"].casefold() for lead in final.values()}
    absent = sorted({name for name in gone.values() if name.casefold() not in present})
    ordered = [
        {"name": lead["name"], **{k: lead[k] for k in LEAD_FIELDS if k in lead and k != "name"}}
        for lead in final.values()
    ]
    return ordered, absent


def conversation_data(
    *, name: str, leads_before: list[dict[str, Any]], turns: list[dict[str, Any]]
) -> dict[str, Any]:
    """The eval document for a conversation (see `write_conversation`)."""
    expected_turns = []
    for turn in turns:
        expect: dict[str, Any] = {
            "actions": [expected_action(a) for a in turn.get("actions") or []]
        }
        if turn.get("needs") in NEEDS:
            expect["needs"] = turn["needs"]
        expected_turns.append({"user": turn["user"], "expect": expect})
    final, absent = _end_state(leads_before, turns)
    data: dict[str, Any] = {
        "name": name,
        "tags": ["recorded"],
        "leads": [_lead_entry(lead) for lead in leads_before],
        "turns": expected_turns,
    }
    if final:
        data["final_leads"] = final
    if absent:
        data["absent"] = absent
    return data


def write_conversation(
    directory: Path,
    *,
    name: str,
    leads_before: list[dict[str, Any]],
    turns: list[dict[str, Any]],
) -> Path:
    """Write one conversation as `directory/<name>.yaml` (a new name if taken); returns it.

    `turns`: `{"user": str, "actions": [action…], "needs": optional}` where an action is
    `{"type", "lead_id", "lead_name", "changes": {field: [before, after]}}`.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    slug = _slug(name)
    for attempt in range(1, 10_000):
        unique = slug if attempt == 1 else f"{slug}-{attempt}"
        path = directory / f"{unique}.yaml"
        if path.exists():
            continue
        data = conversation_data(name=unique, leads_before=leads_before, turns=turns)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{directory}: no free file name for {slug!r}")
