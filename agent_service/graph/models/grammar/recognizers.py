"""Typed slots: the recognizers that say what a piece of text is, and only when sure.

Each recognizer either returns a value it is sure of or None (or names the problem): the
grammar writes nothing a recognizer did not place. Money in everyday forms ("$45k", "45,000",
"45 grand", "1.2m", "€8.5k", "45k usd"); ranges are refused and a minus sign is kept (the
action node refuses negative values, never alters them). E-mail addresses, phone numbers,
person names (which words can be part of one: `lexicon/not_names.txt`), company names.
"""

from __future__ import annotations

import re

from agent_service.graph.models.grammar.words import company_words, not_names

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.I)
PHONE = re.compile(
    r"(?<![\w@.])(?:\(\+\d{1,3}\)\s*)?\+?\(?\d[\d\s().\-]{5,}\d(?:\s*(?:x|ext\.?)\s*\d+)?(?![\w@])"
)

_UNITS = {
    "k": 1e3,
    "K": 1e3,
    "grand": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mil": 1e6,
    "million": 1e6,
    "mio": 1e6,
    "mn": 1e6,
    "bn": 1e9,
    "billion": 1e9,
    # South Asian units: "USD 1.2 lakh" is 120,000; "8 lakh" alone is rupees (refused)
    "lakh": 1e5,
    "lakhs": 1e5,
    "lac": 1e5,
    "lacs": 1e5,
    "crore": 1e7,
    "crores": 1e7,
    "cr": 1e7,
}
_CURRENCY = r"(?:usd|eur|gbp|chf|cad|aud|inr|rs\.?|rupees?|dollars?|euros?|pounds?|bucks)"
_AMOUNT = (
    # "12 500 dollars", "40 000": thousands grouped by spaces, as much of Europe writes them
    rf"(?:{_CURRENCY}\s*)?[$€£₹]?\s*(?<![\w.,])(?P<n>\d{{1,3}}(?:[ \u00a0\u202f]\d{{3}})+(?![\d,.])"
    r"|\d(?:[\d,]*\d)?(?:\.\d+)?)\s*"  # a comma after a number ends a clause, not the number
    r"(?P<u>k|mm|m|mil|mio|mn|bn|grand|thousand|million|billion|lakhs?|lacs?|crores?|cr)?\b\s*"
    rf"(?:{_CURRENCY}\b)?"
)
# Rupees, or lakh and crore without a dollar: a deal value is in dollars, so these are asked
# about, never converted by a guess ("8 lakh" is ₹800,000, not $8 nor $800,000).
_RUPEES = re.compile(r"\b(?:inr|rs\.?|rupees?)(?!\w)|₹|\b(?:lakhs?|lacs?|crores?|cr)\b", re.I)
_DOLLARS = re.compile(r"\busd\b|\$|\bdollars?\b|\bbucks\b", re.I)


def _in_rupees(amount: str) -> bool:
    return bool(_RUPEES.search(amount)) and not (
        _DOLLARS.search(amount) and not re.search(r"\b(?:inr|rs\.?|rupees?)(?!\w)|₹", amount, re.I)
    )


MONEY = re.compile(_AMOUNT, re.I)
# "-5000", "−$5k", "minus 5k": a sign touching the amount; "deal - 12,500" is a dash.
_MINUS = re.compile(
    r"(?:(?:^|[\s($€£:=])[-−][$€£]?|\b(?:minus|negative)\s*[$€£]?\s*"
    # "set olga's deal to - 5k": a dash after "to/is/worth" is a minus ("deal - 12,500" is not)
    r"|\b(?:to|is|was|be|at|worth|of|now|'s)\s+[-−]\s*[$€£]?\s*|^\s*[-−]\s*[$€£]?\s*)$",
    re.I,
)
_RANGE = re.compile(
    rf"{_AMOUNT}\s*(?:-|–|—|to|or)\s*{_AMOUNT.replace('?P<n>', '').replace('?P<u>', '')}"
    rf"|\bbetween\s+{_AMOUNT.replace('?P<n>', '').replace('?P<u>', '')}\s+and\b",
    re.I,
)


RANGE = _RANGE  # "40-50k", "between 40 and 50k": where a range is written

