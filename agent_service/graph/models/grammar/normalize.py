"""Stage 1, normalization: emoji and emoticons out, polite wrappers and sign-offs off
("can u … pls 🙏 thx"), references and stage words without filler.
"""

from __future__ import annotations

import re
from functools import cache

from agent_service.graph.models.grammar.vocabulary import _PRONOUN_OWNER
from agent_service.graph.models.grammar.words import _yaml, fillers, fix_field_typos, fix_verb_typo

_POLITE_PREFIX = re.compile(
    r"^(?:(?:hey|hi|hello|dear|hi dear|hello dear|ok|okay|so|alright|right|well|um|uh|oh|and|also|then|now|actually"
    r"|quick one|quickly|btw|by the way|oops|sorry|great|cool|thanks|perfect|wait|no wait"
    r"|forget it|forget that|never mind|nevermind|hmm|ah|oh well|fine|good|nice|excellent)[,!.:]?\s+"
    r"|(?:would|could|will) you be (?:so kind|kind enough) (?:as )?to\s+|would you mind\s+"
    r"|(?:can|could|would|will) (?:you|u|ya|y'all|yall|you all|you guys)(?: please| pls| plz| kindly)?\s+"
    r"|please\s+|pls\s+|plz\s+|kindly\s+"
    r"|(?:can|could|shall) we(?: please| pls| kindly)?(?:\s+(?:get|have|see)(?=\s+(?:the|a|an)\s))?\s+"
    # "please ensure I have a list of …", "I need a list of …": the list is the question
    r"|(?:please\s+)?(?:ensure|make sure)\s+(?:that\s+)?(?:i|we)\s+(?:have|get)\s+(?:a\s+)?(?:list|rundown) of\s+"
    r"|(?:i|we) need (?:a\s+)?(?:list|rundown) of\s+"
    r"|(?:kindly |please )?(?:note|be advised|fyi)(?: that)?[,:]?\s+(?=\S+(?:\s+\S+)?\s+(?:is|are|has|should)\b)"
    r"|(?:please )?(?:ensure|make sure) (?:that\s+)?(?=\w+(?:\s+\w+)?(?:'s|’s)\s)"
    r"|i(?:'d| would) like (?:you )?to\s+|i want (?:you )?to\s+|i need (?:you )?to\s+"
    r"|i wanna\s+|let's\s+|lets\s+|go ahead and\s+|just\s+|you can\s+|help me\s+"
    r"|i think (?:we|you) should\s+|(?:we|you) should\s+|(?:we|i) need to\s+|(?:we|i) have to\s+"
    r"|i(?:'d| would) like\s+(?=(?:a|the) (?:list|details))"
    r"|(?:no|nope|nah)(?:[,!.]?\s+(?:no|nope|nah))+[,!.]?\s+"  # "no no no undo that"
    r"|(?:when|if) (?:you|u) (?:get|have|got) a (?:sec|second|minute|moment|chance)[,]?\s+"
    r"|(?:if|when) (?:you|u) (?:can|could)[,]?\s+|(?:whenever|when) (?:you're|ur|you are) free[,]?\s+"
    r")+",
    re.I,
)


_POLITE_SUFFIX = re.compile(
    r"(?:[,\s]+(?:please|pls|plz|thanks|thank you|thx|for me|asap|now|right now|too|as well"
    r"|again|real quick|quickly|today|yesterday|this morning|this afternoon|just now|at last"
    r"|finally|for real))+$",
    re.I,
)


_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]+")


_EMOTICON = re.compile(r"(?<!\S)(?:[:;=]-?[()DPp/\\|*]+|<3|\^\^|xD)(?!\S)")


@cache
def _spanish() -> tuple[frozenset[str], tuple[tuple[re.Pattern[str], str], ...]]:
    data = _yaml("spanish.yaml")
    rules = tuple(
        (re.compile(pattern, re.I), replacement) for pattern, replacement in data["rules"]
    )
    return frozenset(str(data["markers"]).lower().split()), rules


_NOTE_COLON = re.compile(r"\b(?:nota|note|notes|jot(?:\s+down)?|apunta|anota)\b[^:]{0,40}:", re.I)


def in_english(text: str) -> str:
    """A Spanglish request in the English the grammar reads (`lexicon/spanish.yaml`): "pásala
    a Won porfa" → "move her to Won please". A note's own words, after its colon, are kept."""
    markers, rules = _spanish()
    if not markers & set(re.findall(r"[^\W\d_]+", text.lower())):
        return text  # no Spanish word: English as typed
    note = _NOTE_COLON.search(text)
    head, tail = (text[: note.end()], text[note.end() :]) if note else (text, "")
    for pattern, replacement in rules:
        head = pattern.sub(replacement, head)
    return " ".join(head.split()) + (tail if tail else "")


# An emoji between two sentences ends the first: "lost brampton to a competitor 🙄 they went …"
_EMOJI_BETWEEN = re.compile(
    "(?<=[a-z0-9%)])\\s+[\U0001f000-\U0001faff\u2600-\u27bf][\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]*\\s+(?=[A-Za-z]{2,}\\s+[a-z])"
)


def _clean(text: str) -> str:
    text = _EMOJI_BETWEEN.sub(". ", text)
    text = _EMOTICON.sub(" ", _EMOJI.sub(" ", text)).strip().strip("\"'`").strip()
    text = re.sub(r"\s+", " ", text)
    return text.rstrip(" .!?,;:")


