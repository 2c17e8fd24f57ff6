"""Words and phrasings the grammar reads with: small talk, field names, pronouns, the
verbs a clause may borrow, and the refusals (`Refusal`, bulk requests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from agent_service.graph.models.grammar.recognizers import (
    EMAIL,
    PHONE,
)

_GRAMMAR_WORDS = yaml.safe_load(
    (Path(__file__).with_name("lexicon") / "grammar_words.yaml").read_text(encoding="utf-8")
)
Call = tuple[str, dict[str, Any]]


@dataclass
class Parsed:
    """The calls a message asks for, or the reply to a message that asks for none."""

    calls: list[Call] = field(default_factory=list)
    reply: str | None = None


HELP = (
    "I can add, update, move, delete and look up leads, and undo the last change. "
    "For example: 'Move John to Meeting booked' or 'Add new lead Sarah from TechCorp'."
)


NOT_UNDERSTOOD = (
    "I couldn't understand that request; nothing was changed. "
    "Try for example 'Move John to Meeting booked'."
)


BULK = "I change leads one at a time; please name the lead."


_SMALL_TALK: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"^(hi|hello|hey|hiya|howdy|yo|greetings|good (morning|afternoon|evening|day))"
            r"( there| team| all| bot| assistant)?$"
        ),
        "Hello. How can I help with your leads?",
    ),
    (
        re.compile(
            r"^((thanks|thank you|thx|ty|cheers|much appreciated|appreciate it)"
            r"( (so|very) much| a lot| again| mate| buddy)?|great,? thanks|ok,? thanks"
            r"|perfect,? thanks|awesome,? thanks|nice,? thanks|cool,? thanks)$"
        ),
        "You're welcome.",
    ),
    (
        re.compile(r"^(bye|goodbye|see you|see ya|cya|later|have a (good|nice) (day|one))$"),
        "Goodbye.",
    ),
    (
        re.compile(
            r"^(help|what can you do|how does this work|what do you do|who are you"
            r"|what are you|how do i use (this|you)|commands|options|\?)$"
        ),
        HELP,
    ),
    (
        re.compile(r"^(how are you|how's it going|how are things|what's up|sup|wassup)$"),
        "I'm ready to help with your leads.",
    ),
    (
        re.compile(
            r"^(ok|okay|k|cool|great|nice|perfect|awesome|got it|good|fine|alright|all right"
            r"|sounds good|noted|understood|excellent|wonderful|brilliant|lol|haha|:\)|👍)$"
        ),
        "Understood.",
    ),
    (
        re.compile(r"^(yes|yeah|yep|sure|no|nope|nah|y|n|confirm|cancel)$"),
        "There is nothing waiting for an answer right now.",
    ),
]


_FIELD_WORDS = {
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "mail": "email",
    "mail address": "email",
    "phone": "phone",
    "phone number": "phone",
    "number": "phone",
    "telephone": "phone",
    "tel": "phone",
    "cell": "phone",
    "cell number": "phone",
    "mobile": "phone",
    "mobile number": "phone",
    "company": "company",
    "company name": "company",
    "employer": "company",
    "firm": "company",
    "organisation": "company",
    "organization": "company",
    "org": "company",
    "name": "name",
    "full name": "name",
    "value": "value",
    "deal value": "value",
    "deal size": "value",
    "deal amount": "value",
    "amount": "value",
    "worth": "value",
    "budget": "value",
    "note": "notes",
    "notes": "notes",
    "status": "status",
    "stage": "status",
}


_FIELD = "|".join(sorted((re.escape(w) for w in _FIELD_WORDS), key=len, reverse=True))


_UPDATE_FIELD = "|".join(
    sorted((re.escape(w) for w, f in _FIELD_WORDS.items() if f != "status"), key=len, reverse=True)
)


_PRONOUN_OWNER = {
    "his": "him",
    "her": "her",
    "their": "them",
    "its": "it",
    "the": "that lead",
    "this": "that lead",
    "that": "that lead",
    "the lead's": "that lead",
}


_OWNER = r"(?:his|her|their|its|the|this|that)"


_EMAIL = EMAIL


_PHONE = PHONE


_BULK = re.compile(r"^(?:all|every|everyone|everybody|each)\b", re.I)


_ALL = re.compile(
    r"^(all|all (the |my |our )?leads|every lead|everyone|everybody|all of them|them all"
    r"|the whole (pipeline|board|list)|everything)$",
    re.I,
)


_LIST_NOUN = (
    r"(?:leads?|deals?|contacts?|people|prospects?|customers?|clients?|opportunities|"
    r"opps|accounts?|folks|ones|guys)"
)


_TAIL = r"(?:\s+(?:stage|column|status|phase|bucket|list|pile))?(?:\s+(?:right now|now|currently|at the moment|today))?"


_WHEN = {
    "for",
    "on",
    "next",
    "tomorrow",
    "today",
    "tonight",
    "this",
    "at",
    "by",
    "from",
    "after",
    "before",
    "until",
    "asap",
    "now",
    "yesterday",
    "already",
    "-",
    "—",
}


class _Bulk(Exception):
    """The message asks to change every lead at once."""


class Refusal(Exception):
    """The message asks for a write with a value no recognizer accepts (a range of
    amounts…): the reply says why and nothing is written."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


# The verb a clause without one borrows from the clause before ("move Ann to Won and Bob to Lost").
_CARRY_VERBS = _GRAMMAR_WORDS["carry_verbs"]


_LEAD_TOOLS = {"update_lead", "change_status", "delete_lead"}


# First words that make "<words> email" a request rather than "<name> email?"
_QUERY_SKIP = frozenset(_GRAMMAR_WORDS["query_skip"])


# A clause with a verb of its own ("he is a duplicate") never borrows the previous clause's.
_STATEMENT = re.compile(r"\b(?:is|are|was|were|has|have|had|he|she|they|it|i|we)\b", re.I)


_ACTION_VERBS = frozenset(_GRAMMAR_WORDS["action_verbs"])


_PRONOUNS = {"him", "her", "them", "it", "he", "she", "they", "that lead", "this lead", "that one"}


_NOT_NAMES = frozenset(_GRAMMAR_WORDS["not_names_in_references"])
