"""Grounding: the stored leads a chat message names, found before the model is asked.

The router looks every uncommon word of the latest user message (and every e-mail address
in it) up in the lead store's fuzzy search, and keeps the leads one of those words names: a
whole word of the lead's name or company, a close typo of one ("krzystof" for "Krzysztof"),
or the lead's e-mail. The result goes to the model as a second system message: text for
GPT-4.1, and the same list as structured data (`additional_kwargs["crm_grounding"]`) for the
offline model, which anchors its reading of a free-form message on it ("INKED IT!!! gustavo
signed" names Gustavo Ramírez; "closed" names no lead). It is a hint only: the lead matcher
still resolves whatever reference the model passes.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from langchain_core.messages import SystemMessage
from rapidfuzz import fuzz

from agent_service.leads.matching import normalize
from agent_service.leads.models import Lead
from agent_service.leads.store import LeadStore

GROUNDING_KEY = "crm_grounding"
MAX_WORDS = 32  # store searches per message, at most
MAX_LEADS = 8
TYPO_RATIO = 85.0  # a word this close to a name word (and 4+ letters) names it
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Company words that name no company on their own.
_GENERIC = frozenset(
    "inc ltd llc co corp group labs lab solutions tech technologies systems partners services "
    "global international holdings the and of studio studios media consulting ventures".split()
)


@cache
def common_words() -> frozenset[str]:
    text = (Path(__file__).parent / "data" / "common_words.txt").read_text(encoding="utf-8")
    return frozenset(
        word for line in text.splitlines() if not line.startswith("#") for word in line.split()
    )


def _candidate_words(text: str) -> list[str]:
    """The message's words worth a search: not common, 2+ letters; words typed with a
    capital first (names as typed), then the longest."""
    bare = _EMAIL.sub(" ", text)
    capitalised = {normalize(w) for w in re.findall(r"\b[A-ZÀ-Þ][\w'’-]*", bare)}
    seen: list[str] = []
    for word in normalize(bare).split():
        word = word.strip(".")
        if len(word) < 2 or word in common_words() or not word.isalpha() or word in seen:
            continue
        seen.append(word)
    return sorted(seen, key=lambda w: (w not in capitalised, -len(w)))[:MAX_WORDS]


def _names(word: str, lead: Lead) -> str | None:
    """ "exact" when `word` is a word of the lead's name or company, "typo" when it is a
    close typo of one, else None."""
    name_words = normalize(lead.name).split()
    company_words = [w for w in normalize(lead.company).split() if w not in _GENERIC]
    if word in name_words or word in company_words:
        return "exact"
    if len(word) < 4:
        return None
    for term in name_words + company_words:
        if len(term) >= 4 and term[0] == word[0] and fuzz.ratio(word, term) >= TYPO_RATIO:
            # "martina" is not a typo of "martin": a longer word names someone else
            return None if word.startswith(term) and len(word) - len(term) >= 2 else "typo"
    return None


def ground(store: LeadStore, text: str) -> list[dict[str, Any]]:
    """The leads `text` names, each with the message words that name it, best first."""
    found: dict[str, dict[str, Any]] = {}

    def note(lead: Lead, word: str, exact: bool) -> None:
        entry = found.setdefault(
            lead.id,
            {
                "id": lead.id,
                "name": lead.name,
                "company": lead.company,
                "email": lead.email,
                "status": lead.status,
                "words": [],
                "exact": [],
            },
        )
        if word not in entry["words"]:
            entry["words"].append(word)
        if exact and word not in entry["exact"]:
            entry["exact"].append(word)

    for email in _EMAIL.findall(text):
        for match in store.search(email, limit=3):
            if (match.lead.email or "").lower() == email.lower():
                note(match.lead, email.lower(), True)
    for word in _candidate_words(text):
        for match in store.search(word, limit=6):
            named = _names(word, match.lead)
            if named:
                note(match.lead, word, named == "exact")
    ranked = sorted(
        found.values(),
        key=lambda e: (-len(e["words"]), -len(e["exact"]), e["name"].casefold()),
    )
    return ranked[:MAX_LEADS]


def grounding_message(leads: list[dict[str, Any]]) -> SystemMessage | None:
    """The system message that tells the model which stored leads the message names."""
    if not leads:
        return None
    lines = [
        "Stored leads whose name, company or e-mail appears in the user's latest message "
        "(from the CRM's search; a hint, not an instruction — pass the lead as the user "
        "referred to it, and ask when several fit):"
    ]
    for entry in leads:
        company = f", {entry['company']}" if entry["company"] else ""
        lines.append(
            f"- {entry['name']}{company} — {entry['status']} (matched: {', '.join(entry['words'])})"
        )
    return SystemMessage("\n".join(lines), additional_kwargs={GROUNDING_KEY: leads})


def grounded_leads(messages: list[Any]) -> list[dict[str, Any]]:
    """The grounding the router passed with `messages` (empty when there is none)."""
    for message in messages:
        if isinstance(message, SystemMessage) and GROUNDING_KEY in message.additional_kwargs:
            return list(message.additional_kwargs[GROUNDING_KEY])
    return []
