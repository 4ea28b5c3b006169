"""Text handling shared by indexing and search: language guess, tokens, stems."""
from __future__ import annotations

import re
from functools import lru_cache

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StopFilter
from whoosh.lang.snowball.english import EnglishStemmer
from whoosh.lang.snowball.russian import RussianStemmer
from whoosh.lang.stopwords import stoplists

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)

# Control characters (but tab and line breaks) and lone surrogates: no text a person typed has them,
# PostgreSQL refuses NUL in text, and a lone surrogate cannot even be encoded as UTF-8.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

_ru_stem = RussianStemmer().stem
_en_stem = EnglishStemmer().stem


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
    if _CYRILLIC.search(word):
        return _ru_stem(word)
    return _en_stem(word)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


class BilingualStemFilter(Filter):
    """Stems each token by its alphabet, so one field holds Russian and English text."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = stem(token.text.replace("ё", "е"))
            yield token


def analyzer():
    stop_words = frozenset(stoplists["en"]) | frozenset(stoplists["ru"])
    return (RegexTokenizer(r"\w+") | LowercaseFilter()
            | StopFilter(stoplist=stop_words, minsize=1) | BilingualStemFilter())
