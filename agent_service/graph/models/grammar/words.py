"""The offline grammar's word lists, read from the data files in `lexicon/`.

The files are the place to extend the grammar's vocabulary (see each file's header):
`stage_slang.yaml` (how salespeople say a lead moved), `stage_words.yaml` (other names of
stages), `fillers.yaml` (chatter and polite wrappers), `not_names.txt` (words that are never
part of a person's name).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

LEXICON = Path(__file__).with_name("lexicon")


def _yaml(name: str) -> dict:
    return yaml.safe_load((LEXICON / name).read_text(encoding="utf-8")) or {}


@cache
def not_names() -> frozenset[str]:
    """Lower-case words that are never part of a person's name."""
    words: set[str] = set()
    for line in (LEXICON / "not_names.txt").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(line.split())
    return frozenset(words)


@cache
def company_words() -> frozenset[str]:
    """Lower-case words that mark a company name ("Solar", "Labs", "Inc.")."""
    words: set[str] = set()
    for line in (LEXICON / "company_words.txt").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(line.split())
    return frozenset(words)


@cache
def stage_words() -> dict[str, str]:
    """Lower-case stage name or synonym → the default stage it names."""
    return {
        str(word).lower(): stage
        for stage, words in _yaml("stage_words.yaml").items()
        for word in words
    }


@cache
def stage_slang() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(pattern with a `ref` group, default stage) for every slang phrase, longest first."""
    phrases = [(str(p), stage) for stage, items in _yaml("stage_slang.yaml").items() for p in items]
    phrases.sort(key=lambda item: -len(item[0]))
    compiled = []
    for phrase, stage in phrases:
        pattern = re.escape(phrase.lower()).replace(r"\{lead\}", "(?P<ref>.+?)")
        # "the" / "a" / "our" before a noun are optional; "-" and " " are the same.
        pattern = re.sub(r"(?:the|a|an|our)\\ ", r"(?:(?:the|a|an|our)\\s+)?", pattern)
        pattern = pattern.replace(r"\-", r"[-\s]?").replace(r"\ ", r"\s+")
        compiled.append((re.compile(rf"^(?:i\s+|we\s+)?{pattern}$", re.I), stage))
    return tuple(compiled)


@cache
def fillers() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(openers, closers): words that carry no request at a message's start or end."""
    data = _yaml("fillers.yaml")
    return tuple(map(str, data.get("openers", []))), tuple(map(str, data.get("closers", [])))


@cache
def glue() -> frozenset[str]:
    """Lower-case words around a request that carry no data (see `fillers.yaml`)."""
    return frozenset(str(_yaml("fillers.yaml").get("glue", "")).lower().split())


def is_chatter(text: str) -> bool:
    """True when every word of `text` is glue ("can you add her as a lead")."""
    words = re.findall(r"[\w'’]+", text.lower())
    return all(word in glue() for word in words)


@cache
def verbs() -> frozenset[str]:
    """Request verbs a first-word typo is corrected to (`lexicon/verbs.txt`)."""
    words: set[str] = set()
    for line in (LEXICON / "verbs.txt").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(line.split())
    return frozenset(words)


def _one_edit(a: str, b: str) -> bool:
    """True when `a` becomes `b` by one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        return len(diff) == 1 or (swapped and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


@cache
def short_typos() -> dict[str, str]:
    """Short misspellings of request verbs ("ad" → "add"), from `lexicon/typos.txt`."""
    pairs: dict[str, str] = {}
    for line in (LEXICON / "typos.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] != "keep" and not line.startswith("#"):
            pairs[parts[0]] = parts[1]
    return pairs


@cache
def kept_words() -> frozenset[str]:
    """Words one typo from a verb that are real words or names (`keep` lines of typos.txt)."""
    words: set[str] = set()
    for line in (LEXICON / "typos.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("keep "):
            words.update(line.split()[1:])
    return frozenset(words)


# Field words a typo in them is corrected to ("emial", "phne", "nmber", "compnay", "stauts"): a
# misspelt field word otherwise becomes part of a lead's name.
_FIELD_TARGETS = (
    "email",
    "phone",
    "number",
    "company",
    "address",
    "mobile",
    "notes",
    "status",
    "value",
)
_KNOWN = frozenset(
    {"note", "mail", "emails", "phones", "numbers", "mobiles", "addresses", "emil", "stats"}
    | {"statue", "states", "valve", "vale", "values", "valued"}
)
_LOWER_WORD = re.compile(r"(?<![\w@.+'’-])[a-z]{4,}(?![\w@'’-]|\.\w)")


def fix_field_typos(text: str) -> str:
    """ "updte his emial to x@y.com" → "… email …": lower-case words one typo from a field
    word. Capitalised words (names as typed) and words inside addresses are left alone."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        before = text[: match.start()].split()
        if word in _FIELD_TARGETS or word in _KNOWN or word in verbs() or word in glue():
            return word
        after = text[match.end() :].split()
        named_field = bool(after) and after[0].lower() in {"of", "for", "on", "to", "is"}
        if (not before or before[-1].lower() in verbs()) and not named_field:
            return word  # "move emil to Won": Emil is the lead, not a misspelt field
        for target in _FIELD_TARGETS:
            if _one_edit(word, target):
                return target
        return word

    return _LOWER_WORD.sub(fix, text)


def fix_verb_typo(text: str) -> str:
    """ "mvoe Tom to Won" → "move Tom to Won": the first word, if one typo from a verb."""
    first, _, rest = text.partition(" ")
    word = first.lower()
    if word in short_typos() and rest:
        return f"{short_typos()[word]} {rest}"
    if len(word) < 4 or word in verbs() or word in kept_words() or not word.isalpha():
        return text
    if any(word in {f"{v}s", f"{v}d", f"{v}r", f"{v}ed"} for v in verbs()):
        return text  # "moved", "updates": the verb itself, inflected
    for verb in sorted(verbs()):
        if _one_edit(word, verb):
            return f"{verb} {rest}" if rest else verb
    return text
