"""Stage 2, clauses: a message cut into requests ("move Ann to Won and Bob to Lost"),
chatter clauses kept as context, a verb carried to the next clause, calls tidied.
"""

from __future__ import annotations

import re
from typing import Any

from agent_service.graph.models.grammar.normalize import _clean, _strip_politeness
from agent_service.graph.models.grammar.recognizers import is_person_name
from agent_service.graph.models.grammar.vocabulary import (
    _ACTION_VERBS,
    _CARRY_VERBS,
    _EMAIL,
    _LEAD_TOOLS,
    _NOT_NAMES,
    _PHONE,
    _PRONOUNS,
    _STATEMENT,
    Call,
    _Bulk,
)
from agent_service.graph.models.grammar.words import glue


def _completes_create(found: list[Call], created: dict[str, Any]) -> bool:
    """After "I met Lucy Gray from Finch": "add her as a lead" repeats the request, and a
    bare "lucy@finch.ai" is her email. Fold such clauses into the new lead."""
    if len(found) != 1:
        return False
    name, args = found[0]
    if name == "create_lead" and _is_pronoun(str(args.get("name", ""))) and len(args) == 1:
        return True
    if name == "find_leads" and set(args) == {"lead"} and _EMAIL.fullmatch(args["lead"]):
        created.setdefault("email", args["lead"])
        return True
    return False


