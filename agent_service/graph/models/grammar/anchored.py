"""The anchored reading: a free-form message read around the stored leads it names.

When the clause grammar finds no request in a message ("INKED IT!!! gustavo signed the
contract 🥂", "chuck tayla in lost", a story with one instruction in it), or passes on a
lead reference that names nobody ("closed-lost on brandon" → 'closed'), this reading starts
from what is certain instead of from the sentence's shape:
- the lead: the stored leads the router found named in the message (`graph/grounding.py`);
  one lead, or one word naming several (then the lead matcher asks which), or a pronoun;
- typed values: a stage (a stage name or typo of one after a move word, or a sales phrase
  that states the move, `lexicon/stage_cues.yaml` and `stage_slang.yaml`), an amount with a
  value word, a new e-mail address, a phone number with a phone word;
- the cue that asks for the write (a move verb, a field word) or for a look-up (a question).
It writes only typed values, never leftover words; a message it cannot read this way, or whose
move is negated or hypothetical ("hasn't signed yet", "if he signs"), is left to the grammar's
answer. Two different leads named at once are not guessed between.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from agent_service.graph.models.grammar.normalize import _clean
from agent_service.graph.models.grammar.recognizers import (
    _MINUS,
    EMAIL,
    MONEY,
    PHONE,
    RANGE,
    parse_money,
    spell_numbers,
)
from agent_service.graph.models.grammar.vocabulary import Call
from agent_service.graph.models.grammar.words import _one_edit, _yaml, stage_words
from agent_service.leads.matching import normalize

_PRONOUNS = {
    "him": "him",
    "her": "her",
    "he": "him",
    "she": "her",
    "his": "him",
    "hers": "her",
    "them": "them",
    "they": "them",
    "their": "them",
    "theyre": "them",
}
# Words that ask for a write. Typos of the common ones are in `lexicon/typos.txt` and
# corrected by normalization; these are looked for anywhere in the message.
_MOVE = re.compile(
    r"\b(?:move|moved|moving|put|putting|set|setting|mark|marked|marking|change|changing|update"
    r"|updated|updating|bump|bumped|push|pushed|drag|shift|switch"
    r"|chuck|pop|popping|stick|throw|toss|slide|slot|flip|advance|progress|promote|demote"
    r"|stage|status|book it|mark it|put it|log it)\b"
    r"|->|→|=>",
    re.I,
)
_DELETE = re.compile(
    r"\b(?:delete|remove|get rid of|trash|bin|erase|wipe|purge|nuke|scrap)\b", re.I
)
# A delete asked for first thing: "pls delete Zhou Xin, DQ'd", "can you remove Tom, he's dead".
_DELETE_FIRST = re.compile(
    r"^\W*(?:(?:pls|please|plz|kindly|can you|could you|can u|hey|ok)[,\s]+)*(?:delete|remove"
    r"|get rid of|erase|purge|nuke)\s+(?!that\b|it\b|this\b)",
    re.I,
)
_QUESTION = re.compile(
    r"^(?:what|whats|what's|who|whos|who's|which|where|how|when|is|are|does|do|has|have|any|did|was|were"
    r"|can you (?:tell|show|give|find|pull)|tell me|show me|gimme|give me|pull up|look up"
    r"|lookup|find|check)\b",
    re.I,
)
_UNSURE = re.compile(
    r"\b(?:not|never|no longer|isn't|isnt|hasn't|hasnt|haven't|havent|didn't|didnt|doesn't"
    r"|doesnt|won't|wont|aren't|arent|wasn't|wasnt|if|unless|might|maybe|may|perhaps"
    r"|hopefully|probably|possibly|likely|once|gonna|going to|will|about to|yet|almost|nearly"
    r"|should|could|would|supposed|planning|plan to|hoping|hope|expect|expecting|try to)\b",
    re.I,
)
# A doubt anywhere in the message (what is still to come is no doubt of what was done).
_HEDGE = re.compile(
    r"\b(?:not|never|no longer|isn't|isnt|hasn't|hasnt|haven't|havent|didn't|didnt|doesn't"
    r"|doesnt|won't|wont|aren't|arent|wasn't|wasnt|if|unless|might|maybe|may|perhaps"
    r"|hopefully|probably|possibly|likely|yet|almost|nearly|supposed|hoping|hope)\b",
    re.I,
)
_POLITE = re.compile(
    r"\b(?:could|would|will|can|might)\s+(?:you|u|ya|y'all|yall|you all|you guys)\b"
    r"|\b(?:can|could|shall) we\b|\bbe so kind as to\b|\bwould you mind\b|\bif you could\b"
    r"|\bif (?:you|u) (?:get|have) a (?:sec|second|minute|moment|chance)\b",
    re.I,
)
_VALUE_WORDS = re.compile(
    r"\b(?:value|valued|deal|deal size|worth|budget|price|pricing|priced|contract|acv|arr|mrr"
    r"|tcv|revenue|amount|comes to|came to|total|ticket|order|po|invoice|signed for|closed for"
    r"|closed at|at)\b|[$€£]",
    re.I,
)
_MONEY_MARK = re.compile(
    r"[$€£]|\b(?:k|m|mm|mil|bn|grand|thousand|million|billion|usd|eur|gbp|dollars?|bucks|euros?"
    r"|pounds?)\b",
    re.I,
)
_EMAIL_WORDS = re.compile(r"\b(?:e-?mail|mail|address|inbox|addy)\b", re.I)
_PHONE_WORDS = re.compile(
    r"\b(?:phone|number|no\.?|num|cell|mobile|mob|tel|ph|line|landline|whatsapp|wa|contact"
    r"|reach (?:him|her|them) (?:at|on)|call (?:him|her|them) (?:at|on)|digits)\b",
    re.I,
)
_ANSWER = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|go ahead|confirm|confirmed|do it|that's right|thats right)\b",
    re.I,
)
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\s+(?:so|and then|but|then)\s+|\s+-\s+|,\s+")


@cache
def _cues() -> tuple[tuple[re.Pattern[str], str, bool], ...]:
    """(pattern, stage, strong) for every cue phrase, longest first."""
    data = _yaml("stage_cues.yaml")
    phrases: list[tuple[str, str, bool]] = []
    for stage, items in (data.get("strong") or {}).items():
        phrases += [(str(p).lower(), stage, True) for p in items]
    for stage, items in _yaml("stage_slang.yaml").items():
        for phrase in items:
            text = str(phrase).lower()
            if text.startswith("{lead} "):
                text = text.removeprefix("{lead} ")
            elif text.endswith(" {lead}"):
                text = text.removesuffix(" {lead}")
            else:
                continue  # the lead in the middle ("got {lead} to sign"): the grammar's
            text = re.sub(r"^is\s+", "", text)
            if (
                len(re.sub(r"^(?:the|a|an|our)\s+", "", text).split()) > 1
            ):  # one word ("closed") is too loose: stage_cues.yaml has those
                phrases.append((text, stage, True))
    phrases.sort(key=lambda item: -len(item[0]))
    compiled = []
    for phrase, stage, strong in phrases:
        pattern = re.escape(phrase)
        pattern = re.sub(r"(?:the|a|an|our)\\ ", r"(?:(?:the|a|an|our)\\s+)?", pattern)
        # "sent them the proposal", "sent him over a quote": the one it went to, in between
        pattern = re.sub(
            r"^sent\\ ",
            # "I have sent yesterday the quotation to Nyambura": a when in between, too
            lambda _: (
                _SENT
                + r"\s+(?:(?:him|her|them|over|across|yesterday|today|already|just|finally|also"
                r"|this morning|last night|earlier)\s+){0,3}"
            ),
            pattern,
        )
        # "quotation also sent", "proposal already went out", "the quote has been sent"
        pattern = re.sub(
            r"\\ (sent|out|went\\ out)$", lambda m: _ALSO + r"\ " + m.group(1), pattern
        )
        pattern = pattern.replace(r"\-", r"[-\s]?").replace(r"\ ", r"[-\s]+")
        pattern = pattern.replace("'", "['’]?")
        compiled.append((re.compile(rf"(?<![\w@]){pattern}(?![\w@])", re.I), stage, strong))
    return tuple(compiled)


# Who sent it, and how: "emailed her the proposal", "I send him the quote today morning".
_SENT = (
    r"(?:sent|emailed|e-mailed|mailed|shared|forwarded|submitted|dropped|shot|fired off"
    r"|(?<=\bi\s)send|(?<=\bwe\s)send|(?<=\bi\s)share|(?<=\bwe\s)share)"
)
_ALSO = r"(?:\s+(?:also|already|just|finally|now|was|were|has|have|been|got|is|all))*"
_VERBS = ("move", "put", "mark", "update", "change", "shift", "push", "bump", "chuck", "set")


def _moving(text: str) -> bool:
    """True when the message holds a move verb, or a typo of a common one ("puth", "mvoe")."""
    if _MOVE.search(text):
        return True
    return any(
        _one_edit(word, verb)
        for word in re.findall(r"\b[a-z]{3,6}\b", text.lower())
        for verb in _VERBS
        if abs(len(word) - len(verb)) <= 1 and word[0] == verb[0]
    )


def swapped_stage(phrase: str) -> str | None:
    """A stage word typed with two letters swapped ("lsot"), or one typo in a long one: the
    stage it names. "deal" is no typo of "dead": short words differ by design."""
    word = phrase.lower()
    if len(word) < 4 or " " in word:
        return None
    hits = {
        stage
        for key, stage in _weak().items()
        if len(key) >= 4 and (_transposed(word, key) or (len(word) >= 6 and _one_edit(word, key)))
    }
    return hits.pop() if len(hits) == 1 else None


def _transposed(a: str, b: str) -> bool:
    """True when `a` is `b` with two neighbouring letters swapped."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


