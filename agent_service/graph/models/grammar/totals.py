"""Intent: totals, sums and gaps → `find_leads` (the query node adds the total value).

"what's the pipeline worth?", "total in Proposal sent", "how much is in Won?", "sum of the
deals in Meeting booked", "which leads have no phone?", "anyone without an email".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Call = tuple[str, dict[str, Any]]

_WORTH = re.compile(
    r"^(?:what(?:'s|’s| is)?|whats|how much is|how much's)\s+(?:the\s+|my\s+|our\s+)?(?:whole\s+|total\s+|entire\s+)?"
    r"(?:pipeline|board|funnel|book)\s+(?:worth|valued at|value|total)(?:\s+(?:right\s+)?now)?$"
    r"|^(?:the\s+)?(?:total|overall|whole)\s+(?:pipeline|board|funnel)(?:\s+value|\s+worth)?$"
    r"|^(?:the\s+)?(?:pipeline|board)\s+(?:total|value|worth)$"
    r"|^(?:sum|total)(?:\s+value)?\s+of\s+(?:all\s+)?(?:the\s+|my\s+|our\s+)?(?:deals|leads|pipeline|opportunities)$"
    r"|^how much (?:is|are) (?:all )?(?:the |my |our )?(?:deals|leads) worth(?: in total)?$"
    r"|^how much (?:is|are) (?:the\s+)?(?:pipeline|board|funnel) worth(?:\s+(?:right\s+)?now)?$",
    re.I,
)
_STAGE_TOTAL = re.compile(
    r"^(?:what(?:'s| is)\s+)?(?:the\s+)?(?:total|sum|value|total value|combined value)"
    r"(?:\s+(?:of|for))?(?:\s+(?:the\s+)?(?:deals|leads))?\s+(?:in|at|for|of)\s+(?:the\s+)?(?P<s>.+?)$"
    r"|^how much (?:is|are|do we have|have we got|money is)\s+(?:in|at|sitting in)\s+(?:the\s+)?(?P<s2>.+?)$"
    r"|^what(?:'s| is| are)\s+(?:the\s+)?(?P<s3>.+?)\s+(?:deals\s+)?worth(?:\s+in total)?$"
    r"|^how much (?:is|are)\s+(?:everything|all(?: the)?(?: deals| leads)?|the deals|the leads)\s+(?:in|at)\s+(?:the\s+)?(?P<s5>.+?)\s+worth(?:\s+in total)?(?:\s+(?:right\s+)?now)?$"
    r"|^(?:sum|total)\s+(?:up\s+)?(?:the\s+)?(?P<s4>.+?)(?:\s+(?:deals|leads|column|stage))?$",
    re.I,
)
_MISSING = re.compile(
    r"^(?:which|what|who|any|show(?: me)?|list)?\s*(?:leads?|contacts?|ones?|people|deals?|one|anyone|anybody)?\s*"
    r"(?:has|have|with|are|is)?\s*(?:no|without|missing|lacking|not got|got no|don't have an?|dont have an?|doesn't have an?)\s+"
    r"(?:an?\s+|the\s+|any\s+)?(?P<f>e-?mail(?: address)?|phone(?: number)?|number|company|deal value|value|notes?)"
    r"(?:\s+(?:yet|on file|set|listed))?$",
    re.I,
)


# "how much have we closed so far?", "what have we won this year": the Won stage's total.
_WON_TOTAL = re.compile(
    r"^(?:how much|what)\s+(?:have|did)\s+(?:we|i)\s+(?:closed|won|signed|booked)"
    r"(?:\s+(?:so far|in total|this (?:month|quarter|year)|to date))?(?:\s+(?:so far|now))?$",
    re.I,
)


def totals_call(text: str, stage: Callable[[str], str | None]) -> list[Call] | None:
    """The `find_leads` call a question about sums, totals or missing fields asks for."""
    text = text.strip().rstrip("?").strip()
    if _WON_TOTAL.match(text) and stage("Won"):
        return [("find_leads", {"status": stage("Won")})]
    if _WORTH.match(text):
        return [("find_leads", {})]
    missing = _MISSING.match(text)
    if missing:
        field = missing.group("f").lower().replace("e-mail", "email").split()[0]
        field = {"number": "phone", "deal": "value", "note": "notes"}.get(field, field)
        return [("find_leads", {"text": f"no {field}"})]
    match = _STAGE_TOTAL.match(text)
    if match:
        named = next(g for g in match.groups() if g)
        found = stage(re.sub(r"\s+(?:deals?|leads?|opportunities)$", "", named, flags=re.I))
        if found:
            return [("find_leads", {"status": found})]
    return None