def _each(reference: str) -> list[str]:
    """ "Ann and Bob", "Ann, Bob & Carl" → each lead; a single reference stays whole."""
    parts = [p.strip() for p in re.split(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*", reference)]
    parts = [p for p in parts if p]
    if len(parts) < 2 or any(len(p.split()) > 4 or _STATEMENT.search(p) for p in parts):
        return [reference]  # "John Smith, he is a duplicate" is one lead and a remark
    if any(re.match(r"(?:some|a|an|another|any|no|one|to)\s", p, re.I) for p in parts):
        return [reference]  # "him to a competitor, some cheaper agency": a remark, no list
    return parts


def _is_pronoun(reference: str) -> bool:
    return reference.strip().lower() in _PRONOUNS


def _mentioned_lead(clause: str) -> str | None:
    """The lead a context clause is about: "Laura's number is dead" → Laura."""
    the_lead = re.search(r"\bthe\s+(?P<n>[\w&.' -]+?)\s+(?:lead|deal|account)\b", clause, re.I)
    if the_lead:
        return the_lead.group("n")
    for match in re.finditer(r"\b[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2}", clause):
        if re.search(
            r"\b(?:a|an|the|his|her|their|our|my|your)\s+(?:[\w-]+\s+)?$",
            clause[: match.start()],
            re.I,
        ):
            continue  # "a huge Bulls fan", "the Marriott": a thing, not the lead
        words = [w for w in re.split(r"\s+", match.group(0)) if w]
        while words and words[0].lower().strip("'’") in _NOT_NAMES:
            words.pop(0)
        name = re.sub(r"(?:'s|’s)$", "", " ".join(words))
        if name and name.lower() not in _NOT_NAMES:
            return name
    return _lower_case_mention(clause)


# Where a lead typed in lower case is named in chatter: after a verb of meeting or talking
# ("ran into grace obi", "the call with henrik larsen", "chatting with thabo"), or as the
# subject of a remark ("viktor ivanov is totally dead", "tessa went quiet").
_MENTION_AFTER = re.compile(
    r"\b(?:with|w/|into|met|called|emailed|texted|pinged|spoke to|talked to"
    r"|heard from|heard back from)\s+(?P<n>[a-z][\w'’-]+(?:\s+[a-z][\w'’-]+)?)",
)
_MENTION_SUBJECT = re.compile(
    r"(?:^|\b(?:so|and|but|then|anyway)\s+)(?P<n>[a-z][\w'’-]+(?:\s+[a-z][\w'’-]+)?)\s+(?:is|was|went|has|had|said|says|told|asked"
    r"|wants|needs|replied|called|emailed|texted|seems|sounds|just|finally|got|will|switched"
    r"|moved|left|joined|changed|came|confirmed|agreed|responded|got back|wrote|rang|phoned"
    r"|signed|accepted|decided)\b",
)


_NOT_MENTIONS = frozenset(
    "went well back about really again over up out off down earlier later like went gone came"
    " them everyone someone somebody people team boss which that this it what who honestly"
    " actually basically literally totally apparently probably obviously seriously frankly"
    " everything nothing anything something finally already also still never eventually".split()
)


def _not_a_name(word: str) -> bool:
    word = word.lower()
    return word in _NOT_NAMES or word in glue() or word in _NOT_MENTIONS


def _lower_case_mention(clause: str) -> str | None:
    """A person named in lower case in a context clause, or None."""
    clause = " ".join(re.sub(r"\([^)]*\)", " ", clause).split())  # "harriet (the CFO) …"
    clause = re.sub(
        r"^(?:(?:so|and|but|well|ok|okay|anyway|anyways|btw|also)\b[,\s]*)+", "", clause
    )
    for pattern in (_MENTION_SUBJECT, _MENTION_AFTER):
        match = pattern.search(clause)
        if not match:
            continue
        words = match.group("n").split()
        while words and _not_a_name(words[-1]):
            words.pop()  # "thabo for": the name ends before glue
        if words and not any(_not_a_name(w) for w in words):
            if is_person_name(" ".join(words)):
                return " ".join(words)
    return None


def _tidy(calls: list[Call]) -> list[Call]:
    """Merge field updates of one lead, and drop repeats ("I called Ann, move her to
    Contacted" asks for one move, not two)."""
    calls = _merge_updates(calls)
    tidy: list[Call] = []
    for name, args in calls:
        if tidy and tidy[-1] == (name, args):
            continue
        if (
            tidy
            and name == "change_status"
            and tidy[-1][0] == "change_status"
            and tidy[-1][1]["lead"].lower() == args["lead"].lower()
        ):
            tidy[-1] = (name, args)  # the later, explicit stage wins
            continue
        tidy.append((name, args))
    return tidy


def _merge_updates(calls: list[Call]) -> list[Call]:
    """Consecutive update_lead calls for the same lead become one call."""
    merged: list[Call] = []
    for name, args in calls:
        if (
            merged
            and name == "update_lead"
            and merged[-1][0] == "update_lead"
            and merged[-1][1].get("lead", "").lower() == args.get("lead", "").lower()
            and not set(merged[-1][1]) & (set(args) - {"lead"})
        ):
            merged[-1][1].update(args)
            continue
        merged.append((name, args))
    return merged


# A clause that only repeats the request before it: "update her", "mark it", "update his
# company", "save it", "log that".
_REPEAT = re.compile(
    r"(?:update|change|mark|move|set|save|log|record|note|fix|do|change)\s+(?:him|her|them|it|that|this"
    r"|that one|accordingly|(?:his|her|their|its|the)\s+(?:company|email|e-mail|phone|number"
    r"|details|info|record|entry|card|value|stage|status|lead|deal|notes?))",
    re.I,
)


class Clauses:
    """Rules of the `CommandParser` (a mixin: `self.pipeline`, `self.stage` …)."""

    pipeline: Any

    def _splits(self, text: str) -> list[tuple[bool, list[str]]]:
        """Ways to cut the message into clauses, most clauses first; the whole message last."""
        strong = re.split(
            r"\s*(?:;|\n+|(?<=[a-z0-9)])[.!?]\s+(?=[A-Za-z])|,?\s+and then\s+|,?\s+then\s+"
            r"|,?\s+and also\s+|,?\s+also\s+|,?\s+plus\s+"
            # "…he said they got budget so pls put his deal at 60k": a request after "so"
            r"|,?\s+(?:so|but|and so)\s+(?=(?:pls|please|plz|can you|could you|kindly|just)\s))\s*",
            text,
        )
        ways: list[tuple[bool, list[str]]] = []
        with_and = [p for part in strong for p in re.split(r",?\s+and\s+|,?\s+&\s+", part)]
        with_commas = [
            p
            for part in with_and
            for p in re.split(
                r"[,!]\s+(?=\w)|\s+[-–—]+\s+(?=(?:pls\s+|please\s+|can\s+you\s+|can\s+u\s+)?(?:update|change|set|move|mark|fix|put|rename)\b)",
                part,
            )
        ]
        candidates = (
            (with_commas != with_and, with_commas),
            (False, with_and),
            (False, strong),
            (False, [text]),
        )
        for by_comma, way in candidates:
            way = [w for w in way if w and w.strip()]
            if all(way != seen for _, seen in ways):
                ways.append((by_comma, way))
        return ways

    def _parse_clauses(
        self, clauses: list[str], referent: str | None, dropped: list[str]
    ) -> list[Call] | str | None:
        """Calls of every clause; clauses that ask for nothing ("he stopped answering") are
        context: a lead they name is what later pronouns in the message refer to."""
        calls: list[Call] = []
        verb = ""
        last_lead = ""
        for clause in clauses:
            clause = _strip_politeness(_clean(clause))
            if not clause:
                continue
            if any(
                name == "change_status" and args.get("status") == self.stage(clause)
                for name, args in calls
            ):
                continue  # "pieter ghosted us, lost": the stage word restates the move
            found = self._parse_clause(clause)
            if (
                found is None
                and verb
                and not _STATEMENT.search(clause)
                and not re.match(r"(?:some|a|an|another|any|no)\s", clause, re.I)
            ):
                found = self._parse_clause(f"{verb} {clause}")  # "…, Bob to Lost"
            if found == "bulk":
                return "bulk"
            if found is None and calls and _REPEAT.fullmatch(clause):
                continue  # "…, pls update his company" only repeats the request just read
            if found is None:
                if (
                    len(clauses) == 1
                    or _EMAIL.search(clause)
                    or _PHONE.search(clause)
                    or (
                        clause.split()[0].lower() in _ACTION_VERBS
                        # "…, update her" / "…, mark it" only repeats the request
                        and not re.fullmatch(
                            r"\w+\s+(?:him|her|them|it|that|this|that one|accordingly"
                            r"|(?:his|her|their|its|the)\s+(?:company|email|phone|number|details"
                            r"|info|record|entry|card|value|stage|status|lead))",
                            clause,
                            re.I,
                        )
                    )
                ):
                    return None  # an unparsed request, not context
                if not re.match(  # "surname is de Vries now": the new name, not the lead
                    r"^(?:(?:also|and|so|oh)\s+)*(?:(?:her|his|their|the|my)\s+)?(?:surname|last name"
                    r"|first name|name)\s+(?:is|'s|’s)\b|^(?:(?:she|he|they)\s+)?(?:goes by|now called)\b",
                    clause,
                    re.I,
                ):
                    referent = _mentioned_lead(clause) or referent
                dropped.append(clause)
                continue
            if calls and calls[-1][0] == "create_lead" and _completes_create(found, calls[-1][1]):
                continue
            for name, args in found:
                if name in _LEAD_TOOLS:
                    lead = args.get("lead")
                    if not lead or _is_pronoun(lead):
                        args["lead"] = referent or lead or last_lead or "that lead"
                    last_lead = args["lead"]
                    referent = None if _is_pronoun(last_lead) else last_lead
                elif name == "create_lead":
                    referent, last_lead = None, "that lead"  # the new lead is in focus
                calls.append((name, args))
            first = clause.split()[0].lower()
            if first in _CARRY_VERBS:
                verb = _CARRY_VERBS[first]
        return calls or None

    def _parse_clause(self, clause: str) -> list[Call] | str | None:
        for rule in self._rules:
            try:
                found = rule(clause)
            except _Bulk:
                return "bulk"
            if found:
                return found
        return None
