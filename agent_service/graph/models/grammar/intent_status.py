"""Stage 3, intents: stage moves (imperatives, statements, sales slang), deletes, undo."""

from __future__ import annotations

import re
from typing import Any

from agent_service.graph.models.grammar.clauses import _each
from agent_service.graph.models.grammar.normalize import _clean, _ref
from agent_service.graph.models.grammar.recognizers import MONEY, money_problem
from agent_service.graph.models.grammar.vocabulary import _NOT_NAMES, _UPDATE_FIELD, Call
from agent_service.graph.models.grammar.words import stage_slang


class StatusIntents:
    """Rules of the `CommandParser` (a mixin: `self.pipeline`, `self.stage` …)."""

    pipeline: Any

    def _undo(self, clause: str) -> list[Call] | None:
        if re.match(
            r"^(?:undo|revert|roll ?back|rollback|reverse|take (?:that|it) back|put (?:it|that) back"
            r"|cancel (?:that|the last (?:change|action|one))|scratch that|undo (?:that|this|it)"
            r"|(?:undo|revert|reverse|roll ?back) (?:that|this|it|the last (?:change|action|edit|one|update|thing)"
            r"|my last (?:change|action|edit)|what you (?:just )?did|the (?:last )?(?:change|update|move)"
            r"|last (?:change|action|edit|step))|that was (?:a mistake|wrong)(?:,? undo(?: it)?)?"
            r"|go back|restore (?:it|that|the last change)|oops,? undo(?: that)?)$",
            clause,
            re.I,
        ):
            return [("undo", {})]
        return None

    def _delete(self, clause: str) -> list[Call] | None:
        match = re.match(
            r"^(?:delete|remove|erase|drop|trash|bin|get rid of|purge|discard|kill|nuke|axe"
            r"|scrap|ditch|throw out|take out|archive)\s+(?P<ref>.+?)"
            r"(?:\s+(?:from|off|out of)\s+(?:the\s+|my\s+|our\s+)?(?:crm|pipeline|board|system"
            r"|list|database|db|leads|kanban))?(?:\s+(?:completely|permanently|for good))?$",
            clause,
            re.I,
        ) or re.match(  # "get Emeka out of the CRM": these verbs delete only with the place
            r"^(?:get|take|kick|throw|pull)\s+(?P<ref>.+?)\s+(?:out of|off|from)\s+(?:the\s+|my\s+|our\s+)?"
            r"(?:crm|pipeline|board|system|list|database|db|kanban)$",
            clause,
            re.I,
        )
        if not match:
            return None
        reference = _ref(match.group("ref"))
        reference = re.sub(
            r"^(?:the\s+)?(?:lead|contact)\s+(?:for|of)\s+", "", reference, flags=re.I
        )
        if re.search(rf"\b(?:{_UPDATE_FIELD})$", reference, re.I) and "'" in reference:
            return None
        moved = re.search(r"\s(?:to|into|in)\s+(?P<s>.+)$", reference, re.I)
        if moved and self.stage(moved.group("s")):
            return None  # "drop John to Lost" moves the lead
        self._check_bulk(reference)
        if not reference:
            return None
        return [("delete_lead", {"lead": lead}) for lead in _each(reference)]

    def _status_imperative(self, clause: str) -> list[Call] | None:
        verbs = (
            r"(?:move|put|shift|push|bump|advance|drag|drop|send|take|set|change|update|switch"
            r"|transfer|progress|promote|demote|mark|flag|place|throw|stick|get|bring|file"
            r"|knock|kick|slide|roll|downgrade|upgrade|return|revert|reset|shove|pop|toss|slot)"
        )
        match = re.match(
            rf"^(?P<verb>{verbs})\s+(?P<ref>.+?)(?:(?:'s|’s|s')?\s+(?:status|stage|column|deal))?"
            rf"\s+(?:to|into|in|as|->|=>|→|over to|back to|onto|on|under)\s+(?P<stage>.+)$",
            clause,
            re.I,
        )
        if match:
            verb = match.group("verb").lower()
            target = match.group("stage")
            reference = match.group("ref")
            if re.match(r"^(?:me|us)\b", reference, re.I):
                return None  # "send me the list of leads in Won": a question, not a move
            reference = re.sub(  # "change the status of Mohamed to Won"
                r"^(?:the\s+)?(?:(?:deal|pipeline|lead)\s+)?(?:status|stage|column)\s+(?:of|for|on)\s+",
                "",
                reference,
                flags=re.I,
            )
            loose = verb in {
                "drop",
                "throw",
                "stick",
                "set",
                "change",
                "update",
                "switch",
                "get",
                "bring",
                "take",
                "send",
                "file",
                "place",
            }
            stage = self.stage(target)
            amount = MONEY.match(target.strip())
            if (
                stage is None
                and amount
                and amount.group("n")
                and re.fullmatch(r"\s*(?:[,;.!—–-].*)?", target.strip()[amount.end() :])
            ):
                return None  # "bump Tom's deal to 60k(, they added a day)": a value, not a stage
            if stage is None and (MONEY.fullmatch(reference.strip()) or money_problem(reference)):
                return None  # "put 20-30k on the Ines deal": an amount, not a lead
            relative = re.match(
                r"^(?:the\s+)?(?:next|previous)(?:\s+(?:stage|step|column))?$", target, re.I
            )
            if (
                stage is None
                and not relative
                and loose
                and not re.search(r"\b(?:status|stage)\b", clause, re.I)
            ):
                return None
            if re.search(rf"(?:'s|’s)\s+(?:{_UPDATE_FIELD})$", reference, re.I):
                return None
            if MONEY.fullmatch(reference.strip()):
                return None  # "put 45k on Tom": a value
            if re.match(r"^(?:a|an|some)\s", reference, re.I):
                return None  # "put a reminder to call John": not a lead
            reference = _ref(reference)
            self._check_bulk(reference)
            if relative:
                stage = "previous" if "previous" in target.lower() else "next"
            status = stage or self._stage_arg(target)
            return [
                ("change_status", {"lead": lead, "status": status}) for lead in _each(reference)
            ]
        match = re.match(
            r"^(?:mark|set|move|put|change|flag|switch)\s+(?:it\s+|that\s+|them\s+)?(?:as|to|into|in)\s+(?P<stage>.+)$",
            clause,
            re.I,
        )
        if match and self.stage(match.group("stage")):
            return [("change_status", {"lead": "", "status": self.stage(match.group("stage"))})]
        match = re.match(r"^(?:mark|flag)\s+(?P<rest>.+)$", clause, re.I)
        if match:  # "mark Lina lost", "flag Tom proposal sent": the stage is the last words
            words = match.group("rest").split()
            for size in (2, 1, 3):
                if len(words) > size and self.stage(" ".join(words[-size:])):
                    reference = _ref(" ".join(words[:-size]))
                    self._check_bulk(reference)
                    stage = self.stage(" ".join(words[-size:]))
                    return [
                        ("change_status", {"lead": lead, "status": stage})
                        for lead in _each(reference)
                    ]
        match = re.match(
            r"^(?:move|advance|push|bump|progress|promote)\s+(?P<ref>.+?)\s+(?P<dir>forward|ahead|along|on|up|back|backwards|down)(?:\s+(?:a|one)\s+(?:stage|step))?$",
            clause,
            re.I,
        )
        if match:
            direction = (
                "previous"
                if match.group("dir").lower() in {"back", "backwards", "down"}
                else "next"
            )
            reference = _ref(match.group("ref"))
            self._check_bulk(reference)
            return [("change_status", {"lead": reference, "status": direction})]
        return None

    def _status_statement(self, clause: str) -> list[Call] | None:
        text = re.sub(
            r"^(he|she|it|they|that one)(?:'s|’s|'re|’re)\s", r"\1 is ", clause.strip(), flags=re.I
        )
        stage_phrases: list[tuple[str, str]] = [
            # Won
            (
                r"^(?:we\s+)?(?:closed the deal with|closed a deal with|sealed the deal with|got the deal with|got the contract with|signed (?:the|a) (?:contract|deal|papers|agreement) with|signed with|won|closed|signed|landed|bagged)\s+(?P<ref>.+?)(?:'s)?(?:\s+(?:deal|account|contract))?$",
                "Won",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:signed|signed up|signed the contract|signed on the dotted line|closed|bought|purchased|said yes|accepted(?: the (?:offer|proposal|quote))?|is a customer now|is now a customer|became a customer|converted|is on board|committed)(?:\s+(?:today|yesterday|this morning|at last|finally))?$",
                "Won",
            ),
            (
                r"^(?:deal|the deal)\s+(?:with|for)\s+(?P<ref>.+?)\s+(?:is\s+)?(?:closed|won|signed|done)$",
                "Won",
            ),
            # Lost
            (
                r"^(?:we\s+)?(?:lost|dropped)\s+(?P<ref>.+?)(?:'s)?(?:\s+(?:deal|account))?"
                r"(?:\s+to\s+(?:a\s+competitor|the\s+competition|[\w&'’ -]{1,30}))?$",
                "Lost",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:said no|declined|passed|rejected(?: us| the (?:offer|proposal|quote))?|is not interested|isn't interested|is no longer interested|not interested|went with (?:a |another )?(?:competitor|vendor|someone else)|ghosted(?: us| me)?|backed out|pulled out|walked away|churned|went dark|is dead|chose a competitor)(?:\s+(?:today|yesterday))?$",
                "Lost",
            ),
            (
                r"^(?:deal|the deal)\s+(?:with|for)\s+(?P<ref>.+?)\s+(?:is\s+)?(?:dead|lost|off)$",
                "Lost",
            ),
            # Meeting booked
            (
                r"^(?:i\s+|we\s+)?(?:booked|scheduled|set up|arranged|have|got|set|planned|lined up)\s+(?:a\s+|the\s+)?(?:meeting|demo|call|appointment|intro call|discovery call|sales call)\s+(?:with|for)\s+(?P<ref>.+?)(?:\s+(?:for|on|next|tomorrow|today|this)\b.*)?$",
                "Meeting booked",
            ),
            (
                r"^(?:meeting|demo|call)\s+(?:with|for)\s+(?P<ref>.+?)\s+(?:is\s+)?(?:booked|scheduled|set|confirmed|arranged)(?:\s+(?:for|on)\b.*)?$",
                "Meeting booked",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:booked|scheduled|agreed to|accepted)\s+(?:a\s+|the\s+)?(?:meeting|demo|call)(?:\s+(?:with us|for|on|next)\b.*)?$",
                "Meeting booked",
            ),
            # Proposal sent
            (
                r"^(?:i\s+|we\s+)?(?:sent|emailed|mailed|shared|delivered|submitted)\s+(?:a\s+|the\s+|our\s+)?(?:proposal|quote|offer|pricing|contract)\s+(?:to|for)\s+(?P<ref>.+)$",
                "Proposal sent",
            ),
            (
                r"^(?:i\s+|we\s+)?(?:sent|emailed|gave)\s+(?P<ref>.+?)\s+(?:a\s+|the\s+|our\s+)?(?:proposal|quote|offer|pricing)$",
                "Proposal sent",
            ),
            (
                r"^(?:proposal|quote|offer)\s+(?:sent|went out|is out)\s+(?:to|for)\s+(?P<ref>.+)$",
                "Proposal sent",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:got|received|has|has got|now has|has received)\s+(?:a\s+|the\s+|our\s+)?(?:proposal|quote|offer)(?:\s+(?:today|yesterday|this morning|already|now))?$",
                "Proposal sent",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:already\s+)?(?:has|have|got|now has)\s+(?:a\s+|the\s+)?(?:meeting|demo|call)\s+(?:booked|scheduled|set up|planned|lined up|in the calendar)(?:\s+(?:already|now))?$",
                "Meeting booked",
            ),
            # Contacted
            (
                r"^(?:i\s+|we\s+|i've\s+|we've\s+|i have\s+|we have\s+)?(?:just\s+|already\s+|finally\s+)?(?:called|rang|phoned|emailed|contacted|reached out to|spoke to|spoke with|talked to|talked with|pinged|messaged|texted|got in touch with|got hold of|connected with|followed up with|left a voicemail for|dialed)\s+(?P<ref>.+?)(?:\s+(?:today|yesterday|this morning|earlier|already|just now|last week))?$",
                "Contacted",
            ),
            (
                r"^(?P<ref>.+?)\s+(?:has been|was|got)\s+(?:contacted|called|reached|emailed)(?:\s+(?:today|yesterday|already))?$",
                "Contacted",
            ),
        ]
        for pattern, stage_name in stage_phrases:
            match = re.match(pattern, text, re.I)
            if match:
                stage = self.pipeline.find(stage_name)
                reference = _ref(match.group("ref"))
                if stage is None or not reference:
                    continue
                if re.match(r"^(?:i|we|you|what|who|it|there)$", reference, re.I):
                    continue
                self._check_bulk(reference)
                reference = re.sub(r"\s+(?:both|all|too|as well)$", "", reference, flags=re.I)
                return [
                    ("change_status", {"lead": lead, "status": stage}) for lead in _each(reference)
                ]
        # "John is now in Won", "mark-less" statements naming a stage.
        match = re.match(
            r"^(?P<ref>.+?)(?:['’]s(?=\s)|\s+(?:is|are|'s|has been|was|should be|belongs|goes|needs to be|needs to go|can go|moved|moves|went|got|is moving|now))"
            r"(?:\s+(?:now|already|finally|officially|back))*\s+(?:(?:(?:moved|placed|put|set|marked|changed|updated)\s+)?(?:back\s+)?(?:in|into|to|at|under|in the|on|as)\s+)?(?:the\s+)?(?P<stage>.+?)"
            r"(?:\s+(?:now|as of(?: (?:today|now|this (?:morning|afternoon|evening|week)))?|from (?:today|now on)))?$",
            text,
            re.I,
        )
        if match:
            # "Mei is lost unfortunately": the stage, then a word of feeling
            stage = self.stage(match.group("stage")) or self._stage_then_chatter(
                match.group("stage")
            )
            reference = _ref(match.group("ref"))
            if (
                stage
                and reference
                and not re.match(r"^(?:who|what|which|how many|i|we|it|there)\b", reference, re.I)
            ):
                self._check_bulk(reference)
                return [("change_status", {"lead": reference, "status": stage})]
        match = re.match(
            # a hyphen inside a name ("Hye-jin Cho → Proposal sent") is no arrow
            r"^(?P<ref>.+?)(?:\s*(?:->|=>|→|:|—)\s*|\s+-\s+)(?P<stage>.+)$"
            r"|^(?P<ref2>.+?)\s+to\s+(?P<stage2>.+)$",
            text,
            re.I,
        )
        if match:
            reference = match.group("ref") or match.group("ref2")
            stage = self.stage(match.group("stage") or match.group("stage2"))
            if stage and reference:
                reference = _ref(reference)
                self._check_bulk(reference)
                return [("change_status", {"lead": reference, "status": stage})]
        return None

    def _slang(self, clause: str) -> list[Call] | None:
        """Sales-floor phrasings of a stage move (`lexicon/stage_slang.yaml`)."""
        text = _clean(clause)
        for pattern, stage_name in stage_slang():
            match = pattern.match(text)
            if not match:
                continue
            stage, reference = self.pipeline.find(stage_name), _ref(match.group("ref"))
            if stage is None or not reference or reference.lower() in _NOT_NAMES:
                continue
            if re.search(r"[.!?;:]", reference) or any(
                len(p.split()) > 4 for p in _each(reference)
            ):
                continue  # chatter before the lead: a shorter clause will match
            self._check_bulk(reference)
            return [("change_status", {"lead": lead, "status": stage}) for lead in _each(reference)]
        return None
