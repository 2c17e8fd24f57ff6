"""Stage 4, typed slots: stage names, field values and lead references (the recognizers
themselves are in `recognizers.py`).
"""

from __future__ import annotations

import re
from typing import Any

from agent_service.graph.models.grammar.anchored import swapped_stage
from agent_service.graph.models.grammar.normalize import _clean, _ref, _stage_words, trim_company
from agent_service.graph.models.grammar.recognizers import (
    WHERE_WRITTEN,
    is_company,
    is_person_name,
    money_problem,
    parse_money,
)
from agent_service.graph.models.grammar.vocabulary import (
    _ALL,
    _BULK,
    _EMAIL,
    _FIELD_WORDS,
    _PHONE,
    _PRONOUN_OWNER,
    _UPDATE_FIELD,
    _WHEN,
    Refusal,
    _Bulk,
)
from agent_service.graph.models.grammar.words import stage_words

# Speech-to-text's spellings of a stage, read only where a stage is expected ("mark her as one").
_HEARD_AS = {"one": "Won"}
_POLITE_TAIL = re.compile(
    r"\b(?:when(?:ever)?|if)\s+(?:you|u|ya)\s+(?:get|have|got|find)\s+(?:a\s+)?(?:sec|second|min"
    r"|minute|moment|chance|mo)\b|\b(?:when|if)\s+(?:you|u|ya)\s+(?:can|could)\b"
    r"|\bif\s+(?:you|u)\s+(?:don't|dont)\s+mind\b",
    re.I,
)
# Words after a stage that make the move unsure: a doubt, a condition, a time still to come.
_DOUBT = re.compile(
    r"\b(?:not|never|no|nope|isn't|isnt|hasn't|hasnt|haven't|havent|didn't|didnt|doesn't|doesnt"
    r"|won't|wont|aren't|arent|if|unless|when|whenever|once|after|before|until|till|til|yet"
    r"|maybe|might|may|perhaps|probably|possibly|should|would|could|will|gonna|going|later"
    r"|soon|eventually|pending|hopefully|or|tomorrow|tmrw|tmr)\b|\?",
    re.I,
)
_HEDGE = re.compile(
    r"\b(?:maybe|might|if|unless|once|probably|possibly|perhaps|hopefully|not|or)\b|\?", re.I
)
_REASON = re.compile(r"\s*(?:[,;.!?]|\s-\s|—|–|\bbecause\b|\bcoz\b|\bcuz\b|\bas\b)\s*")


