"""Intent: questions about the change log → `lead_history(lead, since)`.

"what changed today?", "any changes yesterday", "what happened this week", "who moved John?",
"who changed the Acme lead", "history of the Acme lead", "John's history".
"""

from __future__ import annotations

import re
from typing import Any

Call = tuple[str, dict[str, Any]]

_SINCE = (
    (re.compile(r"\b(?:today|this morning|this afternoon|so far)\b", re.I), "today"),
    (re.compile(r"\byesterday\b", re.I), "yesterday"),
    (re.compile(r"\b(?:this|last|past)\s+(?:week|7 days)\b|\bweek\b", re.I), "week"),
)
_WHEN = r"(?:\s+(?:today|yesterday|this morning|this afternoon|so far|(?:this|last|past) week|recently|lately))?"
_OVERALL = re.compile(
    rf"^(?:what(?:'s| has| have)?|which leads?|anything|any)\s+(?:changed|been changed|changes|"
    rf"happened|new|updates?|moved|been updated)(?:\s+(?:on|in)\s+(?:the\s+)?(?:board|crm|pipeline))?{_WHEN}$"
    rf"|^(?:show|list|give)(?: me)?\s+(?:the\s+)?(?:recent|latest|last|today's|todays)?\s*(?:changes|activity|history|log|updates)"
    rf"(?:\s+(?:on|in)\s+(?:the\s+)?(?:board|crm|pipeline))?{_WHEN}$"
    rf"|^(?:recent|latest|today's|todays)\s+(?:changes|activity|updates)$"
    rf"|^(?:what did (?:i|we|everyone|the team) (?:change|do|update))(?:\s+today|\s+yesterday)?$",
    re.I,
)
_WHO = re.compile(
    r"^who\s+(?:moved|changed|updated|edited|touched|modified|deleted|added|created|renamed)"
    rf"\s+(?P<ref>.+?){_WHEN}$",
    re.I,
)
_OF = re.compile(
    rf"^(?:(?:show|give|get)(?: me)?\s+)?(?:the\s+)?(?:history|changes|change log|log|activity|audit trail)"
    rf"\s+(?:of|for|on|to)\s+(?P<ref>.+?){_WHEN}$"
    rf"|^(?:(?:show|give|get)(?: me)?\s+)?(?P<ref2>.+?)(?:'s|’s)\s+(?:history|changes|change log|activity){_WHEN}$"
    rf"|^what (?:changed|happened) (?:to|with|on) (?P<ref3>.+?){_WHEN}$",
    re.I,
)


def _since(text: str) -> str | None:
    for pattern, since in _SINCE:
        if pattern.search(text):
            return since
    return None


def _ref(text: str) -> str:
    text = re.sub(r"^(?:the|lead|contact)\s+", "", text.strip(), flags=re.I)
    return re.sub(r"\s+(?:lead|deal|account)$", "", text, flags=re.I).strip()


def history_call(clause: str, offered: bool = True) -> list[Call] | None:
    """The `lead_history` call `clause` asks for, or None."""
    if not offered:
        return None
    text = clause.strip().rstrip("?").strip()
    if _OVERALL.match(text):
        return [("lead_history", {"lead": None, "since": _since(text)})]
    match = _WHO.match(text) or _OF.match(text)
    if match:
        ref = next(g for g in match.groups() if g)
        return [("lead_history", {"lead": _ref(ref), "since": _since(text)})]
    return None