# An address read out loud, as speech-to-text writes it: "aoife at wicklowbrand dot ie",
# "nikos dot g at aegean dot com dot au". Only with a "dot" before a domain ending.
_SPOKEN_EMAIL = re.compile(
    r"(?<![\w@.])(?P<user>[a-z0-9][\w+-]*(?:\s+(?:dot|underscore)\s+[a-z0-9][\w+-]*)*)\s+at\s+"
    r"(?P<domain>[a-z0-9][\w-]*(?:\s+dot\s+[a-z0-9][\w-]*)*\s+dot\s+[a-z]{2,6})(?![\w@])",
    re.I,
)


# Hesitations speech-to-text writes down ("new lead um aoife gallagher"): never data.
_HESITATION = re.compile(r"(?<![\w'’-])(?:u+m+|u+h+m*|e+r+m+|er|hmm+|mm+)(?![\w'’-])[,.]?\s*", re.I)


# Contractions typed or dictated without their apostrophe ("whos in proposal sent").
_NO_APOSTROPHE = re.compile(r"\b(who|what|where|he|she|they|that)(s|re)\b", re.I)
_CONTRACTED = {"whos", "whats", "wheres", "hes", "shes", "theyre", "thats"}


# Markdown from a chat client ("**name:** Mei-Ling Chou", "`mchou@x.ca`") and list markers
# at a line's start ("1. Ngozi's last name…", "- they're sending redlines").
_MARKDOWN = re.compile(r"\*\*|__|`+|(?<!\w)\*(?=\S)|(?<=\S)\*(?!\w)")
_LIST_MARK = re.compile(r"^[ \t]*(?:\d{1,2}[.)]|[-*•▪◦])[ \t]+", re.M)


