"""lead_matcher: resolves the head operation's lead reference to one stored lead.

Reads: `queue[0]` (its `lead` argument), `focus` (leads the conversation touched or listed).
Writes: `queue[0].lead_id` when one lead clearly matches; otherwise an outcome saying no lead
was found (with the closest names) or a `pending` clarification listing the candidates.
Order: exact id → pronouns and "that lead" → exact name/email → fuzzy search; for
`lead_history` last the leads deleted recently (their history is still in the change log).
"""

from __future__ import annotations

import re
from typing import Any

from langgraph.runtime import Runtime

from agent_service.errors import LeadNotFound
from agent_service.graph.context import Context, get_context
from agent_service.graph.models.grammar.recognizers import TITLE
from agent_service.graph.nodes.common import finish, head
from agent_service.graph.state import Operation, State
from agent_service.leads.matching import Match, normalize, rank
from agent_service.leads.models import Lead, LeadChange
from agent_service.leads.store import LeadStore

# Operations that carry no lead reference, or carry it optionally.
NO_LEAD = {"create_lead", "undo"}
ACCEPT = 75.0  # below this a candidate is not a match
CLEAR_GAP = 8.0  # a fuzzy winner must beat the runner-up by this much
MAX_CHOICES = 5

_PRONOUN = re.compile(
    r"^(him|her|them|it|he|she|they|his|hers|their|this|that|"
    r"(this|that|the|same)( same)? (one|lead|guy|person|contact|client|customer|prospect)|"
    r"the same|same one|the last one|the last lead)$"
)
_FILLER = re.compile(r"^(the|lead|leads|a|an|for|of|from|at|with)\s+|\s+(lead|deal|account)$")


_QUALIFIED = re.compile(
    r"^(?P<who>.+?)\s+(?:from|at|of|with|@|who works at|working at)\s+(?P<where>.+)$"
    r"|^(?P<who2>.+?)\s*\((?P<where2>[^)]+)\)$",
    re.I,
)


# Lead ids are opaque tokens (12 hex characters when the store makes them): one word with a
# digit. Names never look like that, so they skip the id lookup.
_ID = re.compile(r"^(?=[\w-]*\d)[\w-]{4,64}$")


def is_pronoun(reference: str) -> bool:
    return bool(_PRONOUN.match(normalize(reference)))


def clean_reference(reference: str) -> str:
    """`the Acme lead` → `Acme`; keeps emails and names as they are."""
    text = reference.strip().strip("'\"")
    previous = None
    while previous != text:
        previous = text
        text = _FILLER.sub("", text.strip(), count=1)
    text = re.sub(r"'s$", "", text)
    text = TITLE.sub("", text)  # "Mr. Park": a title is no part of the stored name
    return text.strip() or reference.strip()


def _tier(query: str, match: Match) -> int:
    """3: the whole name or email; 2: a whole first/last name or the company; 1: fuzzy."""
    lead = match.lead
    name = normalize(lead.name)
    if query in {name, normalize(lead.email)}:
        return 3
    company = normalize(lead.company)
    if query in name.split() or (company and query in {company, company.split()[0]}):
        return 2
    return 1


def names_someone_else(query: str, lead: Lead) -> bool:
    """A query word that extends a name word by 2+ letters ("Martina" for "Martin",
    "Kellerman" for "Keller") names another person, not a typo of this one."""
    tokens = normalize(lead.name).split()
    joined = {a + b for a, b in zip(tokens, tokens[1:], strict=False)}  # "sunhee": Sun-hee
    return any(
        word.startswith(token) and len(word) - len(token) >= 2
        for word in query.split()
        for token in tokens
        if word not in tokens and word not in joined
    )


def pick(reference: str, matches: list[Match]) -> tuple[Lead | None, list[Lead]]:
    """(the one clear winner, or None with the close candidates to ask about)."""
    query = normalize(reference)
    good = [m for m in matches if m.score >= ACCEPT]
    if not good:
        return None, []
    tiers = [(_tier(query, m), m) for m in good]
    best_tier = max(t for t, _ in tiers)
    if best_tier >= 2:
        top = [m for t, m in tiers if t == best_tier]
        if len(top) == 1:
            return top[0].lead, []
        return None, [m.lead for m in top][:MAX_CHOICES]
    good = [m for m in good if not names_someone_else(query, m.lead)]
    if not good:
        return None, []
    first = good[0]
    close = [m for m in good if first.score - m.score < CLEAR_GAP]
    if len(close) == 1:
        return first.lead, []
    return None, [m.lead for m in close][:MAX_CHOICES]


def choices_for(leads: list[Lead]) -> list[dict[str, str]]:
    return [{"lead_id": lead.id, "label": lead.label} for lead in leads]


