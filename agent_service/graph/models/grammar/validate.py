"""The last stage of the offline grammar: every value about to be written is checked by its
recognizer, and a write the grammar is not sure of becomes a question, never a guess.

- a new lead needs a name that can be a person's name ("add new lead" → "What is the new
  lead's name?"); a company must look like one ("X Labs, not X" → ask first);
- a note is appended unless the message asks to replace the notes ("replace the notes
  with…", "set her notes to…");
- a rename must be a name; anything else → ask first (`confirm_first`).
"""

from __future__ import annotations

import re
from typing import Any

from agent_service.graph.models.grammar.recognizers import is_company, is_person_name

Call = tuple[str, dict[str, Any]]

ASK_NAME = "What is the new lead's name? Nothing was created yet."

_REPLACE_NOTES = re.compile(
    r"\b(?:replace|overwrite|reset|rewrite|change|set|update|make)\b[^.;]*\bnotes?\b"
    r"(?:[^.;]*\b(?:to|with|as|read|say)\b|\s*:)"
    r"|\bnotes?\s+(?:should|must)\s+(?:be|read|say)\b"
    r"|\b(?:replace|overwrite)\b",
    re.I,
)
_CREATE_INTENT = re.compile(
    r"^(?:(?:pls|please|can you|could you)\s+)?(?:add|create|new|make|log|enter|register|save)"
    r"(?:\s+(?:a|an|the))?(?:\s+new)?\s+(?:lead|contact|prospect|deal|client|customer|person"
    r"|entry|opportunity)\b",
    re.I,
)


def settle(calls: list[Call], message: str) -> tuple[list[Call], str | None]:
    """The calls as they may be written, and a reply when they must not be (then no call)."""
    settled: list[Call] = []
    for name, args in calls:
        args = dict(args)
        if name == "create_lead":
            if not is_person_name(str(args.get("name", ""))):
                return [], ASK_NAME
            if args.get("company") and not is_company(str(args["company"])):
                args["confirm_first"] = True
            if _lone_lowercase_word(str(args["name"]), message):
                args["confirm_first"] = True  # "…, thanks heaps!" is no lead called 'Heaps'
        if name in {"create_lead", "update_lead"} and not _stated(args, message):
            args["confirm_first"] = True  # a contact detail not written as such in the message
        if name == "update_lead":
            if args.get("notes") and _REPLACE_NOTES.search(message):
                args["replace_notes"] = True
            if args.get("name") and not is_person_name(str(args["name"])):
                args["confirm_first"] = True
            if args.get("company") and not is_company(str(args["company"])):
                args["confirm_first"] = True
        settled.append((name, args))
    return settled, None


def _lone_lowercase_word(name: str, message: str) -> bool:
    """A one-word name the user typed in lower case (we capitalised it): too thin to be sure
    it is a person and not a word of the sentence."""
    words = name.split()
    if len(words) != 1:
        return False
    return not re.search(rf"(?<!\w){re.escape(words[0])}(?!\w)", message) and bool(
        re.search(rf"(?<!\w){re.escape(words[0].lower())}(?!\w)", message)
    )


def _stated(args: dict[str, Any], message: str) -> bool:
    """Every e-mail and phone value appears whole in the message (not cut out of a word)."""
    for key in ("email", "phone"):
        value = str(args.get(key) or "")
        if value and not re.search(rf"(?<![\w.+'@-]){re.escape(value)}(?![\w@-])", message, re.I):
            return False
    return True


def missing_name(message: str) -> bool:
    """ "add new lead", "create a contact": a create that names nobody."""
    return bool(_CREATE_INTENT.match(message.strip()))