def _lines_as_sentences(text: str) -> str:
    """Lines of a multi-line message ended like sentences, so a list item is its own clause;
    a heading before list items ("post-standup moves:") is a sentence of its own too."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return text
    items = [bool(_LIST_MARK.match(line)) for line in lines]
    ended = []
    for index, line in enumerate(_LIST_MARK.sub("", line) for line in lines):
        heading = line.endswith(":") and index + 1 < len(lines) and items[index + 1]
        if heading:
            line = f"{line[:-1]}."
        ended.append(line if line[-1] in ".!?:;,👇" else f"{line}.")
    return " ".join(ended)


# Greetings typed long ("hiii", "heyyy", "hellooo", "okkk"): the word itself.
_ELONGATED = (
    (re.compile(r"\bh+i{2,}\b", re.I), "hi"),
    (re.compile(r"\bh+e+y{2,}\b|\bhe{2,}y+\b", re.I), "hey"),
    (re.compile(r"\bhel{2,}o{2,}\b", re.I), "hello"),
    (re.compile(r"\bok{2,}\b", re.I), "ok"),
)


# "thanks a million": thanks, never an amount
_THANKS_A_MILLION = re.compile(
    r"\b(?P<t>thanks|thank you|thx|ty|cheers)\s+a\s+(?:million|mil|bunch|ton)\b|\ba\s+million\s+thanks\b",
    re.I,
)


def as_typed(text: str) -> str:
    """A dictated or formatted message as it would have been typed: hesitations and markdown
    dropped, list lines as sentences, addresses read out loud written as addresses, "whos"
    written "who's"."""
    text = _THANKS_A_MILLION.sub(lambda m: m["t"] or "thanks", text)
    for long, word in _ELONGATED:
        text = long.sub(word, text)
    text = _lines_as_sentences(_MARKDOWN.sub("", text))
    text = _LIST_MARK.sub("", text)
    text = re.sub(r"\b(leads|they|who|u|you|we|ppl|people)\s+r\b", r"\1 are", text, flags=re.I)
    text = spoken_emails(_HESITATION.sub("", text)).strip() or text
    # a note's own words after its colon are kept as typed ("call after 3pm, hes driving")
    note = re.search(r"\bnotes?\b[^:]{0,60}:", text, re.I)
    head, tail = (text[: note.end()], text[note.end() :]) if note else (text, "")
    return (
        _NO_APOSTROPHE.sub(
            lambda m: f"{m[1]}'{m[2]}" if m[0].lower() in _CONTRACTED else m[0], head
        )
        + tail
    )


def spoken_emails(text: str) -> str:
    """The message with addresses read out loud written as addresses."""

    def written(match: re.Match[str]) -> str:
        user = re.sub(r"\s+dot\s+", ".", match.group("user"), flags=re.I)
        user = re.sub(r"\s+underscore\s+", "_", user, flags=re.I)
        domain = re.sub(r"\s+dot\s+", ".", match.group("domain"), flags=re.I)
        return f"{user}@{domain}".lower()

    return _SPOKEN_EMAIL.sub(written, text)


def money_problem(text: str) -> str | None:
    """Why `text` is not one amount: a range ("40-50k", "between 40 and 50k"), or None."""
    if _RANGE.search(text) and not PHONE.fullmatch(text.strip()):
        return "please give one amount, not a range"
    match = MONEY.search(spell_numbers(text))
    if match and match.group("n") and _in_rupees(match.group(0)):
        return "deal values are in US dollars and that amount is in rupees; please give it in USD"
    return None


_SMALL = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
        " fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {
    w: 10 * i
    for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_NUMBER_WORD = "|".join([*_SMALL, *_TENS, *_SCALES])
_NUMBER_WORDS = re.compile(
    rf"\b(?:a\s+(?=hundred|thousand|million))?(?:{_NUMBER_WORD})"
    rf"(?:(?:[\s-]+(?:and[\s-]+)?)(?:{_NUMBER_WORD}))*\b",
    re.I,
)


def _words_value(words: str) -> int | None:
    """ "forty five thousand" → 45000, "a hundred and twenty thousand" → 120000; None when
    the words are not one number ("two three")."""
    total, current, last = 0, 0, ""
    for word in re.split(r"[\s-]+", words.lower()):
        if word in {"and", ""}:
            continue
        if word == "a":
            current = 1
        elif word in _SMALL:
            if last in _SMALL or (last in _TENS and _SMALL[word] >= 10):
                return None
            current += _SMALL[word]
        elif word in _TENS:
            if last in _SMALL or last in _TENS:
                return None
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * _SCALES[word]
            current = 0
        last = word
    return total + current


_DIGIT_WORDS = "zero one two three four five six seven eight nine".split()
# "one point five mil", "two point two five million": a decimal read out loud
_POINT = re.compile(
    rf"\b(?P<whole>{'|'.join(_SMALL)}|\d+)\s+point\s+(?P<frac>(?:(?:{'|'.join(_DIGIT_WORDS)}|\d)\b\s*)+)",
    re.I,
)


def _decimal(match: re.Match[str]) -> str:
    whole = match.group("whole").lower()
    number = whole if whole.isdigit() else str(_SMALL[whole])
    frac = "".join(
        w if w.isdigit() else str(_DIGIT_WORDS.index(w.lower()))
        for w in match.group("frac").split()
    )
    return f"{number}.{frac} "


def spell_numbers(text: str) -> str:
    """ "forty five thousand" → "45000": amounts written in words, as digits."""
    text = _POINT.sub(_decimal, text)

    def digits(match: re.Match[str]) -> str:
        words = set(re.split(r"[\s-]+", match.group(0).lower()))
        unit = re.match(r"\s*(?:k|grand|bucks|dollars|euros|pounds)\b", text[match.end() :], re.I)
        if words <= {*_SCALES, "and"} or not (words & set(_SCALES) or unit):
            return match.group(0)  # "1.5 million", "the other one": not an amount in words
        value = _words_value(match.group(0))
        return str(value) if value is not None else match.group(0)

    return _NUMBER_WORDS.sub(digits, text)


def parse_money(text: str) -> float | None:
    """The first amount in `text`: `$12,000` → 12000, `5k` → 5000, `1.5m` → 1500000,
    `20 grand` → 20000, `forty five thousand` → 45000, `-5000` → -5000 (kept: the action
    node refuses it); None for none."""
    text = spell_numbers(text)
    match = MONEY.search(text)
    if not match:
        return None
    return _amount(match, text)


def money_values(text: str) -> list[float]:
    """Every amount in `text`, each with its sign ("actually make it -5000" → [-5000])."""
    text = spell_numbers(text)
    found = (_amount(match, text) for match in MONEY.finditer(text) if match.group("n"))
    return [value for value in found if value is not None]


def _amount(match: re.Match[str], text: str) -> float | None:
    """The value of one MONEY match in `text`, negative when a minus sign touches it."""
    digits = re.sub(r"(?<=\d)[ \u00a0\u202f](?=\d{3})", "", match.group("n"))
    if _in_rupees(match.group(0)):
        return None  # asked about (`money_problem`), never converted
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?", digits) is None:
        return None  # "4,50" is not a number we are sure of
    number = float(digits.replace(",", ""))
    number *= _UNITS.get((match.group("u") or "").lower(), 1)
    if _MINUS.search(text[: match.start("n")]):
        number = -number
    return number


# Where a name is written, said after it ("… on his card", "… on the contract"): no part of it.
WHERE_WRITTEN = (
    r"(?:on|in)\s+(?:the|her|his|their)\s+(?:contract|invoice|po|paperwork|e-?mail|card"
    r"|business card|email signature|signature|linkedin|website|docs|documents)\b"
)

# A title before a name ("Mr. Park", "Mrs Layla Nasr", "Dr. Okafor"): no part of the name.
TITLE = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr|prof|sir|madam|mme|herr|frau)\.?\s+(?=\S)", re.I)

# Lower-case particles inside a name ("Pieter de Boer", "Ana da Silva", "Omar bin Said").
NAME_PARTICLES = frozenset(
    "de da van von der den del della la le di du dos das bin binti al el ter ten y e".split()
)

_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:['’.-][^\W\d_]*)*\.?$")


def is_person_name(text: str) -> bool:
    """ "Aisha Bello", "o'brien", "J. Smith", "Ana-María": 1 to 4 name-like words, none of
    them a word that is never a name ("new lead", "wants a demo in March")."""
    words = text.split()
    if not 1 <= len(words) <= 4:
        return False
    stop = not_names()
    for word in words:
        if not _NAME_WORD.match(word) or word.lower().strip(".") in stop:
            return False
    return not looks_like_company(text)


def looks_like_company(text: str) -> bool:
    """ "Meridian Solar", "Globex Inc.": a word that marks a company (after the first)."""
    words = [w.lower().strip(",") for w in text.split()]
    marks = company_words()
    return any(w in marks or w.rstrip(".") in marks for w in words[1:]) or (
        len(words) == 1 and words[0] in marks
    )


def person_name_prefix(text: str) -> tuple[str, str]:
    """ "Aisha Bello wants a demo" → ("Aisha Bello", "wants a demo"): the longest run of
    leading capitalised words (up to 4) that is a name, and the rest; ("", text) if none."""
    words = text.split()
    for size in range(min(4, len(words)), 0, -1):
        head = words[:size]
        rest = words[size:]
        if len(rest) == 1 and size > 1 and looks_like_company(f"x {rest[0]}"):
            continue  # "Priya Raman Chennai Cloud": "Cloud" alone is no company
        if all(w[:1].isupper() for w in head) and is_person_name(" ".join(head)):
            return " ".join(head), " ".join(rest)
    return "", text


_NOT_COMPANY = re.compile(
    r"(?:,|\bnot\b|\bbut\b|\bwants?\b|\bneeds?\b|\bsaid\b|\basked\b|\bcalled\b|\bmeeting\b"
    r"|\be-?mail\b|\bphone\b|\bworth\b|\bvalued?\b|\bapprox\w*|\broughly\b|@)",
    re.I,
)


def is_company(text: str) -> bool:
    """A company name as written ("Meridian Solar", "Bank of America", "AT&T", "X Labs"):
    1 to 6 words, with no comma and no words of a sentence ("X Labs, not X")."""
    words = text.split()
    if not 1 <= len(words) <= 6 or _NOT_COMPANY.search(text):
        return False
    if text == text.lower() and re.search(
        r"\b(?:in|out|near|on|for|with|from|around|by|to|outside|after|before)\b", text
    ):
        return False  # "dental clinic out in parramatta": a description typed in lower case
    return not all(w.lower() in not_names() for w in words)