@cache
def _weak() -> dict[str, str]:
    """Short stage words ("demo", "prop", "won") → stage: a stage only after a move word."""
    data = _yaml("stage_cues.yaml")
    return {
        str(p).lower(): stage for stage, items in (data.get("weak") or {}).items() for p in items
    }


# Where a stage is named after a move: "to/into/in/as <stage>", "mark her <stage>".
_AFTER_MOVE = re.compile(
    r"(?:(?:^|\s)(?:to|into|in|as|=|->|→|=>|:)|\b(?:mark|marked|set|chuck|pop|put|move|bump|push"
    r"|shift|flip|switch|change)\s+(?:\S+\s+){1,3}?)\s*(?:the\s+)?(?P<s>[\w'’ -]{2,30})",
    re.I,
)


def stages_named(text: str) -> set[str]:
    """The default stages a phrase names anywhere: a stage name or synonym, or a sales
    phrase for one ("the one we sent the proposal to" → Proposal sent)."""
    found = {stage for pattern, stage, _ in _cues() if pattern.search(text)}
    key = f" {normalize(text)} "
    found |= {stage for word, stage in stage_words().items() if f" {normalize(word)} " in key}
    return found


_TERMINAL = frozenset({"Won", "Lost"})


def _someone_else(text: str, entry: dict[str, Any]) -> bool:
    """True when every mention of the lead is beside a capitalised name word that is not
    the lead's: "her name is Nicole Santos" names no Maria Santos."""
    own = set(normalize(entry["name"]).split()) | set(normalize(entry.get("company")).split())
    mentions = 0
    for word in entry["words"]:
        if "@" in word:
            return False
        for match in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.I):
            mentions += 1
            name_word = r"([A-Z][a-zà-ÿ]+(?:[-'’][A-Za-zà-ÿ]+)?)"  # "Nicole", never "CLOSED"
            before = re.search(rf"{name_word}\s+$", text[: match.start()])
            after = re.match(rf"\s+{name_word}(?![\w])", text[match.end() :])
            beside = [m.group(1) for m in (before, after) if m]
            strangers = [
                w for w in beside if normalize(w) not in own and normalize(w) not in _NOT_NAMES_NEAR
            ]
            if not strangers:
                return False
    return mentions > 0


