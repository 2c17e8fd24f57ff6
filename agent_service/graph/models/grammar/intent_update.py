"""Stage 3, intents: field updates ("set Tom's value to 45k", "her email is …", notes)."""

from __future__ import annotations

import re
from typing import Any

from agent_service.graph.models.grammar.normalize import _clean, _ref
from agent_service.graph.models.grammar.recognizers import (
    MONEY,
    is_company,
    is_person_name,
    looks_like_company,
    money_problem,
    parse_money,
)
from agent_service.graph.models.grammar.slots import _without_reason
from agent_service.graph.models.grammar.vocabulary import (
    _EMAIL,
    _FIELD_WORDS,
    _OWNER,
    _PHONE,
    _UPDATE_FIELD,
    Call,
    Refusal,
)

_NOTE_VERB = r"(?:jot down|jot|note down|note|write down|log|make a note|put down|take down|record)"
_VALUE_FIRST = (
    r"(?:put|put down|write down|jot down|take down|note down|add|save|set|use|enter|record|store"
    r"|log|file)"
)


class UpdateIntents:
    """Rules of the `CommandParser` (a mixin: `self.pipeline`, `self.stage` …)."""

    pipeline: Any

    def _field_fix(self, text: str) -> list[Call] | None:
        """ "John's email changed, it's now j@x.io": the field named first, the value after."""
        match = re.match(
            rf"^(?:(?P<owner>his|her|their)|(?P<ref>[^,.;]+?)(?:'s|’s|s'))\s+(?:new\s+|old\s+)?"
            rf"(?P<field>{_UPDATE_FIELD})\b[^,;]*?"
            r"(?:[,;.]|\s+-|\s+but)\s*(?:but\s+|so\s+|and\s+)?(?:it(?:'s| is| should be| has to be| must be| needs to be)"
            r"|its|should be|the new one is|new one is|the (?:correct|right|real) one is|it changed to|now it's|now)"
            r"\s+(?:now\s+|actually\s+|really\s+)?(?P<value>\S+)$",
            text,
            re.I,
        )
        match = match or re.match(  # "and her ph changed too: 587-555-0110"
            rf"^(?:(?:and|also)\s+)?(?:(?P<owner>his|her|their)|(?P<ref>[^,.;:]+?)(?:'s|’s|s'))\s+"
            rf"(?:new\s+)?(?P<field>{_UPDATE_FIELD})\s+(?:also\s+)?(?:changed|is new|got updated)"
            r"(?:\s+(?:too|as well|also))?\s*(?::|-|—|,|to)\s*(?:it's\s+|now\s+)?(?P<value>\S+)$",
            text,
            re.I,
        )
        if not match:
            return None
        name = _FIELD_WORDS[match.group("field").lower()]
        if name not in {"email", "phone"}:
            return None
        value = self._field_value(name, match.group("value"))
        valid = _EMAIL.fullmatch(str(value)) if name == "email" else _PHONE.fullmatch(str(value))
        if not valid:
            return None
        return [("update_lead", {"lead": self._owner_ref(match), name: value})]

    def _clear_field(self, clause: str) -> list[Call] | None:
        verbs = r"(?:remove|delete|clear|drop|erase|wipe|blank|empty|get rid of|take off|unset)"
        patterns = [
            rf"^{verbs}\s+(?P<ref>.+?)(?:'s|’s|s')\s+(?P<field>{_UPDATE_FIELD})$",
            rf"^{verbs}\s+(?:the\s+)?(?P<field>{_UPDATE_FIELD})\s+(?:of|for|from|on)\s+(?P<ref>.+)$",
            rf"^{verbs}\s+(?P<owner>{_OWNER})\s+(?P<field>{_UPDATE_FIELD})$",
        ]
        for pattern in patterns:
            match = re.match(pattern, clause, re.I)
            if match:
                name = _FIELD_WORDS[match.group("field").lower()]
                if name == "name":
                    return None
                reference = self._owner_ref(match)
                self._check_bulk(reference)
                return [("update_lead", {"lead": reference, name: ""})]
        return None

    def _add_note(self, clause: str) -> list[Call] | None:
        # "pop a note on renata: …", "stick a quick note on Tom: …": the verb of adding one
        clause = re.sub(
            r"^(?:pop|stick|slap|chuck|throw|drop|put down|jot)\s+(?=(?:a\s+|the\s+)?(?:quick\s+)?notes?\b)",
            "add ",
            clause,
            flags=re.I,
        )
        patterns = [
            r"^(?:add|put|leave|write|attach|log|save|make)\s+(?:a\s+|the\s+)?notes?\s+(?:to|for|on|about)\s+(?P<ref>.+?)\s*(?::|-|,|—|saying|that says|that)\s*(?P<notes>.+)$",
            r"^(?:add|put|leave|write|attach|log|save)\s+(?:a\s+)?notes?\s*(?::|-|—|saying|that says)\s*(?P<notes>.+?)\s+(?:to|for|on)\s+(?P<ref>[^,]+)$",
            r"^(?:add|put|leave|write|attach|log|save)\s+(?:a\s+)?notes?\s*(?::|-|—|saying|that says)\s*(?P<notes>.+)$",
            r"^notes?\s+(?:for|on|to)\s+(?P<ref>.+?)\s*(?::|-|—)\s*(?P<notes>.+)$",
            # "jot down for Arjun that he's out till the 15th", "note on Tom: …"
            rf"^{_NOTE_VERB}\s+(?:for|on|against|under|about)\s+(?P<ref>[^,:]+?)\s*(?::|-|—|\bthat\b)\s*(?P<notes>.+)$",
            # "add a note that she wants a 3 yr contract": the lead in focus
            r"^(?:add|put|leave|write|attach|log|save|make|jot down|drop)\s+(?:a\s+)?(?:quick\s+)?notes?"
            r"\s+(?:that|saying)\s+(?P<notes>.+)$",
        ]
        for pattern in patterns:
            match = re.match(pattern, clause, re.I)
            if match:
                groups = match.groupdict()
                reference = _ref(groups["ref"]) if groups.get("ref") else "that lead"
                return [("update_lead", {"lead": reference, "notes": _clean(groups["notes"])})]
        return None

    def _update_imperative(self, clause: str) -> list[Call] | None:
        verbs = (
            r"(?:change|update|set|make|fix|correct|edit|replace|modify|switch|put|add|use"
            r"|save|enter|record|store|bump|raise|increase|lower|reduce|up|adjust)"
        )
        patterns = [
            rf"^{verbs}\s+(?P<ref>.+?)(?:'s|’s|s')\s+(?:new\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?:(?:to|as|with|into|is)(?:\s*:)?\s+|[=:]\s*|->\s*|→\s*)?(?P<value>.+)$",
            rf"^{verbs}\s+(?:the\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s+(?:of|for|on)\s+(?P<ref>.+?)\s*(?:to|=|:|->|→|as|with|into|is)\s*(?P<value>.+)$",
            rf"^{verbs}\s+(?P<owner>{_OWNER})\s+(?:new\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?:(?:to|as|with|into|is)(?:\s*:)?\s+|[=:]\s*|->\s*|→\s*)?(?P<value>.+)$",
            rf"^(?:add|put|save|set|use|enter|record|store)\s+(?:the\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*:?\s+(?P<value>.+?)\s+(?:to|for|on|as)\s+(?P<ref>[^,]+?)(?:'s\s+(?:email|phone|number))?$",
            r"^(?:update|change|edit|modify|set)\s+(?P<ref>[^:]+?)\s*:\s*(?P<pairs>.+)$",
            rf"^(?:update|change|edit|modify|set)\s+(?P<ref>.+?)\s+(?:with|to have)\s+(?P<pairs>.*(?:{_UPDATE_FIELD}).*)$",
            r"^(?:rename|call)\s+(?P<ref>.+?)\s+(?:to|as)\s+(?P<value>.+)$",
            rf"^(?:set|change|update|make)\s+(?:the\s+)?(?P<field>{_UPDATE_FIELD})\s+(?:to|=|:|as)\s+(?P<value>.+)$",
            # the value first: "put down 555-0199 as Dana's cell", "save x@y.io as the email for Tom"
            rf"^{_VALUE_FIRST}\s+(?P<value>\S+@\S+|\+?[\d(][\d\s().-]{{5,}}\d)\s+(?:as|for|under)\s+"
            rf"(?P<ref>.+?)(?:'s|’s|s')\s+(?:new\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?$",
            rf"^{_VALUE_FIRST}\s+(?P<value>\S+@\S+|\+?[\d(][\d\s().-]{{5,}}\d)\s+as\s+(?:the\s+|a\s+)?(?:new\s+)?"
            rf"(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s+(?:for|of|on)\s+(?P<ref>.+)$",
        ]
        for index, pattern in enumerate(patterns):
            match = re.match(pattern, clause, re.I)
            if not match:
                continue
            groups = match.groupdict()
            if groups.get("pairs") is not None:
                args = self._pairs(groups["pairs"])
                if not args:
                    continue
                reference = _ref(groups["ref"])
                self._check_bulk(reference)
                return [("update_lead", {"lead": reference, **args})]
            if index == 6:  # rename
                reference = _ref(groups["ref"])
                name = _without_reason(_clean(groups["value"]), "name")
                return [("update_lead", {"lead": reference, "name": name})]
            name = _FIELD_WORDS[groups["field"].lower()]
            value = self._field_value(name, groups["value"])
            if value in (None, ""):
                continue
            reference = self._owner_ref(match) if groups.get("owner") or groups.get("ref") else None
            if reference is not None:
                self._check_bulk(reference)
            args: dict[str, Any] = {name: value}
            if reference:
                args = {"lead": reference, **args}
            return [("update_lead", args)]
        return None

    def _update_statement(self, clause: str) -> list[Call] | None:
        # "his is liam@corkcraft.ie" (after "what's Liam's email?"): the value says the field
        own = re.match(
            r"^(?P<owner>his|hers|her|their|theirs)(?:'s)?\s+(?:is|=|:)\s+(?:now\s+)?(?P<value>\S+)$",
            clause,
            re.I,
        )
        if own and (_EMAIL.fullmatch(own.group("value")) or _PHONE.fullmatch(own.group("value"))):
            field = "email" if _EMAIL.fullmatch(own.group("value")) else "phone"
            owner = {"hers": "her", "theirs": "them", "their": "them", "his": "him"}.get(
                own.group("owner").lower(), own.group("owner").lower()
            )
            value = self._field_value(field, own.group("value"))
            return [("update_lead", {"lead": owner, field: value})]
        patterns = [
            (  # "tom@novak.io is Tom's new email", "555-0100 is Dana's cell"
                rf"^(?P<value>\S+@\S+|\+?[\d(][\d\s().-]{{5,}}\d)\s+(?:is|=)\s+(?P<ref>.+?)(?:'s|’s)\s+"
                rf"(?:new\s+|correct\s+|current\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?$",
                None,
            ),
            (  # "Tom has a new email, tom@novak.io"
                rf"^(?P<ref>.+?)\s+(?:has|got)\s+(?:a\s+)?new\s+(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?"
                r"\s*(?:[,:\-—]|now)\s*(?:it's\s+|its\s+|it is\s+)?(?P<value>\S.*)$",
                None,
            ),
            (
                rf"^(?P<ref>.+?)(?:'s|’s|s')\s+(?:new\s+|correct\s+|updated\s+|actual\s+|real\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?:is now|is actually|should be|has changed to|changed to|is|=|:|->|→|now)\s*(?P<value>.+)$",
                None,
            ),
            (
                rf"^(?P<owner>his|her|their|its|the)\s+(?:new\s+|correct\s+|updated\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?:is now|is actually|should be|has changed to|changed to|is|=|:|->|→)\s*(?P<value>.+)$",
                None,
            ),
            (
                rf"^(?:the\s+)?(?:new\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s+(?:of|for)\s+(?P<ref>.+?)\s+(?:is now|should be|is|=|:)\s+(?P<value>.+)$",
                None,
            ),
            (
                rf"^(?P<ref>.+?)\s+(?:has|got|now has|gave me|sent me|shared)\s+(?:a\s+)?(?:new\s+|different\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?::|-|,|of|which is)?\s*(?P<value>.+)$",
                None,
            ),
            (
                rf"^(?:(?:his|her|their|its|the)\s+)?(?:new\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?:is now|should be|is|'s|’s|=|:|->|→|to)\s*(?P<value>.+)$",
                None,
            ),
            (
                r"^(?P<ref>.+?)\s+(?:now\s+)?(?:works|is working)\s+(?:at|for)\s+(?P<value>.+)$",
                "company",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:moved|switched|changed jobs?|went|jumped ship)\s+(?:over\s+)?to\s+"
                r"(?!(?:an?\s+|the\s+)?(?:other|another|new|different)\s+(?:company|job|firm|role|employer)\b)"
                r"(?P<value>.+)$",
                "company",
            ),
            (r"^(?P<ref>.+?)\s+(?:joined|is now (?:at|with))\s+(?P<value>.+)$", "company"),
            (  # "esteban's at Cordillera Mining now", "now he is in Grupo Altamira"
                r"^(?:now\s+)?(?P<ref>[^,;.]+?)(?:'s|’s|\s+is|\s+has)\s+(?:now\s+|moved\s+)?(?:at|with|in|by"
                r"|over at|working (?:at|for|in|by))\s+(?P<value>[A-Z][^,;]*?)(?:\s+now)?$",
                "company_news",
            ),
            (  # "santiago moved from bogota ventures to Medellin Capital, can u change that?"
                r"^(?P<ref>[^,;.]+?)\s+(?:has\s+)?(?:moved|switched|went|changed|jumped)\s+from\s+[^,;]+?\s+to\s+"
                r"(?P<value>[A-Z][^,;]*?)(?:\s+now)?$",
                "company_news",
            ),
            (
                r"^(?:the\s+)?(?P<ref>.+?)(?:'s|’s)?\s+(?:deal|opportunity|contract)?\s*(?:is\s+)?(?:now\s+)?(?:worth|valued at|sized at)\s+(?P<value>.+)$",
                "value",
            ),
            (
                r"^(?:the\s+)?deal\s+(?:with|for)\s+(?P<ref>.+?)\s+is\s+(?:now\s+)?(?:worth\s+)?(?P<value>[$€£]?\s*\d.+)$",
                "value",
            ),
            (
                r"^(?P<ref>.+?)(?:'s|’s)\s+(?:deal|budget)\s+is\s+(?:now\s+)?(?P<value>[$€£]?\s*\d.+)$",
                "value",
            ),
            (  # "siobhan's now around 30k after the scope change": the amount, then why
                r"^(?P<ref>[^,]+?)(?:'s|’s)\s+(?:deal\s+|budget\s+|value\s+)?(?:is\s+)?now\s+(?:at\s+)?"
                r"(?:around\s+|about\s+|~\s*|roughly\s+|approx\.?\s+)?(?P<value>[$€£]?\s*\d[\d,.]*"
                r"(?:\s*(?:k|grand|thousand|million|m|mil)\b)?)(?:\s+(?:after|because|since|due to|with"
                r"|cos|coz|following)\b.*)?$",
                "value",
            ),
            (  # "lachlan's looking like around 30k now", "emma's coming in at 12k"
                r"^(?P<ref>[^,]+?)(?:'s|’s|\s+is)\s+(?:deal\s+|budget\s+)?(?:now\s+)?(?:looking\s+(?:like|at)"
                r"|coming\s+in\s+at|landing\s+(?:at|around)|sitting\s+at|closer\s+to)\s+"
                r"(?:around\s+|about\s+|~\s*|roughly\s+|approx\.?\s+)?(?P<value>[$€£]?\s*\d[\d,.]*"
                r"(?:\s*(?:k|grand|thousand|million|m|mil)\b)?)(?:\s+now)?$",
                "value",
            ),
            (  # "and sakura tanaka is 12,500 bucks now": a marked amount is the deal's value
                r"^(?P<ref>[^,;]+?)\s+is\s+(?:now\s+)?(?:at\s+)?(?:around\s+|about\s+|~\s*|roughly\s+)?"
                r"(?P<value>[$€£]\s*\d[\d,.]*(?:\s*(?:k|grand|thousand|million|m|mil)\b)?"
                r"|\d[\d,.]*\s*(?:k|grand|thousand|million|mil|bucks|dollars|usd)\b"
                r"|\d{1,3}(?:,\d{3})+(?:\s*(?:bucks|dollars|usd)\b)?)(?:\s+now)?$",
                "value",
            ),
            (  # "she's looking at ~15k", "they're budgeting about 40k": what the deal comes to
                r"^(?P<ref>she|he|they)(?:'s|’s|'re|’re|\s+is|\s+are)\s+(?:looking at|budgeting|talking"
                r"|thinking|expecting|planning on)\s+(?:about\s+|around\s+|~\s*|roughly\s+|approx\.?\s+)?"
                r"(?P<value>[$€£]?\s*\d[\d,.]*(?:\s*(?:k|grand|thousand|million|m|mil)\b)?)$",
                "value",
            ),
            (  # "fix the spelling of his name, it should be Jörgen Åberg"
                r"^(?:(?:pls|please|also|and)\s+)*(?:fix|correct|change|update)\s+(?:the\s+)?(?:spelling\s+of\s+)?"
                r"(?P<owner>his|her|their)\s+name(?:\s+spelling)?\s*(?:,|-|—|:)\s*(?:it\s+)?(?:should be|is"
                r"|'s|must be)\s+(?P<value>[A-ZÀ-Þ][^,;]*)$",
                "name",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:is (?:now )?called|now called|now goes by|goes by|is renamed to"
                r"|renamed to|changed (?:his|her|their) name to)\s+(?P<value>.+)$",
                "name",
            ),
            (
                rf"^(?P<ref>[^,]+?)\s*(?:,|:|-|—)\s*(?:new\s+)?(?P<field>{_UPDATE_FIELD})(?:\s+(?:address|number))?\s*(?::|is|=)?\s*(?P<value>.+)$",
                None,
            ),
            (  # "update Sarah phone 555-1234", "sarah email s@x.io": a name, then the detail
                r"^(?:(?:update|change|set|fix|edit)\s+)?(?P<ref>[^,]+?)\s+(?P<field>e-?mail|phone|mobile|cell)"
                r"(?:\s+(?:address|number))?(?:\s+(?:to|is)|\s*[=:])?\s+(?P<value>[+(\w].+)$",
                None,
            ),
            (  # "set Sarah to 8k": a money amount can only be the deal value
                r"^(?:set|change|update|bump|raise|lower|increase|reduce|adjust|put|make)\s+(?P<ref>.+?)\s+"
                r"(?:to|at)\s+(?P<value>-?\s*(?:usd|eur|gbp)?\s*[$€£]?\s*-?\d[\d,]*(?:\.\d+)?\s*(?:k|m|mm|grand|thousand|million|usd|eur|gbp|dollars|euros)?)$",
                "value",
            ),
            (  # "phone +233 20 555 0101" after "email is …": a contact detail, no verb
                r"^(?:(?:his|her|their|its|the)\s+)?(?:new\s+)?(?P<field>e-?mail|phone|mobile|cell)"
                r"(?:\s+(?:address|number))?\s+(?P<value>[+(\w].+)$",
                None,
            ),
        ]
        for pattern, fixed in patterns:
            match = re.match(pattern, clause, re.I)
            if not match:
                continue
            groups = match.groupdict()
            name = fixed or _FIELD_WORDS[groups["field"].lower()]
            raw = groups["value"]
            if name == "company_news":
                # a capitalised company, said of a lead: "he's at Flutterwave now"
                if not raw[:1].isupper() or not is_company(_clean(raw)):
                    continue
                small = {"of", "and", "the", "de", "y", "e", "du", "da", "la", "del", "&", "for"}
                if any(w[:1].islower() and w not in small for w in _clean(raw).split()):
                    continue  # "olga is in PO came thru this morning": a sentence, no company
                name = "company"
            if name == "company" and (
                self.stage(raw) or re.match(r"^(?:the\s+)?(?:next|previous)\b", raw, re.I)
            ):
                continue
            value = self._field_value(name, raw)
            if value in (None, "") or (name == "email" and not _EMAIL.fullmatch(str(value))):
                continue
            if name == "phone" and not _PHONE.fullmatch(str(value)):
                continue
            if (
                name in {"email", "phone"}
                and not (groups.get("owner") or groups.get("ref"))
                and len(_clean(raw).split()) > len(str(value).split()) + 1
            ):
                continue  # "email for Tom: tom@x.io": no lead here, yet words beside the value
            reference = None
            if groups.get("owner") or groups.get("ref"):
                reference = self._owner_ref(match)
                if not reference or re.match(
                    r"^(?:i|we|you|it|what|who|where|how)$", reference, re.I
                ):
                    continue
                self._check_bulk(reference)
            args: dict[str, Any] = {name: value}
            if reference:
                args = {"lead": reference, **args}
            return [("update_lead", args)]
        return None

    def _typed_value(self, clause: str) -> list[Call] | None:
        """A lead and one value only a recognizer can place, in any order: "email for Tom:
        tom@x.io", "use tom@x.io for Tom", "Tom can be reached at 555-0100", "45k for Tom"."""
        found = [
            (k, m)
            for k, m in (("email", _EMAIL.search(clause)), ("phone", _PHONE.search(clause)))
            if m
        ]
        problem = money_problem(clause)
        if (
            not found
            and problem
            and re.search(r"\d\s*(?:k|m|grand|thousand|million)\b|[$€£]", clause, re.I)
        ):
            # "put 20-30k on the Ines deal": one amount is needed, never a guess between two
            raise Refusal(f"I couldn't set the deal value: {problem}. Nothing was changed.")
        money = MONEY.search(clause)
        if (
            not found
            and money
            and money.group("u")
            and not re.search(r"\d\s*$", clause[: money.start()])
        ):
            found = [("value", money)]
        if len(found) != 1:
            return None
        field, match = found[0]
        rest = (clause[: match.start()] + " " + clause[match.end() :]).strip()
        words = [w for w in re.split(r"[\s:,;=\-—]+", re.sub(r"(?:'s|’s)\b", " ", rest)) if w]
        reference = [w for w in words if w.lower() not in _TYPED_GLUE]
        if not 1 <= len(reference) <= 3 or not all(
            w[:1].isupper() or w.isalpha() for w in reference
        ):
            return None
        text = " ".join(reference)
        if not (is_person_name(text) or looks_like_company(text)):
            return None
        value = match.group(0).lower() if field == "email" else match.group(0).strip()
        if field == "value":
            value = parse_money(clause[: match.end()])  # with its sign: "-1.5 mil" is refused
        return [("update_lead", {"lead": text, field: value})]


# Words around a lead and a typed value that say nothing more ("can be reached at", "use … for").
_TYPED_GLUE = frozenset(
    "for on to at is are now new use put set save add his her their the a an can be reached reach "
    "opp opps opportunity account contract "
    "email e-mail mail address phone number cell mobile tel value deal budget worth of size "
    "please pls thanks minus negative".split()
)
