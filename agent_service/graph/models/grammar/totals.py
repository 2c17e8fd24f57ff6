"""Intent: totals, counts and gaps → `find_leads` (the query node adds the total value).

- the open pipeline: "what's the pipeline worth?", "whole pipeline", "open pipeline", "how
  much money is in the funnel rn" → `find_leads(open_only=True)` (every stage but the closed
  ones; the query node says which);
- one stage: "total $ of won deals?", "what's Contacted worth", "total value in Proposal
  sent", "how many in New", "# of leads in won", and the closed stages by their verb: "how
  much did we lose", "how much have we closed" → `find_leads(status=…)`;
- gaps: "who's missing an email?", "which leads don't have a phone number" →
  `find_leads(text="no email")`.

A totals question may come with chatter around it ("this quarter is brutal. whats the total
in proposal sent rn? need it before standup"): the one question is read when no other
sentence asks for anything. Word lists: `lexicon/totals.yaml`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from agent_service.graph.models.grammar.normalize import _clean, _strip_politeness
from agent_service.graph.models.grammar.words import _yaml, stage_words
from agent_service.leads.models import STAGE_SYNONYMS, Pipeline

Call = tuple[str, dict[str, Any]]
Stage = Callable[[str], str | None]


@cache
def _words() -> dict[str, Any]:
    return _yaml("totals.yaml")


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    words = _words()
    verbs = [v for forms in words["closed_verbs"].values() for v in forms]
    return {
        "tail": re.compile(rf"(?:[\s,]+(?:{_alternation(words['tails'])}))+$"),
        "money": re.compile(rf"(?<!\w)(?:{_alternation(words['money'])})(?!\w)"),
        "count": re.compile(rf"(?<!\w)(?:{_alternation(words['count'])})(?!\w)|^#"),
        "closed": re.compile(
            r"^(?:how much|how many(?: deals| leads| of them)?|what)"
            r"(?:\s+(?:money|revenue|business|value|\$|in deals))?\s+"
            r"(?:(?:have|did|has|had|do)\s+(?:we|i|you|the team|they|us)"
            r"|(?:was|is|has been|got|have been|were))\s+"
            r"(?:already\s+|actually\s+|just\s+|ever\s+)?"
            rf"(?P<v>{_alternation(verbs)})$"
        ),
        "requests": re.compile(rf"\b(?:{_alternation(words['requests'])})\b|@|\d{{3}}"),
    }


_LEAD_PREFIX = re.compile(r"^(?:and|so|ok|okay|also|btw|hey|quick q|quick question|oh)\b[,\s]*")
_TOKENS = re.compile(r"[$€£#]|[\w'’]+")
# A stage named with a marker ("in X", "X deals", "X column") may be misspelt; a bare word
# must be a stage or a known name of one ("what's Wong worth" asks about a lead).
_STAGE_MARKED = re.compile(r"\b(?:in|at|of|deals|leads|stage|column|opportunities)\b")
_SINGULAR = re.compile(r"\b(?:deal|lead|one|guy|contact|account|person)\b")
_MISSING = re.compile(
    r"^(?:which|what|who|who's|whos|who is|any|show(?: me)?|list|find|get(?: me)?)?\s*"
    r"(?:leads?|contacts?|ones?|people|deals?|one|anyone|anybody|of them|of my leads"
    r"|of the leads)?\s*"
    r"(?:(?:still|currently|now|right now)\s+)?(?:has|have|with|are|is|got|'s|'re)?\s*"
    r"(?:(?:still|currently)\s+)?"
    r"(?:no|without|missing|lacking|not got|got no|don't have|dont have|doesn't have"
    r"|doesnt have|do not have|does not have|haven't got|hasn't got|has no|have no)\s+"
    r"(?:an?\s+|the\s+|any\s+|their\s+|a valid\s+)?"
    r"(?P<f>e-?mails?(?: address(?:es)?)?|phones?(?: numbers?)?|numbers?|company|companies"
    r"|deal values?|values?|notes?)"
    r"(?:\s+(?:yet|on file|set|listed|in the crm|saved|stored|filled in))?$",
    re.I,
)


def _normal(text: str) -> str:
    text = _strip_politeness(_clean(text)).lower().replace("’", "'")
    text = text.strip().rstrip("?!.").strip()
    previous = None
    while previous != text:
        previous = text
        text = _LEAD_PREFIX.sub("", text).strip()
        text = _patterns()["tail"].sub("", text).strip().rstrip("?!.,").strip()
    return text


def _known_stage_word(text: str, found: str) -> bool:
    key = Pipeline.key(text)
    return (
        key == Pipeline.key(found)
        or key in STAGE_SYNONYMS
        or key in stage_words()
        or key.removesuffix(" deals") in stage_words()
    )


def _closed_stage(text: str, stage: Stage) -> str | None:
    """ "how much did we lose" → Lost, "how much have we closed so far" → Won."""
    match = _patterns()["closed"].match(text)
    if not match:
        return None
    for default, forms in _words()["closed_verbs"].items():
        if match.group("v") in forms:
            return stage(default)
    return None


def _scope(text: str) -> tuple[str, bool]:
    """The words left once the question's own words are dropped, and whether the question
    named its scope with a qualifier ("open", "whole", "total" pipeline)."""
    scaffold = set(_words()["scaffold"])
    qualifiers = set(_words()["open_qualifier"])
    tokens = _TOKENS.findall(text)
    qualified = any(t in qualifiers for t in tokens)
    kept = [t for t in tokens if t not in scaffold and t not in qualifiers - {"open"}]
    return " ".join(kept), qualified


def totals_question(text: str, stage: Stage) -> list[Call] | None:
    """The call one totals/count/gap question (one clause) asks for, or None."""
    text = _normal(text)
    if not text:
        return None
    missing = _MISSING.match(text)
    if missing:
        field = missing.group("f").replace("e-mail", "email").split()[0].rstrip("s")
        field = {"number": "phone", "deal": "value", "note": "notes", "compani": "company"}.get(
            field, field
        )
        field = "company" if field.startswith("compan") else field
        return [("find_leads", {"text": f"no {field}"})]
    closed = _closed_stage(text, stage)
    if closed:
        return [("find_leads", {"status": closed})]
    money = bool(_patterns()["money"].search(text))
    count = bool(_patterns()["count"].search(text))
    rest, qualified = _scope(text)
    open_scope = set(_words()["open_scope"])
    if rest in open_scope and (money or qualified) and (rest != "open" or qualified or money):
        if rest in {"everything", "all"} and not money:
            return None
        return [("find_leads", {"open_only": True})]
    if money and not rest and re.search(r"\b(?:all|everything|deals|leads|opportunities)\b", text):
        return [("find_leads", {"open_only": True})]  # "sum of all deals"
    if not (money or count) or not rest or _SINGULAR.search(rest):
        return None
    found = stage(rest)
    if found and (_known_stage_word(rest, found) or _STAGE_MARKED.search(text)):
        return [("find_leads", {"status": found})]
    return None


def _asks_for_something(sentence: str, asks: Callable[[str], bool] | None) -> bool:
    """A sentence beside a totals question that holds a request of its own: a request word,
    or (with the parser's `asks`) any call ("Tom signed. what's the pipeline worth?")."""
    if _patterns()["requests"].search(sentence.lower()):
        return True
    return asks is not None and asks(sentence)


def totals_call(
    text: str, stage: Stage, asks: Callable[[str], bool] | None = None
) -> list[Call] | None:
    """The `find_leads` call a question about sums, counts or missing fields asks for.

    `asks` tells whether a sentence requests anything (the parser's `_asks_something`); by
    default it is taken from the parser `stage` is a method of."""
    found = totals_question(text, stage)
    if found:
        return found
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]
    if len(sentences) < 2:
        return None
    asked = [(s, totals_question(s, stage)) for s in sentences]
    calls = [call for _, call in asked if call]
    others = [s for s, call in asked if not call]
    asks = asks or getattr(getattr(stage, "__self__", None), "_asks_something", None)
    if len(calls) == 1 and not any(_asks_for_something(s, asks) for s in others):
        return calls[0]
    return None
