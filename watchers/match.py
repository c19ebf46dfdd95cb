"""Topic matching, first version: every word or quoted phrase of the query, whole-word, case-insensitive.

The query-language issue replaces this with stemming, boolean logic and proximity; the interface
(``compile_query`` once, ``Query.match(title, text)`` per article, spans for explanations) stays.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from watchers.errors import QuerySyntaxError

_WORD = re.compile(r"\w+", re.UNICODE)


def normalise(text: str) -> str:
    """Lower-case, strip accents, fold curly quotes and hyphens: what both query and text go through."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("’", "'").replace("‘", "'").replace("-", " ").casefold()


@dataclass(frozen=True)
class Hit:
    """Where one query term matched: ``field`` is "title" or "text", span in characters of that field."""

    term: str
    field: str
    start: int
    end: int


@dataclass(frozen=True)
class MatchResult:
    matched: bool
    score: float
    terms: tuple[str, ...]
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class Query:
    """A compiled query: a tuple of terms, each a tuple of words that must appear consecutively."""

    source: str
    terms: tuple[tuple[str, ...], ...]

    def match(self, title: str, text: str) -> MatchResult:
        hits: list[Hit] = []
        found_terms: list[str] = []
        score = 0.0
        for term in self.terms:
            label = " ".join(term)
            term_hits = [
                Hit(label, name, start, end)
                for name, value in (("title", title), ("text", text))
                for start, end in _find(term, value)
            ]
            if not term_hits:
                return MatchResult(False, 0.0, (), ())
            found_terms.append(label)
            hits.extend(term_hits)
            score += sum(2.0 if h.field == "title" else 1.0 for h in term_hits)
        return MatchResult(True, score, tuple(found_terms), tuple(hits))


def compile_query(source: str) -> Query:
    """Parse a query; raises QuerySyntaxError (with the 1-based column) for an unusable one."""
    terms: list[tuple[str, ...]] = []
    pos = 0
    while pos < len(source):
        char = source[pos]
        if char.isspace():
            pos += 1
            continue
        if char in '"“”':
            end = _closing_quote(source, pos + 1)
            if end < 0:
                raise QuerySyntaxError("unclosed quote", column=pos + 1, hint='close the phrase with "')
            words = tuple(_WORD.findall(normalise(source[pos + 1 : end])))
            if not words:
                raise QuerySyntaxError("empty phrase", column=pos + 1)
            terms.append(words)
            pos = end + 1
            continue
        end = pos
        while end < len(source) and not source[end].isspace() and source[end] not in '"“”':
            end += 1
        words = tuple(_WORD.findall(normalise(source[pos:end])))
        terms.extend((w,) for w in words)
        pos = end
    if not terms:
        raise QuerySyntaxError("empty query", column=1, hint="write at least one word")
    return Query(source=source, terms=tuple(terms))


def _closing_quote(source: str, start: int) -> int:
    for index in range(start, len(source)):
        if source[index] in '"“”':
            return index
    return -1


def _find(term: tuple[str, ...], value: str) -> list[tuple[int, int]]:
    """Spans in ``value`` where the words of ``term`` stand consecutively (linear in the text)."""
    tokens = [(m.start(), m.end(), normalise(m.group())) for m in _WORD.finditer(value)]
    words = [t[2] for t in tokens]
    size = len(term)
    spans: list[tuple[int, int]] = []
    for i in range(len(words) - size + 1):
        if words[i] == term[0] and tuple(words[i : i + size]) == term:
            spans.append((tokens[i][0], tokens[i + size - 1][1]))
    return spans