class Slots:
    """Rules of the `CommandParser` (a mixin: `self.pipeline`, `self.stage` …)."""

    pipeline: Any

    def stage(self, text: str) -> str | None:
        """The stage `text` names (synonyms included), or None."""
        cleaned = _stage_words(text)
        found = self.pipeline.resolve(cleaned)
        if found:
            return found
        synonym = stage_words().get(cleaned.lower())
        if synonym and self.pipeline.find(synonym):
            return self.pipeline.find(synonym)
        # "meeting booked for next tue": a stage, then when.
        words = cleaned.split()
        for cut in range(len(words) - 1, 0, -1):
            if words[cut].lower() in _WHEN:
                if _HEDGE.search(" ".join(words[cut:])):
                    return None  # "won tomorrow maybe": not sure yet
                found = self.pipeline.resolve(" ".join(words[:cut]))
                if found:
                    return found
        return None

    def _stage_arg(self, text: str) -> str:
        """The stage as the user wrote it, without filler (validated by the action node)."""
        cleaned = _stage_words(text)
        found = self.stage(cleaned)
        if found:
            return found
        # "contacted, meeting got cancelled", "lsot, budget got cut": the stage, then a reason
        head = _REASON.split(cleaned)[0]
        if cleaned.lower() in _HEARD_AS:
            return _HEARD_AS[cleaned.lower()]
        if head == cleaned:
            # dictated, no punctuation: "contacted when u get a sec", "contacted hes gone a
            # bit quiet", "as one cheers she signed" (speech-to-text's "won")
            return self._stage_then_chatter(cleaned) or cleaned
        words = head.split()
        for size in (3, 2, 1):
            if len(words) >= size:
                phrase = " ".join(words[:size])
                found = self.pipeline.find(self.stage(phrase) or swapped_stage(phrase) or "")
                if found:
                    return found
        return cleaned

    def _stage_then_chatter(self, text: str) -> str | None:
        """The stage that opens `text` when the words after it only chat: no doubt, no time
        to come, no condition, no number, no other stage. None otherwise."""
        words = text.split()
        for size in (3, 2, 1):
            if len(words) <= size:
                continue
            phrase = " ".join(words[:size])
            found = self.pipeline.find(
                self.stage(phrase) or swapped_stage(phrase) or _HEARD_AS.get(phrase.lower(), "")
            )
            if not found:
                continue
            tail = _POLITE_TAIL.sub(" ", " ".join(words[size:]))
            if _DOUBT.search(tail) or re.search(r"[\d@$€£]", tail):
                return None
            if any(self.stage(word) not in (None, found) for word in tail.split()):
                return None  # "contacted meeting booked maybe": two stages, ask
            return found
        return None

    @staticmethod
    def _check_bulk(reference: str) -> None:
        if _ALL.match(_clean(reference)) or _BULK.match(_clean(reference)):
            raise _Bulk

    def _field_value(self, field_name: str, raw: str) -> Any:
        value = _clean(raw)
        value = re.sub(r"^(?:to|as|is|=|:|->|→)\s+", "", value, flags=re.I)
        # "company is updated to Manila Harbour Holdings", "should now be changed to …"
        value = re.sub(
            r"^(?:(?:is|be|being|gets?|should|now|going to|to)\s+)*(?:updated|changed|set|corrected"
            r"|amended)\s+(?:to|as)\s+",
            "",
            value,
            flags=re.I,
        )
        if field_name == "email":
            found = _EMAIL.search(value)
            return found.group(0).lower() if found else value
        if field_name == "phone":
            found = _PHONE.search(value)
            if not found and not re.search(r"\d", value):
                return None  # "put the number on his existing card": no number given
            return _clean(found.group(0)) if found else value
        if field_name == "value":
            problem = money_problem(value)
            if problem:
                raise Refusal(f"I couldn't set the deal value: {problem}. Nothing was changed.")
            return parse_money(value)
        if field_name in {"name", "company"}:
            # "her name's actually gracie wairimu on the contract": where it is written
            value = re.sub(
                r"^(?:(?:actually|really|now|officially)\s+)?(?:(?:spelled|spelt|written)(?:\s+as)?\s+)?",
                "",
                value,
                flags=re.I,
            )
            value = re.sub(rf"\s+{WHERE_WRITTEN}$", "", value, flags=re.I)
            value = _without_reason(value, field_name)
        if field_name == "company":
            value = trim_company(value)
        return value.strip("\"'")

    @staticmethod
    def _owner_ref(match: re.Match[str]) -> str:
        groups = match.groupdict()
        if groups.get("owner"):
            return _PRONOUN_OWNER[groups["owner"].lower()]
        return _ref(groups["ref"])

    def _pairs(self, text: str) -> dict[str, Any]:
        """`email j@x.com, phone 555-0100` → {"email": ..., "phone": ...}."""
        args: dict[str, Any] = {}
        parts = re.split(r",\s*|\s+and\s+|;\s*", text)
        for part in parts:
            match = re.match(
                rf"^(?:(?:new|the|his|her|their)\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?:(?:to|is|as)(?:\s*:)?\s+|[=:]\s*|->\s*|→\s*)?(?P<value>.+)$",
                part.strip(),
                re.I,
            )
            if not match:
                if _EMAIL.fullmatch(part.strip()):
                    args["email"] = part.strip().lower()
                    continue
                if _PHONE.fullmatch(part.strip()):
                    args["phone"] = part.strip()
                    continue
                return {}
            name = _FIELD_WORDS[match.group("field").lower()]
            value = self._field_value(name, match.group("value"))
            if value in (None, ""):
                return {}
            args[name] = value
        return args


# A reason after the new name or company: "Diego Alvarez-Ruiz, that's how he signs his
# emails", "Jessica Thornton, got her full name off the invoice". It is never stored.
_VALUE_REASON = re.compile(
    r"^(?P<value>[^,.;()]+?)\s*(?:[,;(]|\.\s|\s[-–—]\s)\s*(?P<why>(?:that's|thats|that is|got|he|she"
    r"|they|it's|its|as|since|because|cause|cos|coz|per|according|after|his|her|their|we|i|just"
    r"|saw|found|confirmed|turns out|apparently|checked|spelled|spelt|pls|please|thanks|thx|same|still"
    r"|ty|update|can you|can u|fix|had|have|i've|ive|wrong|typo|misspelt|misspelled|oops|my bad"
    r"|sorry|lol|was|were|has|the old|the previous|old|previous|the former|former|rename|change it"
    r"|change that)\b.*)$",
    re.I,
)


def _without_reason(value: str, field_name: str) -> str:
    """The new name or company without the reason given after it, when what is left is
    sure to be one."""
    match = _VALUE_REASON.match(value)
    if not match:
        return value
    head = re.sub(r"\s+(?:now|then|instead)$", "", match.group("value").strip(), flags=re.I)
    sure = is_person_name(head) if field_name == "name" else is_company(head)
    return head if sure and head[:1].isupper() else value
