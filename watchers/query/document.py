"""One article indexed for one plan: the positions of the keys topics ask for, per field.

A position is the token's index in its field plus ``PARAGRAPH`` times its paragraph number, so any two
tokens of different paragraphs are further apart than any window or NEAR distance: proximity stops at a
paragraph break without a check of its own. Character spans are recovered only for articles that match.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watchers.query.normalise import TOKEN, fold
from watchers.query.plan import Plan
from watchers.query.stemming import language_code

PARAGRAPH = 1 << 32
INDEX_MASK = PARAGRAPH - 1
LEAD_WORDS = 60
"""Words at the start of the text that count as its lead (weighted more than the body)."""
FIELDS = ("title", "text")


@dataclass
class FieldIndex:
    text: str
    positions: dict[str, list[int]]
    _spans: list[tuple[int, int]] | None = None

    def span(self, position: int) -> tuple[int, int]:
        """Character span of the token at ``position``."""
        if self._spans is None:
            self._spans = [m.span() for m in TOKEN.finditer(self.text)]
        return self._spans[position & INDEX_MASK]


@dataclass
class Document:
    fields: dict[str, FieldIndex]
    present: set[str]
    source_words: tuple[str, ...]
    language: str
    _cache: dict[tuple[int, str], list[tuple[int, int]]] = field(default_factory=dict)


def index_field(text: str, plan: Plan) -> FieldIndex:
    raw = TOKEN.findall(text)
    relevant: dict[str, tuple[str, ...]] = {}
    token_keys = plan.token_keys
    for word in set(raw):
        if word != "\n" and (found := token_keys(word)):
            relevant[word] = found
    positions: dict[str, list[int]] = {}
    if relevant:
        paragraph = 0
        get = relevant.get
        for index, word in enumerate(raw):
            keys = get(word)
            if keys is None:
                if word == "\n":
                    paragraph += PARAGRAPH
                continue
            for key in keys:
                positions.setdefault(key, []).append(index + paragraph)
    return FieldIndex(text, positions)


def index_document(title: str, text: str, source: str, language: str | None, plan: Plan) -> Document:
    fields = {"title": index_field(title, plan), "text": index_field(text, plan)}
    present = set(fields["title"].positions) | set(fields["text"].positions)
    source_words = tuple(fold(t) for t in TOKEN.findall(source) if t != "\n")
    return Document(fields, present, source_words, language_code(language))
