"""One article indexed for one plan: which wanted keys occur, and (on demand) where.

Indexing does C-speed work only: split into tokens, take the set of distinct tokens, intersect it with the
tokens the plan knows to carry a wanted key, and unite their keys. Positions are computed only for keys a
candidate topic really checks, by scanning the token list with ``list.index``. A position is the token's
index plus ``PARAGRAPH`` times its paragraph number, so tokens of different paragraphs are further apart
than any window or NEAR distance: proximity stops at a paragraph break without a check of its own.
Character spans are recovered only for matching fields, from the lengths of tokens and separators.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate

from watchers.query.normalise import TOKEN, TOKEN_PATTERN, fold, split_tokens
from watchers.query.plan import LANGUAGE_SCOPE, SOURCE_SCOPE, TITLE_SCOPE, Plan
from watchers.query.stemming import language_code

PARAGRAPH = 1 << 32
INDEX_MASK = PARAGRAPH - 1
LEAD_WORDS = 60
"""Words at the start of the text that count as its lead (weighted more than the body)."""
FIELDS = ("title", "text")
_NOWHERE: list[int] = []
_SPLIT = re.compile(f"({TOKEN_PATTERN})")  # separators and tokens alternate: lengths give offsets


@dataclass
class FieldIndex:
    text: str
    tokens: list[str]
    distinct: set[str]
    keys: set[str]
    """The wanted keys some token of this field carries."""
    forms_of: dict[str, set[str]]
    """The plan's key -> every raw token known to carry it (``positions`` keeps those of this field)."""
    _positions: dict[str, list[int]] = field(default_factory=dict)
    _breaks: list[int] | None = None
    _offsets: list[int] | None = None
    _covered = 0
    """How many leading tokens ``_offsets`` covers."""

    def positions(self, key: str) -> list[int]:
        """Sorted positions of the tokens carrying ``key`` (computed once, on first use)."""
        found = self._positions.get(key)
        if found is not None:
            return found
        if key not in self.keys:
            return _NOWHERE
        forms = self.forms_of[key] & self.distinct
        tokens = self.tokens
        indexes: list[int] = []
        for form in forms:
            at = -1
            try:
                while True:
                    at = tokens.index(form, at + 1)
                    indexes.append(at)
            except ValueError:
                pass
        if len(forms) > 1:
            indexes.sort()
        breaks = self._paragraph_breaks()
        if breaks:
            indexes = [i + bisect_right(breaks, i) * PARAGRAPH for i in indexes]
        self._positions[key] = indexes
        return indexes

    def _paragraph_breaks(self) -> list[int]:
        if self._breaks is None:
            breaks: list[int] = []
            tokens = self.tokens
            at = -1
            try:
                while True:
                    at = tokens.index("\n", at + 1)
                    breaks.append(at)
            except ValueError:
                pass
            self._breaks = breaks
        return self._breaks

    def span(self, position: int) -> tuple[int, int]:
        """Character span of the token at ``position``. Offsets come from splitting the text at C speed,
        but only as far as needed (hits are mostly in the title and lead), at least twice as far as asked
        so deeper hits rarely split again."""
        index = position & INDEX_MASK
        if self._offsets is None or index >= self._covered:
            self._covered = max(2 * index + 2, 128)
            pieces = _SPLIT.split(self.text, maxsplit=self._covered)  # the rest of the text comes last
            self._offsets = list(accumulate(map(len, pieces)))
        return self._offsets[2 * index], self._offsets[2 * index + 1]


@dataclass
class Document:
    fields: dict[str, FieldIndex]
    present: set[str]
    source_words: tuple[str, ...]
    language: str
    _cache: dict[tuple[int, str], list[tuple[int, int]]] = field(default_factory=dict)


def index_field(text: str, plan: Plan) -> FieldIndex:
    """Tokens, their set, and the wanted keys present: set operations and ``map`` only, no Python loop
    per token, so the cost does not grow with how many of the article's words some topic asks for."""
    tokens = split_tokens(text)
    distinct = set(tokens)
    unseen = distinct - plan.seen
    if unseen:
        plan.learn(unseen)
    keys: set[str] = set().union(*map(plan.keyed.__getitem__, distinct & plan.wanted))
    return FieldIndex(text, tokens, distinct, keys, plan.forms_of)


def index_document(title: str, text: str, source: str, language: str | None, plan: Plan) -> Document:
    fields = {"title": index_field(title, plan), "text": index_field(text, plan)}
    title_keys = fields["title"].keys
    present = title_keys | fields["text"].keys | {TITLE_SCOPE + key for key in title_keys}
    source_words = tuple(fold(t) for t in TOKEN.findall(source) if t != "\n") if source else ()
    present.update(SOURCE_SCOPE + word for word in source_words)
    code = language_code(language)
    present.add(LANGUAGE_SCOPE + code)
    return Document(fields, present, source_words, code)
