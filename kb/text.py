"""Text handling shared by the parts: language guess, tokens, stems, and what is wrong with typed text."""
from __future__ import annotations

import re
import threading
from functools import lru_cache

import Stemmer

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)

# What no text a person typed has: control characters (C0 but tab and line breaks, DEL, and C1, which
# terminals read as escapes), the bidirectional overrides and isolates (U+202E turns what a reader
# sees around) and Unicode's noncharacters. UNTYPED_BMP is written as escapes so that the API's JSON
# Schema patterns say the same (they cannot name lone surrogates, which cannot even be encoded as
# UTF-8, nor the noncharacters past U+FFFF: those only the full filter adds).
UNTYPED_BMP = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ufffe\uffff"
_PLANE_ENDS = "".join(chr(plane * 0x10000 + end) for plane in range(1, 17) for end in (0xFFFE, 0xFFFF))
_UNPRINTABLE = re.compile("[" + UNTYPED_BMP + r"\ud800-\udfff" + _PLANE_ENDS + "]")

# A term of the keyword index: letters and digits, with the parts of a code or name written with
# `-`, `_`, `.` or `/` (E-4012, ERR_CONN, Wi-Fi, 24/7) kept together.
_TERM = re.compile(r"[^\W_]+(?:[-_./][^\W_]+)*")
_JOINER = re.compile(r"[-_./]")
_DIGIT = re.compile(r"\d")
# Words too common to tell articles apart (the Snowball stop lists, as whoosh had them).
STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can did do does doing don down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own s same she
should so some such t than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
you your yours yourself yourselves
а без более больше будет будто бы был была были было быть в вам вас вдруг ведь во вот впрочем все
всегда всего всех всю вы где да даже два для до другой его ее ей ему если есть еще ж же за зачем
здесь и из или им иногда их к как какая какой когда конечно кто куда ли лучше между меня мне много
может можно мой моя мы на над надо наконец нас не него нее ней нельзя нет ни нибудь никогда ним них
ничего но ну о об один он она они опять от перед по под после потом потому почти при про раз разве с
сам свою себе себя сейчас со совсем так такой там тебя тем теперь то тогда того тоже только том тот
три тут ты у уж уже хорошо хоть чего чем через что чтоб чтобы чуть эти этого этой этом этот эту я
""".split())
_stemmers = threading.local()  # a PyStemmer stemmer serves one thread at a time


def unprintable(text: str) -> str | None:
    """The first control character or lone surrogate in `text`, described (None when there is none)."""
    found = _UNPRINTABLE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def guess_language(text: str) -> str:
    """`ru` or `en` by alphabet; good enough for the two languages the service speaks."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    return "ru" if cyrillic > latin else "en"


def fold(text: str) -> str:
    return text.lower().replace("ё", "е")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Stem one lower-case word with the stemmer of its own alphabet."""
    stemmers = getattr(_stemmers, "value", None)
    if stemmers is None:
        stemmers = _stemmers.value = {"ru": Stemmer.Stemmer("russian"), "en": Stemmer.Stemmer("english")}
    return stemmers["ru" if _CYRILLIC.search(word) else "en"].stemWord(word)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def same_text(text: str) -> str:
    """The text as compared for "the same text" (a repeated question, a wording an article already
    has): lower case, ё as е, words only."""
    return " ".join(words(text))


def name_terms(text: str, lang: str) -> set[str]:
    """The terms of a text written as a code or a name rather than a word: with a digit (E-4012,
    SPRING25), in the other alphabet than the text's language (chargeback in Russian text), or with
    a capital after the first letter (ERR_CONN, SMS, iPhone, ТурбоДоставка). A capital at a word's
    start says little: sentences, list items and button labels start with one too."""
    other_alphabet = _LATIN if lang == "ru" else _CYRILLIC
    found = set()
    for token in _TERM.findall(text):
        parts = _JOINER.split(token)  # SMS-код: the code is a name, not the word it is joined to
        for piece in ([_JOINER.sub("", token)] if len(parts) > 1 else []) + parts:
            if _DIGIT.search(piece) or other_alphabet.search(piece) or piece[1:] != piece[1:].lower():
                found.update(terms(piece))
    return found


_CAMEL = re.compile(r"[^\W\d_][^\W\d_]*?[a-zа-яё][A-ZА-ЯЁ]")  # a capital after a small letter


def proper_name_terms(text: str, lang: str) -> set[str]:
    """The terms of a text that can only be proper names: in the other alphabet than the text's
    (chargeback in Russian text), written in CamelCase (ТурбоДоставка, iPhone) or joined by an
    underscore (ERR_CONN). Not words in capitals: СРОЧНО, PIN, ПИН-код are shouting and abbreviations."""
    other_alphabet = _LATIN if lang == "ru" else _CYRILLIC
    found = set()
    for token in _TERM.findall(text):
        if "_" in token or _CAMEL.search(token):
            found.update(terms(token))
            continue
        for piece in _JOINER.split(token):
            if other_alphabet.search(piece):
                found.update(terms(piece))
    return found


def terms(text: str) -> list[str]:
    """The keyword index's terms of a text, in order: stop words dropped, words stemmed by their
    alphabet, anything with a digit kept as written. A code or name with joiners counts whole
    (`e4012`) and by its parts (`e`, `4012`), so `E-4012`, `e4012` and `E 4012` all meet it."""
    found = []
    for token in _TERM.findall(fold(text)):
        parts = _JOINER.split(token)
        for word in ([_JOINER.sub("", token)] if len(parts) > 1 else []) + parts:
            if word not in STOP_WORDS:
                found.append(word if _DIGIT.search(word) else stem(word))
    return found


def text_problem(value, label: str, limit: int) -> str | None:
    """What is wrong with one piece of typed text (None for nothing, or for no text at all).

    The length is checked first, so nothing slower than a length ever runs on a huge input;
    then control characters (tab and line breaks are fine) and lone surrogates, which no person
    types and PostgreSQL refuses."""
    if value is None:
        return None
    if not isinstance(value, str):
        return f"{label} must be text"
    if len(value) > limit and len(value.strip()) > limit:
        return f"{label} is longer than {limit} characters"
    found = unprintable(value)
    if found:
        return f"{label} contains a control character ({found})"
    return None
