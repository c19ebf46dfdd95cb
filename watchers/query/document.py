"""One article indexed for one plan: which wanted keys occur, and (on demand) where.

Indexing does C-speed work only: split into tokens, check them against the plan's set of tokens seen
before (new ones are stemmed once, then remembered), intersect them with the tokens the plan knows to
carry a wanted key, and unite their keys. Positions and counts are computed only for keys a candidate
topic really checks, with ``str.find`` and ``str.count`` in the tokens joined between NUL characters
(built once per field, on first need): they skip ahead in C, where ``list.index`` or ``list.count``
compares every token through a rich comparison, five times the cost. A position is the token's index plus
``PARAGRAPH`` times its paragraph number, so tokens of different paragraphs are further apart than any
window or NEAR distance: proximity stops at a paragraph break without a check of its own. Character spans
are recovered only for matching fields, paragraph by paragraph, from the lengths of tokens and separators.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, compress

from watchers.query.normalise import TOKEN, fold, split_text
from watchers.query.plan import LANGUAGE_SCOPE, SOURCE_SCOPE, TITLE_SCOPE, Plan
from watchers.query.stemming import language_code

PARAGRAPH = 1 << 32
INDEX_MASK = PARAGRAPH - 1
LEAD_WORDS = 60
"""Words at the start of the text that count as its lead (weighted more than the body)."""
FIELDS = ("title", "text")
SCANNED_FORMS = 8
"""Forms a field counts by scanning its joined tokens before it counts all its tokens at once instead. On
a 500-word text a form's two scans (everywhere and in the lead) take about 5 µs and a count of every
token about 20 µs, so the count pays from about 4 forms; waiting for 8 keeps an article asked about a
few words (most, with a few hundred topics) on scans alone, while one asked about dozens (thousands of
topics) soon counts once."""
_NOWHERE: list[int] = []
_PLUS_ONE = (1).__add__


@dataclass
class FieldIndex:
    text: str
    cut: str
    """The text as ``split_text`` cut it: same length as ``text``, each token at its own offsets."""
    tokens: list[str]
    keys: set[str]
    """The wanted keys some token of this field carries."""
    plan: Plan
    wanted: set[str]
    """The distinct tokens of this field that carry a wanted key."""
    _positions: dict[str, list[int]] = field(default_factory=dict)
    _joined: str | None = None
    _lead_end = 0
    _scanned = 0
    _counts: tuple[Counter[str], Counter[str]] | None = None
    _breaks: list[int] | None = None
    """Indexes of the newline tokens: from the split when it counted them, else found on first need."""
    _line_starts: list[int] | None = None
    _line_offsets: dict[int, list[int]] = field(default_factory=dict)

    def forms(self, keys: tuple[str, ...] | list[str]) -> set[str]:
        """The distinct tokens of this field carrying any of ``keys``."""
        forms_of = self.plan.forms_of
        if len(keys) == 1:
            return forms_of[keys[0]] & self.wanted if keys[0] in self.keys else set()
        return set().union(*(forms_of[k] for k in keys if k in self.keys)) & self.wanted

    def count(self, keys: tuple[str, ...] | list[str]) -> tuple[int, int]:
        """How many tokens carry any of ``keys``, and how many of those are among the first
        ``LEAD_WORDS``: by two substring counts per form in ``joined`` for the first ``SCANNED_FORMS``
        forms, then from a count of every token (see ``SCANNED_FORMS``); no positions either way."""
        forms = self.forms(keys)
        if not forms:
            return 0, 0
        if self._counts is not None or self._scanned >= SCANNED_FORMS:
            everywhere, lead = self._token_counts()
            return sum(map(everywhere.__getitem__, forms)), sum(map(lead.__getitem__, forms))
        self._scanned += len(forms)
        joined = self.joined()
        lead_end = self._lead_end
        total = in_lead = 0
        for form in forms:
            needle = "\0" + form + "\0"
            total += joined.count(needle)
            in_lead += joined.count(needle, 0, lead_end)
        return total, in_lead

    def _token_counts(self) -> tuple[Counter[str], Counter[str]]:
        if self._counts is None:
            self._counts = (Counter(self.tokens), Counter(self.tokens[:LEAD_WORDS]))
        return self._counts

    def joined(self) -> str:
        """The tokens as one string, each between NUL characters (``\\0a\\0\\0b\\0``). No token holds
        a NUL, so ``\\0form\\0`` occurs exactly where the token ``form`` does, and ``str.count`` and
        ``str.find`` (in C, skipping ahead) count and locate a token without comparing it with each one."""
        if self._joined is None:
            tokens = self.tokens
            self._joined = "\0" + "\0\0".join(tokens) + "\0"
            lead = tokens[:LEAD_WORDS]
            self._lead_end = len(self._joined) if len(lead) == len(tokens) else len("\0\0".join(lead)) + 2
        return self._joined

    def positions(self, key: str) -> list[int]:
        """Sorted positions of the tokens carrying ``key`` (computed once, on first use)."""
        found = self._positions.get(key)
        if found is not None:
            return found
        if key not in self.keys:
            return _NOWHERE
        forms = self.plan.forms_of[key] & self.wanted
        indexes: list[int] = []
        for form in forms:
            indexes += self._indexes(form)
        if len(forms) > 1:
            indexes.sort()
        breaks = self._paragraph_breaks()
        if breaks:
            indexes = [i + bisect_right(breaks, i) * PARAGRAPH for i in indexes]
        self._positions[key] = indexes
        return indexes

    def _indexes(self, form: str) -> list[int]:
        """Every index of ``form`` among the tokens: found in ``joined``, each turned into an index by
        counting the ``\\0\\0`` token boundaries since the previous one (a token cannot hold them)."""
        joined = self.joined()
        needle = "\0" + form + "\0"
        indexes = []
        index = counted = 0
        at = joined.find(needle)
        while at >= 0:
            index += joined.count("\0\0", counted, at + 1)
            counted = at + 1
            indexes.append(index)
            at = joined.find(needle, counted)
        return indexes

    def _paragraph_breaks(self) -> list[int]:
        if self._breaks is None:
            self._breaks = self._indexes("\n") if "\n" in self.text else []
        return self._breaks

    def span(self, position: int) -> tuple[int, int]:
        """Character span of the token at ``position``. Each newline of the text is one token, so the
        position's paragraph number says which line of the text holds it; the start of every token of
        that line is found once (see ``_line_token_starts``), so the cost follows the paragraphs that hold
        hits, not the depth of the deepest hit."""
        line = position >> 32
        starts = self._line_offsets.get(line)
        first = self._paragraph_breaks()[line - 1] + 1 if line else 0
        if starts is None:
            starts = self._line_offsets[line] = self._line_token_starts(line, first)
        index = position & INDEX_MASK
        start = starts[index - first]
        return start, start + len(self.tokens[index])

    def _line_token_starts(self, line: int, first: int) -> list[int]:
        """Where each token of one line starts, in ``cut``, where a token is a substring at its own
        offsets. When the line's separators are all spaces (ASCII text without apostrophes, the common
        case), ``str.split(" ")`` cuts it into its tokens and empty strings, each piece one character past
        the previous one, and the starts are running sums over the pieces' lengths, in C. Otherwise each
        token is found after the previous one: a separator holds no letter or digit and a token starts with
        one, so the first occurrence of the token past the previous one's end is the token itself."""
        if self._line_starts is None:
            lengths = map(len, self.cut.split("\n"))
            self._line_starts = list(accumulate(lengths, lambda at, size: at + size + 1, initial=0))
        start = self._line_starts[line]
        end = self._line_starts[line + 1] - 1 if line + 1 < len(self._line_starts) else len(self.cut)
        breaks = self._paragraph_breaks()
        words = self.tokens[first : breaks[line] if line < len(breaks) else len(self.tokens)]
        text = self.cut[start:end]
        pieces = text.split(" ")
        if list(filter(None, pieces)) == words:
            return list(compress(accumulate(map(_PLUS_ONE, map(len, pieces)), initial=start), pieces))
        starts = []
        at = start
        for word in words:
            at = self.cut.find(word, at, end)
            starts.append(at)
            at += len(word)
        return starts


