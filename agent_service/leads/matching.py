"""Fuzzy lead matching shared by every store backend.

Search runs in two stages: the backend proposes candidates cheaply (rapidfuzz over an
a trigram index of the leads' words on both: FTS5 on SQLite, pg_trgm on Postgres), then `rank` scores them all the same
way, so a query ranks leads identically whatever the backend. Scores are 0-100.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz import fuzz

from agent_service.leads.models import Lead

_NON_WORD = re.compile(r"[^a-z0-9@.]+")
_LONE_DOT = re.compile(r"\.(?![a-z0-9])|(?<![a-z0-9])\.")


def normalize(text: str | None) -> str:
    """Lower-case ASCII with accents removed and punctuation folded to single spaces.

    `François Dupré-Ştefan` → `francois dupre stefan`; e-mail characters `@` and `.` are kept.
    """
    if not text:
        return ""
    folded = _NON_WORD.sub(" ", anyascii(text).lower())
    # A dot is kept only inside a word ("j.smith@acme.com"), not after an initial ("J. Smith").
    return " ".join(_LONE_DOT.sub(" ", folded).split())


def search_keys(name: str, company: str | None, email: str | None) -> dict[str, str]:
    """The normalized texts a lead can be found by (also stored by the Postgres backend)."""
    return dict(_search_keys(name, company, email))


@lru_cache(maxsize=1 << 14)
def _search_keys(name: str, company: str | None, email: str | None) -> tuple[tuple[str, str], ...]:
    # Cached: ranking scores the same leads' keys search after search.
    return tuple(
        {
            "name": normalize(name),
            "company": normalize(company),
            "email": normalize(email),
        }.items()
    )


_TERM_SPLIT = re.compile(r"[ .@]+")
_NON_LETTERS = re.compile(r"[^a-z]+")


def lead_terms(search_name: str, search_company: str, search_email: str) -> list[str]:
    """The terms a lead is indexed by, from its normalized search keys: the words of its name
    and company and the letter runs of its e-mail's local part, longer than one character
    (the same as `lead_search_terms()` in migrations/0002_search.sql), sorted."""
    parts = [
        *_TERM_SPLIT.split(search_name),
        *_TERM_SPLIT.split(search_company),
        *_NON_LETTERS.split(search_email.split("@", 1)[0]),
    ]
    return sorted({t for t in parts if len(t) > 1})


def query_words(query: str) -> tuple[list[str], int]:
    """The words of a normalized query, and how many of them every candidate must match: all,
    or for an e-mail the words of its local part (its domain's words come after them)."""
    local = query.split("@", 1)[0] if "@" in query else query
    words = list(dict.fromkeys(w for w in _TERM_SPLIT.split(local) if w))
    nmatch = len(words)
    if "@" in query:
        domain = query.split("@", 1)[1]
        words += [w for w in dict.fromkeys(_TERM_SPLIT.split(domain)) if w and w not in words]
    return words, nmatch


@dataclass(frozen=True)
class Match:
    """A candidate lead for a search, with its score (0-100) and the field that matched."""

    lead: Lead
    score: float
    field: str


def _email_parts(email: str) -> list[str]:
    local = email.split("@", 1)[0]
    return [email, local, *[p for p in re.split(r"[._+\-]", local) if len(p) > 1]]


def score(query: str, lead: Lead) -> tuple[float, str]:
    """How well the normalized `query` names `lead`: (score 0-100, field that matched)."""
    if not query:
        return 0.0, ""
    keys = search_keys(lead.name, lead.company, lead.email)
    best, field = 0.0, ""

    def consider(value: float, which: str) -> None:
        nonlocal best, field
        if value > best:
            best, field = value, which

    name = keys["name"]
    tokens = name.split()
    consider(fuzz.ratio(query, name), "name")
    # "Francois Dupre" for "François Dupré-Ştefan": every query word is in the name.
    consider(fuzz.token_set_ratio(query, name) * 0.97, "name")
    for token in tokens:
        # First or last name alone: "john", "smith", "micheal" → "michael".
        consider(fuzz.ratio(query, token) * 0.98, "name")
        if len(query) >= 3 and token.startswith(query):
            consider(88.0 + 10 * len(query) / len(token), "name")
    for first, second in zip(tokens, tokens[1:], strict=False):
        # "sunhee" for "Sun-hee Yoon", "alrashid" for "Al-Rashid": a hyphen or space dropped
        consider(fuzz.ratio(query, first + second) * 0.98, "name")
    if keys["company"]:
        company = keys["company"]
        consider(fuzz.ratio(query, company) * 0.95, "company")
        consider(fuzz.token_set_ratio(query, company) * 0.9, "company")
        for token in company.split():
            if len(token) >= 4:  # "Mitsubshi" for "Mitsubishi Heavy"
                consider(fuzz.ratio(query, token) * 0.93, "company")
        stripped = _strip_company_suffix(company)
        if stripped != company:
            consider(fuzz.ratio(query, stripped) * 0.95, "company")
    if keys["email"]:
        for part in _email_parts(keys["email"]):
            consider(fuzz.ratio(query, part) * (1.0 if "@" in part else 0.95), "email")
    return round(min(best, 100.0), 2), field


_COMPANY_SUFFIX = re.compile(r"\s+(inc|ltd|llc|gmbh|sa|sarl|co|corp|corporation|plc|ag|bv)\.?$")


def _strip_company_suffix(company: str) -> str:
    return _COMPANY_SUFFIX.sub("", company)


def rank(text: str, leads: Iterable[Lead], limit: int, min_score: float = 50.0) -> list[Match]:
    """Score `leads` against `text`, best first, at most `limit`, dropping weak ones."""
    query = normalize(text)
    matches = []
    for lead in leads:
        value, field = score(query, lead)
        if value >= min_score:
            matches.append(Match(lead=lead, score=value, field=field))
    matches.sort(key=lambda m: (-m.score, m.lead.name.casefold(), m.lead.id))
    return matches[:limit]