def clarification(reference: str, leads: list[Lead], op: Operation) -> dict[str, Any]:
    # Oldest first, as they were added to the board: "the second one" is the later lead.
    leads = sorted(leads, key=lambda lead: (lead.created_at, lead.name.casefold()))
    listed = "; ".join(f"{i}. {lead.label}" for i, lead in enumerate(leads, 1))
    return {
        "needs": "clarification",
        "question": f"Which lead do you mean by '{reference}'? {listed}. Reply with a name or number.",
        "choices": choices_for(leads),
        "call_id": op["call_id"],
    }


def not_found_line(reference: str, matches: list[Match]) -> str:
    line = f"I couldn't find a lead matching '{reference}'."
    near = [m.lead.name for m in matches[:3]]
    if near:
        line += " Closest matches: " + ", ".join(near) + "."
    return line


def _focus_leads(store: LeadStore, focus: list[str]) -> list[Lead]:
    leads = []
    for lead_id in focus:
        try:
            leads.append(store.get(lead_id))
        except LeadNotFound:
            continue
    return leads


def lead_matcher(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Resolve `queue[0]`'s lead, or explain why it cannot be resolved."""
    op = head(state)
    reference = (op.get("args") or {}).get("lead")
    if op["tool"] in NO_LEAD or op.get("lead_id") or not reference:
        return {}
    store = get_context(runtime).store
    if _ID.match(reference.strip()):
        try:
            return _resolved(state, op, store.get(reference.strip()))
        except LeadNotFound:
            pass
    if is_pronoun(reference):
        group = state.get("focus_group", 1)
        focus = _focus_leads(store, state.get("focus", [])[: max(group, 1)])
        if not focus:
            return finish(state, op, "I'm not sure which lead you mean; please name it.")
        if len(focus) > 1:  # "move her to Won" right after a listing of several leads
            return {"pending": clarification(reference, focus, op)}
        return _resolved(state, op, focus[0])
    cleaned = clean_reference(reference)
    matches = store.search(cleaned, limit=8)
    if not any(m.score >= ACCEPT for m in matches):
        matches = _with_swapped_letters(store, cleaned) or matches
    lead, candidates = pick(cleaned, matches)
    if lead is None:
        narrowed = qualified(store, cleaned)
        if narrowed is not None:
            lead, candidates = narrowed
    if lead is not None:
        return _resolved(state, op, lead)
    if candidates:
        return {"pending": clarification(cleaned, candidates, op)}
    if op["tool"] == "lead_history":  # "who deleted John?": the lead may be gone
        gone, candidates = pick(cleaned, rank(cleaned, deleted_leads(store), limit=8))
        if gone is not None:
            return _resolved(state, op, gone)
        if candidates:
            return {"pending": clarification(cleaned, candidates, op)}
    return finish(state, op, not_found_line(cleaned, matches))


def _with_swapped_letters(store: LeadStore, reference: str) -> list[Match]:
    """ "rahsid" for Rashid: two letters typed the wrong way round share too few trigrams for
    the store's search to propose the lead, so each such spelling is searched for, and the
    leads found are ranked against what was typed (at most two words, 4-12 letters each)."""
    words = normalize(reference).split()
    if not 1 <= len(words) <= 2 or "@" in reference:
        return []
    found: dict[str, Lead] = {}
    for index, word in enumerate(words):
        if not 4 <= len(word) <= 12 or not word.isalpha():
            continue
        for i in range(len(word) - 1):
            if word[i] == word[i + 1]:
                continue
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            query = " ".join([*words[:index], swapped, *words[index + 1 :]])
            for match in store.search(query, limit=3):
                found.setdefault(match.lead.id, match.lead)
    return rank(reference, found.values(), limit=8)


def deleted_leads(store: LeadStore, scanned: int = 500) -> list[Lead]:
    """Leads deleted (and not restored) among the log's latest `scanned` changes, as they were."""
    newest: dict[str, LeadChange] = {}
    for change in store.changes(newest_first=True, limit=scanned):
        newest.setdefault(change.lead_id, change)
    return [
        Lead.model_validate(change.before)
        for change in newest.values()
        if change.op == "delete" and change.before is not None
    ]


def qualified(store: LeadStore, reference: str) -> tuple[Lead | None, list[Lead]] | None:
    """ "John from Acme", "Sarah (TechCorp)": the name narrowed to leads of that company/email."""
    match = _QUALIFIED.match(reference)
    if not match:
        return None
    who = clean_reference(match.group("who") or match.group("who2"))
    where = normalize(match.group("where") or match.group("where2"))
    if not who or not where:
        return None
    found = [
        m
        for m in store.search(who, limit=20)
        if where in normalize(m.lead.company) or where in normalize(m.lead.email)
    ]
    if not found:
        return None
    return pick(who, found)


def _resolved(state: State, op: Operation, lead: Lead) -> dict[str, Any]:
    queue = [{**op, "lead_id": lead.id}, *state["queue"][1:]]
    return {"queue": queue}
