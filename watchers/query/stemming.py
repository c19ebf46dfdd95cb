"""Snowball stemmers by article language, and the dictionary keys a word is matched by.

PyStemmer (the C Snowball library) ships these languages; Ukrainian is not among them (nor in the
pure-Python ``snowballstemmer``), so Ukrainian articles, like those in any other language without a stemmer,
match on exact normalised words. Stemming happens on the case-folded word *before* accents are stripped
(Russian and French stemmers need ``й`` and ``é``); the stem is then stripped of accents like everything else.

English Snowball leaves derivational pairs such as ``expansion``/``expand`` or ``decision``/``decide`` apart
(``expans`` vs ``expand``). A word ending in ``-sion``/``-sive`` therefore also carries the key its verb
would have (``expans`` -> ``expand``), on both sides, so ``NATO expansion`` finds ``NATO expands`` while
``confusion`` still finds ``confuse`` through the shared primary stem.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import Stemmer

from watchers.query.normalise import casefold_word, strip_accents

LANGUAGES: dict[str, str] = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
}
"""ISO 639-1 code -> Snowball algorithm, limited to what the installed library really has."""
_AVAILABLE = set(Stemmer.algorithms())
LANGUAGES = {code: name for code, name in LANGUAGES.items() if name in _AVAILABLE}
DEFAULT_LANGUAGE = "en"

Keys = tuple[str, ...]


@lru_cache(maxsize=1024)
def language_code(language: str | None) -> str:
    """The primary subtag, lower-case (``en-GB`` -> ``en``); empty when unknown."""
    if not language:
        return ""
    return language.strip().replace("_", "-").split("-")[0].casefold()


def has_stemmer(language: str | None) -> bool:
    return language_code(language) in LANGUAGES


@lru_cache(maxsize=64)
def word_keys(language: str) -> Callable[[str], Keys]:
    """The function giving the stem keys of a raw token in ``language`` ("" or unknown: exact words)."""
    code = language_code(language)
    algorithm = LANGUAGES.get(code)
    if algorithm is None:
        return _exact_keys
    stemmer = Stemmer.Stemmer(algorithm)
    english = code == "en"

    @lru_cache(maxsize=200_000)
    def keys(token: str) -> Keys:
        word = casefold_word(token)
        stem = strip_accents(stemmer.stemWord(word))
        if english and len(stem) >= 5 and word.endswith(_SION) and stem[-1] == "s" and stem[-2] != "s":
            return (stem, stem[:-1] + "d")
        return (stem,)

    return keys


_SION = ("sion", "sions", "sive", "sively")


@lru_cache(maxsize=200_000)
def _exact_keys(token: str) -> Keys:
    return (strip_accents(casefold_word(token)),)