# Capitalised words beside a name that are no name ("Please move Santos", "Mr Santos").
_NOT_NAMES_NEAR = frozenset(
    "please pls move mark put set update and also but the a an mr mrs ms dr sir madam hi hey"
    " hello thanks thank so ok okay yes no dear from at with for to in on of".split()
)


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    out = list(text)
    for start, end in spans:
        out[start:end] = " " * (end - start)
    return "".join(out)


class Anchored:
    """The anchored reading of one message (see the module docstring)."""

    def __init__(
        self,
        stage: Callable[[str], str | None],
        has_stage: Callable[[str], str | None],
        stages: tuple[str, ...] = (),
    ):
        self.stage = stage  # a phrase → the pipeline stage it names (typos too)
        self.has_stage = has_stage  # a default stage name → the pipeline's, if it has it
        self.stages = stages  # the pipeline in order
        self.named = False  # the last `_stage` found its stage after a move word

    def _backward(self, grounded: list[dict[str, Any]], lead: str, stage: str) -> bool:
        """True when `stage` is one of the pipeline's first two (contact, not a milestone) and
        behind the lead's stage now: "Bartek called back" tells of a call; it never takes a
        lead in Proposal sent back to Contacted."""
        entry = next((e for e in grounded if e["name"] == lead), None)
        now = entry.get("status") if entry else None
        if now not in self.stages or stage not in self.stages[:2]:
            return False
        return self.stages.index(stage) < self.stages.index(now)

    # -- the lead --------------------------------------------------------------------------

    @staticmethod
    def target(text: str, grounded: list[dict[str, Any]]) -> str | None:
        """The lead the message is about: a stored lead's full name, one word naming several
        (the matcher asks), a pronoun, or None (none, or two different leads)."""
        if grounded:

            def weight(entry: dict[str, Any]) -> tuple[int, int]:
                exact = len(entry.get("exact", entry["words"]))
                return len(entry["words"]), exact

            by_words = sorted(grounded, key=lambda e: tuple(-w for w in weight(e)))
            best = by_words[0]
            others = [e for e in by_words[1:] if not set(e["words"]) <= set(best["words"])]
            if not others:
                rivals = [
                    e
                    for e in by_words[1:]
                    if set(e["words"]) == set(best["words"]) and weight(e) == weight(best)
                ]
                if rivals:  # "chen" names Chen Wei and Chen Li: the matcher asks which
                    word = max(best["words"], key=len)
                    return word if "@" not in word else None
                return best["name"]
            return None
        words = normalize(text).split()
        for word in words:
            if word in _PRONOUNS:
                return _PRONOUNS[word]
        return None

    # -- typed values ----------------------------------------------------------------------

    def _stage(self, text: str) -> tuple[str | None, bool, list[tuple[int, int]]]:
        """(stage, strong, the spans of the cue) found anywhere in `text`."""
        found: list[tuple[int, int, str, bool]] = []
        taken: list[tuple[int, int]] = []
        for pattern, stage, strong in _cues():
            for match in pattern.finditer(text):
                span = match.span()
                if any(span[0] < end and start < span[1] for start, end in taken):
                    continue
                taken.append(span)
                found.append((*span, stage, strong))
        # A stage name (or a typo of one) right after a move word: "chuck tayla in lsot".
        for match in _AFTER_MOVE.finditer(text):
            words = match.group("s").split()
            while words and words[0].lower() in {"to", "into", "in", "as", "the", "under"}:
                words = words[1:]  # "chuck tayla in lost": the verb's branch took "in lost"
            for size in (3, 2, 1):
                if len(words) < size:
                    continue
                phrase = " ".join(words[:size]).strip(" -'’")
                stage = _weak().get(phrase.lower()) or self.stage(phrase) or swapped_stage(phrase)
                if stage:
                    span = (match.start("s"), match.start("s") + len(phrase))
                    cover = [f for f in found if span[0] < f[1] and f[0] < span[1]]
                    if not any(span[0] < end and start < span[1] for start, end in taken):
                        taken.append(span)
                        found.append((*span, stage, False))
                    elif any(f[2] == stage for f in cover):
                        found.append((*span, stage, False))  # "move her to meeting booked"
                    break
        stages = {self.has_stage(stage) for *_, stage, _ in found} - {None}
        named = {self.has_stage(stage) for *_, stage, strong in found if not strong} - {None}
        last = max(found, default=None, key=lambda f: f[0])
        if len(stages) > 1 and last and last[3] and self.has_stage(last[2]) in _TERMINAL:
            # "ghosted us … after we sent the quote 💀 deal's dead": the story ends closed
            if not any(
                f[3] and self.has_stage(f[2]) in _TERMINAL - {self.has_stage(last[2])}
                for f in found
            ):
                stages = {self.has_stage(last[2])}
        order = [self.has_stage(f[2]) for f in sorted(found)]
        if (
            len(stages) > 1
            and not stages & _TERMINAL
            and all(stage in self.stages for stage in stages)
            and order[-1] == max(stages, key=self.stages.index)
        ):
            # "talked to cody …, so i emailed him the proposal this morning": a story told in
            # order that ends furthest down the pipeline is at its last stage
            stages = {order[-1]}
        if len(stages) > 1 and len(named) == 1 and _moving(text):
            # "… no go finish … abeg move am to Contacted": the stage the move names wins
            stages = named
        if len(stages) != 1:
            return None, False, taken  # none, or two different stages: not this reading
        stage = stages.pop()
        strong = any(s for *_, name, s in found if self.has_stage(name) == stage)
        self.named = any(not s for *_, name, s in found if self.has_stage(name) == stage)
        return stage, strong, taken

    @staticmethod
    def _amount(text: str) -> tuple[float | None, bool]:
        """(the one amount written as money, whether there were several)."""
        amounts: list[float] = []
        money: list[float] = []  # the ones written as money ("38k", "$5,000")
        spelled = spell_numbers(text)
        for match in MONEY.finditer(spelled):
            raw = match.group(0).strip()
            number = match.group("n")
            if not number or not raw:
                continue
            value = parse_money(raw)
            if value is None:
                continue
            marked = bool(_MONEY_MARK.search(raw)) or "," in number
            plain_big = value >= 1000 and not (1900 <= value <= 2100 and len(number) == 4)
            counted = re.match(r"\s*[a-z]{3,}s\b", spelled[match.end() :], re.I)
            if not marked and counted and not _MONEY_MARK.match(counted.group(0).strip()):
                continue  # "5000 catalogues instead of 2000": a count, not money
            if marked or plain_big:
                # the sign is kept: the action node refuses a negative value, never alters it
                negative = _MINUS.search(spelled[: match.start("n")])  # as parse_money reads it
                amounts.append(-value if negative else value)
                if _MONEY_MARK.search(raw):
                    money.append(amounts[-1])
        distinct = set(amounts)
        if len(distinct) == 1:
            return distinct.pop(), False
        if len(set(money)) == 1:  # "5000 catalogues instead of 2000, so the deal is 38k"
            return money[0], False
        return None, len(distinct) > 1

    # -- the reading -----------------------------------------------------------------------

    def read(self, message: str, grounded: list[dict[str, Any]]) -> list[Call] | None:
        """The calls the message asks for, read around the leads it names; None when this
        reading is not sure."""
        calls = self._read(message, grounded)
        if calls is None and len({e["name"] for e in grounded}) > 1:
            return self._by_sentence(message, grounded)
        return calls

    def _by_sentence(self, message: str, grounded: list[dict[str, Any]]) -> list[Call] | None:
        """A story that names several leads, read one sentence at a time: "…svetlana finally
        picked up, we've got a call with her team next tuesday so move her to meeting
        booked. also lorenzo still hasn't replied, i'll chase him later". A sentence's lead
        is the one it names, or for a pronoun the lead named last before it. Only writes
        count; a sentence that names two leads, or doubts its move, writes nothing."""
        sentences = [s for s in re.split(r"(?<=[.!?;])\s+|\n+", message) if s.strip()]
        if len(sentences) < 2:
            return None
        calls: list[Call] = []
        by_pronoun = 0
        last: str | None = None
        for sentence in sentences:
            key = f" {normalize(sentence)} "
            named = [
                e for e in grounded if any(f" {w} " in key for w in e["words"] if "@" not in w)
            ]
            if named:
                found = self._read(sentence, named)
            elif last and any(f" {p} " in key for p in _PRONOUNS):
                found = self._read(sentence, [])
                found = [(n, {**a, "lead": last}) for n, a in found or []]
                by_pronoun += bool(found)
            else:
                found = None
            calls += [c for c in found or [] if c[0] != "find_leads" and c not in calls]
            if len({e["name"] for e in named}) == 1:
                last = named[0]["name"]
        leads = {str(a.get("lead")) for _, a in calls}
        if not calls or (by_pronoun and len(leads) > 1):
            return None
        return calls

    def _read(self, message: str, grounded: list[dict[str, Any]]) -> list[Call] | None:
        text = _clean(message)
        if not text or RANGE.search(text) or _ANSWER.match(text):
            return None  # a range: the grammar refuses it; "yes go ahead, …": an answer
        grounded = [e for e in grounded if not _someone_else(text, e)]
        lead = self.target(text, grounded)
        if lead is None:
            return None
        own_emails = {(e.get("email") or "").lower() for e in grounded}
        emails = [e.lower() for e in EMAIL.findall(text) if e.lower() not in own_emails]
        bare = EMAIL.sub(" ", text)
        phones = [p.strip() for p in PHONE.findall(bare) if len(re.sub(r"\D", "", p)) >= 7]
        no_contacts = PHONE.sub(" ", bare)
        stage, strong, cue_spans = self._stage(no_contacts)
        amount, several = self._amount(no_contacts)
        polite = _POLITE.sub(" ", no_contacts)
        moving = _moving(polite)
        said = PHONE.sub(" ", EMAIL.sub(" ", message))  # _clean drops a final "?"
        asked = _QUESTION.match(polite.strip()) or said.rstrip(" .!)").endswith("?")
        questions = [q for q in re.findall(r"[^.!?]*\?", said) if not _POLITE.search(q)]
        if any(_moving(q) or self._stage(q)[0] for q in questions):
            asked, moving = True, False  # "did i already move him to won?" asks; never moves
        if asked and not moving:
            return [("find_leads", {"lead": lead})]
        if _DELETE.search(polite) and amount is None and not emails + phones:
            if stage is None or _DELETE_FIRST.match(polite.strip()):
                # "pls delete Zhou Xin, DQ'd. student project": the stage word is the reason
                return [("delete_lead", {"lead": lead})]
        calls: list[Call] = []
        named = self.named  # the stage said after a move word, not only told in a story
        if stage and moving and not self._unsure(polite, cue_spans, no_contacts):
            if named or not self._backward(grounded, lead, stage):
                # "…Bartek called back… the deal is more like 38k now. can you update that":
                # the call is news, the update is for the value
                calls.append(("change_status", {"lead": lead, "status": stage}))
        elif (
            stage
            and strong
            and not self._unsure(polite, cue_spans, no_contacts)
            and not _HEDGE.search(_POLITE.sub(" ", _masked(no_contacts, cue_spans)))
        ):
            # a statement of fact ("INKED IT!!! gustavo signed"): its sentence may not doubt
            # it, nor may the message ("not gonna chase him", "hopefully signs"); what comes
            # next may ("quotation also sent yesterday. he will revert by friday"). It only
            # moves a lead forward.
            if not self._backward(grounded, lead, stage):
                calls.append(("change_status", {"lead": lead, "status": stage}))
        fields: dict[str, Any] = {}
        valued = _VALUE_WORDS.search(no_contacts) or (moving and _MONEY_MARK.search(no_contacts))
        if amount is not None and not several and valued:  # "put 12,500 bucks on anders"
            # "she reckons the order will be about 18k, put that on her deal": an estimate is
            # still the deal's value; a negated one is not ("not 18k")
            if not re.search(r"\b(?:not|never|isn't|isnt|no longer)\b", polite, re.I):
                fields["value"] = amount
        if len(set(emails)) == 1 and (_EMAIL_WORDS.search(bare) or moving):
            fields["email"] = emails[0]
        if len(set(phones)) == 1 and (_PHONE_WORDS.search(no_contacts) or moving):
            fields["phone"] = phones[0]
        if fields:
            calls.append(("update_lead", {"lead": lead, **fields}))
        return calls or None

    @staticmethod
    def _unsure(text: str, cue_spans: list[tuple[int, int]], original: str) -> bool:
        """True when the sentence holding the request negates it or makes it hypothetical
        ("hasn't signed yet", "if she signs, move her to Won"). The cue's own words ("not
        interested") do not count."""
        masked = _masked(original, cue_spans) if cue_spans else text
        masked = _POLITE.sub(" ", masked)
        sentences = [s for s in _SENTENCES.split(masked) if s and s.strip()]
        if not sentences:
            return False
        spans = cue_spans or []
        if not spans:
            return any(_UNSURE.search(s) for s in sentences)
        # The sentence(s) holding the cue.
        position = 0
        for sentence in sentences:
            start = masked.find(sentence, position)
            end = start + len(sentence)
            position = max(position, end)
            if any(start <= s < end for s, _ in spans) and _UNSURE.search(sentence):
                return True
        return False