@cache
def _openers() -> re.Pattern[str]:
    """Chatter at a clause's start from `lexicon/fillers.yaml` ("anyway", "good news")."""
    words = sorted((re.escape(w) for w in fillers()[0]), key=len, reverse=True)
    # need no comma after them (dictated messages have none: "yeah so bump niamh to …")
    bare = (
        "anyway|anyways|btw|fyi|so anyway|long story short|yeah so|so yeah|yeah|yea|yep|yup"
        "|ok so|okay so|right so|alright so|k|kk|okk|mkay"
    )
    return re.compile(rf"^(?:(?:{'|'.join(words)})(?:\s*[,!.:—-]+\s*|\s*$)|(?:{bare})\s+)+", re.I)


@cache
def _closers() -> re.Pattern[str]:
    """Sign-offs from `lexicon/fillers.yaml` ("lol", "cheers", "when you get a chance")."""
    words = sorted((re.escape(w) for w in fillers()[1]), key=len, reverse=True)
    return re.compile(rf"(?:[,\s]+(?:{'|'.join(words)}))+$", re.I)


def _strip_politeness(text: str) -> str:
    previous = None
    while previous != text:
        text = fix_field_typos(fix_verb_typo(_openers().sub("", text).strip()))
        previous = text
        text = _POLITE_PREFIX.sub("", text).strip()
        text = _POLITE_SUFFIX.sub("", text).strip()
        text = _closers().sub("", text).strip()
        text = text.rstrip(" .!?,;:").strip()
    return text


def _stage_words(text: str) -> str:
    """ "the Proposal sent column" → "Proposal sent"."""
    cleaned = re.sub(r"^(?:the|a|an)\s+", "", _clean(text), flags=re.I)
    return re.sub(
        r"\s+(?:stage|column|status|phase|bucket|list|pile|lane)$", "", cleaned, flags=re.I
    )


# What a dictated company drags along: the labels of the values read out of it ("harbourside
# scaffolding email … worth about 30k" → "harbourside scaffolding email worth about"), or
# when ("joined Freshleaf Systems last month").
_COMPANY_TAIL = re.compile(
    r"(?:\s+(?:(?:her|his|their|the|and|,)\s+)?(?:her|his|their|e-?mail(?:\s+address)?|phone(?:\s+number)?|ph|mob"
    r"|mobile|cell|tel|number|worth|valued?(?:\s+at)?|deal(?:\s+size)?|budget|about|around|approx"
    r"|approximately|roughly|is|of|at|last\s+(?:week|month|year|quarter)|this\s+(?:week|month|year)"
    r"|yesterday|today|recently|lately|now|already|since|in\s+(?:january|february|march|april|may"
    r"|june|july|august|september|october|november|december)))+\s*$",
    re.I,
)


def trim_company(text: str) -> str:
    """ "Freshleaf Systems last month" → "Freshleaf Systems": a company without the labels and
    times that followed it."""
    trimmed = _COMPANY_TAIL.sub("", text)
    return trimmed if trimmed.strip() else text


def _company(text: str) -> str:
    """A company as written: "Globex Inc." keeps its dot; "Finch at the expo" loses the rest."""
    name = re.sub(
        r"\s+(?:at|on|in|during|over|after)\s+(?:the|a|an|our|their|last|this)\s+.*$",
        "",
        _clean(text),
        flags=re.I,
    )
    name = trim_company(name)
    if re.search(rf"\b{re.escape(name.split()[-1] if name else '')}\.", text) and re.search(
        r"\b(?:inc|ltd|co|corp|llc|plc|bros|intl)$", name, re.I
    ):
        name += "."
    return name


def _ref(text: str) -> str:
    """A lead reference as the matcher expects it: no quotes, possessive or filler."""
    text = _clean(text)
    # "bruno switched agencies, company is now …": the news is no part of the name
    text = re.sub(
        r"\s+(?:has\s+)?(?:switched|changed|moved|left|swapped)\s+(?:jobs?|agencies|agency|companies"
        r"|firms?|roles?|employers?)$",
        "",
        text,
        flags=re.I,
    )
    # "Gustavo Ribeiro (the one with no email)": a remark about which one, not the name
    text = re.sub(r"\s*\((?:the one|the|who|that|with|not|i think)\b[^)]*\)", "", text, flags=re.I)
    text = re.sub(
        r"^(?:lead|contact|prospect|client|customer|deal|the lead|the contact)\s+",
        "",
        text,
        flags=re.I,
    )
    text = re.sub(
        r"(?:'s|’s)\s+(?:deal|deal value|value|budget|account|opportunity|opp|opps|contract|pipeline"
        r"|order|quote|proposal)$",
        "",
        text,
        flags=re.I,
    )
    text = re.sub(
        r"\s+(?:just|finally|already|actually|officially|really|totally|now)$", "", text, flags=re.I
    )
    # "the waitemata homes job", "the Kowalski project": the work names the lead
    text = re.sub(
        r"(?<=\w)(?:'s|’s)?\s+(?:job|project|install|fit-?out|reno|renovation|build)$",
        "",
        text,
        flags=re.I,
    )
    text = re.sub(r"(?:'s|’s|s')$", "", text)
    text = re.sub(
        r"(?<=\w)\s+(?:up|back|down|over|along|forward|ahead)$", "", text, flags=re.I
    )  # "bump liam up"
    owned = re.match(
        r"^(his|her|their|its|the|this|that)\s+(?:deal|lead|account|opportunity|opp|one|contact)$",
        text,
        re.I,
    )
    if owned:  # "his deal", "the deal": the lead in focus
        return _PRONOUN_OWNER[owned.group(1).lower()]
    owner = text.lower()
    if owner in _PRONOUN_OWNER and owner not in {"the", "this", "that"}:
        return _PRONOUN_OWNER[owner]
    return text.strip()


def _strip_title(text: str) -> str:
    return re.sub(r"^(?:called|named|name:?|mr\.?|ms\.?|mrs\.?|dr\.?)\s+", "", text, flags=re.I)