@dataclass
class Document:
    fields: dict[str, FieldIndex]
    present: set[str]
    source_words: tuple[str, ...]
    language: str
    _cache: dict[tuple[int, str], list[tuple[int, int]]] = field(default_factory=dict)
    scores: dict[tuple[str, ...], float] = field(default_factory=dict)
    """Score of a one-term query by its keys (topics naming the same word share it)."""


def index_field(text: str, plan: Plan) -> FieldIndex:
    """Tokens, the wanted ones among them, and their keys: set operations and ``map`` only, no Python
    loop per token, so the cost does not grow with how many of the article's words some topic asks for.
    The plan's sets are probed with the token list itself: cheaper than building a set of the tokens
    (hashing, growing and freeing a table of a few hundred entries) and probing with that. ASCII text is
    lower-cased as it is split (free: the same table look-up per byte), so a capitalised word at the start
    of a sentence or in a title-case headline is the token the plan already knows, not a new one to stem
    and remember."""
    cut, tokens, breaks = split_text(text, lower=True)
    if not plan.seen.issuperset(tokens):
        plan.learn(set(tokens) - plan.seen)
    wanted = plan.wanted.intersection(tokens)
    keys: set[str] = set().union(*map(plan.keyed.__getitem__, wanted))
    return FieldIndex(text, cut, tokens, keys, plan, wanted, _breaks=breaks)


@lru_cache(maxsize=4096)
def source_keys(source: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """The folded words of an outlet's name, and their ``source:`` keys (outlets repeat: computed once)."""
    words = tuple(fold(t) for t in TOKEN.findall(source) if t != "\n")
    return words, frozenset(SOURCE_SCOPE + word for word in words)


def index_document(title: str, text: str, source: str, language: str | None, plan: Plan) -> Document:
    fields = {"title": index_field(title, plan), "text": index_field(text, plan)}
    title_keys = fields["title"].keys
    present = title_keys | fields["text"].keys | {TITLE_SCOPE + key for key in title_keys}
    source_words, scoped = source_keys(source) if source else ((), frozenset())
    present |= scoped
    code = language_code(language)
    present.add(LANGUAGE_SCOPE + code)
    return Document(fields, present, source_words, code)
