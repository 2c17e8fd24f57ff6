"""The last stage of the offline grammar: every value about to be written is checked by its
recognizer, and a write the grammar is not sure of becomes a question, never a guess.

- a new lead's name must be a person's name ("add new lead" → "What is the new lead's
  name?"); a create that describes the lead but names nobody ("new lead at Helios Solar,
  25k deal") is a `create_lead` without a name: the create node shows it and asks for the
  name (`nameless_create`); a company must look like one ("X Labs, not X" → ask first);
- a note is appended unless the message asks to replace the notes ("replace the notes
  with…", "set her notes to…");
- a rename must be a name; anything else → ask first (`confirm_first`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Protocol

from agent_service.graph.models.grammar.normalize import _clean, _strip_politeness
from agent_service.graph.models.grammar.recognizers import (
    is_company,
    is_person_name,
    looks_like_company,
)
from agent_service.graph.models.grammar.vocabulary import _EMAIL, _PHONE

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
    creates = any(n == "create_lead" for n, _ in calls)
    nameless = None if creates else nameless_create(message, _default_reader())
    if nameless:  # "add a lead from Stripe, email …" misread as an update or a listing
        calls = [nameless]
    settled: list[Call] = []
    for name, args in calls:
        args = dict(args)
        if name == "create_lead":
            if not args.get("name") and _described(args):
                pass  # the create node shows the lead and asks for the name
            elif not is_person_name(str(args.get("name", ""))):
                return [], ASK_NAME
            if args.get("company") and not is_company(str(args["company"])):
                args["confirm_first"] = True
            if args.get("name") and _lone_lowercase_word(str(args["name"]), message):
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


class FieldReader(Protocol):
    """The create grammar's field reader (`CreateIntents._lead_fields` of a parser)."""

    def _lead_fields(self, text: str) -> dict[str, Any] | None: ...


# "new lead at Helios Solar", "add a lead from Stripe, email …", "create a contact with email
# …", "new lead: Globex Inc, 30k": a create whose description starts with a detail, not a name.
_NAMELESS = re.compile(
    r"^(?:(?:pls|please|can you|could you)\s+)?(?:add|create|new|make|log|enter|register|save"
    r"|insert|record|capture|open|set up)(?:\s+(?:a|an|the))?(?:\s+new)?\s+(?:lead|contact"
    r"|prospect|deal|client|customer|person|entry|opportunity|record|card)\b(?:\s+for\s+(?:me|us)\b)?"
    # "add deal value 5k for Sarah", "add contact email to Tom": a field of a lead, no create
    r"(?!\s*(?:value|size|amount|number|e-?mail|phone|info|details|name|notes?|stage|status"
    r"|owner|person|'s|’s)\b)"
    r"\s*[:,\-—]?\s*(?P<rest>.*)$",
    re.I,
)
_DETAIL_FIRST = re.compile(
    r"^(?:(?:from|at|with|of|@|who works (?:at|for)|working (?:at|for)|works (?:at|for))\s+"
    r"|(?:company|e-?mail|email address|phone|phone number|tel|mobile|cell|value|worth|valued at"
    r"|deal value|budget|notes?)\b)",
    re.I,
)
# A sentinel name: the create grammar places every other value around it, then it is dropped.
_PLACEHOLDER = "Zzyzx Placeholder"


def nameless_create(message: str, reader: FieldReader) -> Call | None:
    """The `create_lead` call of a create request that starts with a detail of the new lead
    (a company, an email, a value…): without a name when it names nobody, with the name when
    one follows the details ("new contact at Acme: Jane Roe, jane@acme.com"); None for
    anything else."""
    text = _strip_politeness(_clean(message))
    match = _NAMELESS.match(text)
    if not match:
        return None
    rest = " ".join(
        re.sub(
            r"(?<![\w@.])(?:please|pls|plz|kindly)(?![\w@])", " ", match.group("rest"), flags=re.I
        ).split()
    )
    first = re.split(r"[,;(]", rest, maxsplit=1)[0].strip()
    if not rest or _PLACEHOLDER.split()[0].lower() in rest.lower():
        return None
    if _DETAIL_FIRST.match(rest):
        described = f"{_PLACEHOLDER} {rest}"
    elif (
        _EMAIL.fullmatch(first)
        or _PHONE.fullmatch(first)
        or re.fullmatch(r"[$€£]?\s*\d[\d,.]*\s*(?:k|m|grand)?", first, re.I)
    ):
        described = f"{_PLACEHOLDER}, {rest}"
    elif looks_like_company(first) and not is_person_name(first):
        described = f"{_PLACEHOLDER}, {rest}"  # "new lead: Globex Inc, 30k"
    else:
        return None
    named = reader._lead_fields(re.sub(r"\s*:\s+|\s+(?:called|named)\s+", ", ", rest))
    name = str((named or {}).get("name", ""))
    typed = name in text or re.search(rf"\b(?:called|named)\s+{re.escape(name)}\b", text, re.I)
    if named and is_person_name(name) and typed and _described(named):
        return ("create_lead", named)  # the name came after the details, typed as a name
    fields = reader._lead_fields(described)
    if not fields or fields.get("name") != _PLACEHOLDER:
        return None
    fields = {k: v for k, v in fields.items() if k != "name"}
    return ("create_lead", fields) if _described(fields) else None


def _described(args: dict[str, Any]) -> bool:
    """A new lead with at least one detail besides its stage."""
    return any(args.get(k) not in (None, "") for k in ("company", "email", "phone", "value"))


@cache
def _default_reader() -> FieldReader:
    """A parser of the default pipeline, to read the fields of a create the grammar misread
    (imported here: the parser itself imports this module)."""
    from agent_service.graph.models.commands import CommandParser
    from agent_service.settings import DEFAULT_STAGES

    return CommandParser(DEFAULT_STAGES)
