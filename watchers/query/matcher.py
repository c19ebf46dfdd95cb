"""All topics in one matcher: index the article once, verify only the topics it can trigger.

``TopicMatcher.match`` tokenises the title and text once (linear in their length), looks up only the keys
some topic asks for, collects the topics whose trigger key occurs, rejects those missing a required key
with set look-ups, and evaluates the query tree of the rest on token positions. The cost therefore grows
with the article's length and the number of *candidate* topics, not with the number of topics. No regular
expression is ever built from a query.

Scoring: each place a query matches counts ``TITLE_WEIGHT`` in the title, ``LEAD_WEIGHT`` in the first
``LEAD_WORDS`` words of the text and 1 deeper down; a topic alerts when the sum reaches its ``min_score``
(``DEFAULT_MIN_SCORE``: a title or lead match, or two matches in the body; a single passing mention deep in
the text is not enough). A query of filters only (``source:reuters``) scores like a title match.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from watchers.query.document import FIELDS, INDEX_MASK, LEAD_WORDS, Document, index_document
from watchers.query.nodes import (
    AllOf,
    AnyOf,
    FromSource,
    InField,
    InLanguage,
    Near,
    Node,
    Not,
    Phrase,
    Prefix,
    Window,
    Word,
    label,
)
from watchers.query.parser import parse
from watchers.query.plan import RETRIGGER_AT, Plan, build_plan
from watchers.query.result import NO_MATCH, Hit, MatchResult
from watchers.query.stemming import DEFAULT_LANGUAGE, has_stemmer, language_code

TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
BODY_WEIGHT = 1.0
DEFAULT_MIN_SCORE = 2.0
FILTER_ONLY_SCORE = TITLE_WEIGHT

K = TypeVar("K", bound=Hashable)
Interval = tuple[int, int]


@dataclass(frozen=True)
class CompiledQuery:
    """A parsed query with its threshold; ``source`` is the text the user wrote."""

    source: str
    tree: Node
    min_score: float = DEFAULT_MIN_SCORE


def compile_query(source: str, min_score: float = DEFAULT_MIN_SCORE) -> CompiledQuery:
    """Parse ``source``; raises ``QuerySyntaxError`` (with column and hint) when it does not parse."""
    return CompiledQuery(source, parse(source), min_score)


@dataclass(frozen=True)
class ArticleText:
    """What a query can see of an article."""

    title: str
    text: str
    source: str = ""
    language: str | None = None


class TopicMatcher(Generic[K]):
    """Matches an article against every topic at once; ``K`` identifies a topic (an id, a name)."""

    def __init__(self, topics: Iterable[tuple[K, CompiledQuery]], default_language: str = DEFAULT_LANGUAGE):
        pairs = list(topics)
        self.keys: list[K] = [k for k, _ in pairs]
        self.queries: list[CompiledQuery] = [q for _, q in pairs]
        self.default_language = default_language
        self._plans: dict[str, Plan] = {}
        self._plan_of: dict[str | None, Plan] = {}
        """Plans by the language as articles give it (``en``, ``en-GB``, None ...), skipping the parsing."""

    def __len__(self) -> int:
        return len(self.queries)

    def plan(self, language: str | None) -> Plan:
        """The plan for an article language; unknown languages share one plan of exact words."""
        plan = self._plan_of.get(language)
        if plan is None:
            if len(self._plan_of) > 1000:  # feeds label their language freely: keep the memo bounded
                self._plan_of.clear()
            plan = self._plan_of[language] = self._plan_for_code(language)
        return plan

    def _plan_for_code(self, language: str | None) -> Plan:
        code = language_code(language) or language_code(self.default_language)
        if not has_stemmer(code):
            code = ""
        plan = self._plans.get(code)
        if plan is None:
            plan = self._plans[code] = build_plan(code, [q.tree for q in self.queries])
        return plan

    def match(self, article: ArticleText) -> list[tuple[K, MatchResult]]:
        """Every topic that matches with enough score, in topic order, with its explanation."""
        plan = self.plan(article.language)
        doc = index_document(article.title, article.text, article.source, article.language, plan)
        present = doc.present
        if plan.observed < RETRIGGER_AT[-1]:
            plan.observe(present)
        candidates = set(plan.always).union(*map(plan.triggers.__getitem__, present & plan.trigger_keys))
        alone = plan.alone
        passed = [index for index in sorted(candidates) if alone[index] <= present]
        out: list[tuple[K, MatchResult]] = []
        guarded = plan.guarded
        score_bounds = plan.score_bounds
        for index in passed:
            guard = guarded.get(index)
            if guard is not None and (
                any(group.isdisjoint(present) for group in guard[0]) or not guard[1].isdisjoint(present)
            ):
                continue
            query = self.queries[index]
            bound = score_bounds[index]
            if bound is not None and _score_bound(bound, doc) < query.min_score:
                continue
            result = evaluate(query.tree, doc, plan, query.min_score, explain_misses=False)
            if result.matched:
                out.append((self.keys[index], result))
        return out

    def explain(self, index: int, article: ArticleText) -> MatchResult:
        """The full result for one topic, matched or not (what a dry run shows)."""
        plan = self.plan(article.language)
        doc = index_document(article.title, article.text, article.source, article.language, plan)
        query = self.queries[index]
        return evaluate(query.tree, doc, plan, query.min_score)


def evaluate(
    tree: Node, doc: Document, plan: Plan, min_score: float, explain_misses: bool = True
) -> MatchResult:
    """The result of one query; with ``explain_misses`` false, a result below ``min_score`` comes back
    without hits (building them is most of the cost, and ``match`` drops such results anyway)."""
    run = _Evaluation(doc, plan)
    if not run.holds(tree, record=True):
        return NO_MATCH
    if not run.tops:
        # only source:/lang: filters: the whole article is what was asked for
        return MatchResult(min_score <= FILTER_ONLY_SCORE, FILTER_ONLY_SCORE, (), ())
    score = run.score()
    if score < min_score and not explain_misses:
        return MatchResult(False, score, (), ())
    hits = run.hits()
    terms = tuple(dict.fromkeys(h.term for h in hits))
    return MatchResult(score >= min_score, score, terms, hits)


class _Evaluation:
    def __init__(self, doc: Document, plan: Plan) -> None:
        self.doc = doc
        self.plan = plan
        self.tops: list[tuple[Node, str, list[Interval]]] = []

    def holds(self, node: Node, record: bool) -> bool:
        if node.positional:
            found = False
            for name in FIELDS:
                spans = self.spans(node, name)
                if spans:
                    found = True
                    if record:
                        self.tops.append((node, name, spans))
            return found
        if isinstance(node, AllOf):
            return all(self.holds(child, record) for child in node.children)
        if isinstance(node, AnyOf):
            results = [self.holds(child, record) for child in node.children]
            return any(results)
        if isinstance(node, Not):
            return not self.holds(node.child, record=False)
        if isinstance(node, InField):
            return self._holds_in(node.child, node.field, record)
        if isinstance(node, FromSource):
            return _contains(self.doc.source_words, node.words, node.prefix)
        assert isinstance(node, InLanguage)
        return self.doc.language == node.code

    def _holds_in(self, node: Node, field: str, record: bool) -> bool:
        if node.positional:
            spans = self.spans(node, field)
            if spans and record:
                self.tops.append((node, field, spans))
            return bool(spans)
        if isinstance(node, AllOf):
            return all(self._holds_in(child, field, record) for child in node.children)
        if isinstance(node, AnyOf):
            return any([self._holds_in(child, field, record) for child in node.children])
        if isinstance(node, Not):
            return not self._holds_in(node.child, field, record=False)
        if isinstance(node, InField):
            return node.field == field and self._holds_in(node.child, field, record)
        return self.holds(node, record)

    def spans(self, node: Node, field: str) -> list[Interval]:
        """Sorted token intervals where a positional node matches in ``field``."""
        cache_key = (id(node), field)
        cached = self.doc._cache.get(cache_key)
        if cached is not None:
            return cached
        positions = self.doc.fields[field].positions
        result: list[Interval]
        if isinstance(node, Word):
            keys = self.plan.word_keys_of[node.raw]
            if len(keys) == 1:
                result = [(p, p) for p in positions(keys[0])]
            else:
                result = [(p, p) for p in sorted({p for k in keys for p in positions(k)})]
        elif isinstance(node, Prefix):
            result = [(p, p) for p in positions("*" + node.prefix)]
        elif isinstance(node, Phrase):
            result = _phrase(node, positions)
        elif isinstance(node, AnyOf):
            result = sorted({i for child in node.children for i in self.spans(child, field)})
        elif isinstance(node, Window):
            result = _window([self.spans(child, field) for child in node.children], node.size)
        else:
            assert isinstance(node, Near)
            result = _near(self.spans(node.left, field), self.spans(node.right, field), node.distance)
        self.doc._cache[cache_key] = result
        return result

    def score(self) -> float:
        """Score of the recorded matches: each matching interval by where it starts."""
        score = 0.0
        for _, field, intervals in self.tops:
            if field == "title":
                score += TITLE_WEIGHT * len(intervals)
                continue
            for start, _ in intervals:
                score += LEAD_WEIGHT if start & INDEX_MASK < LEAD_WORDS else BODY_WEIGHT
        return score

    def hits(self) -> tuple[Hit, ...]:
        """The hits of the recorded matches' terms inside the matching intervals."""
        hits: dict[tuple[str, str, int, int], Hit] = {}
        for node, field, intervals in self.tops:
            index = self.doc.fields[field]
            starts = [s for s, _ in intervals]
            for leaf in _leaves(node):
                term = label(leaf)
                for first, last in self.spans(leaf, field):
                    at = bisect_right(starts, first) - 1
                    if at < 0 or intervals[at][1] < last:
                        continue
                    if first == last:  # one token: a word, a wildcard, a phrase of one word
                        begin, end = index.span(first)
                    else:
                        begin, end = index.span(first)[0], index.span(last)[1]
                    hits.setdefault((term, field, begin, end), Hit(term, field, begin, end))
        ordered = sorted(hits.values(), key=lambda h: (h.field != "title", h.start, h.term))
        return tuple(ordered)


def _score_bound(groups: tuple[tuple[str, ...], ...], doc: Document) -> float:
    """An upper bound of a topic's score: the sum of its terms' scores (see ``Plan.score_bounds``), each
    counted once per article and shared by the topics naming the same terms."""
    scores = doc.scores
    total = 0.0
    for keys in groups:
        score = scores.get(keys)
        if score is None:
            score = scores[keys] = _term_score(keys, doc)
        total += score
    return total


def _term_score(keys: tuple[str, ...], doc: Document) -> float:
    """The score ``evaluate`` gives a query of one word, wildcard or OR of them with these keys, from
    token counts alone (most such candidates are one passing mention deep in the text, and fail without
    positions). The title is counted only when it holds one of the keys (it seldom does)."""
    title = doc.fields["title"]
    in_title = 0 if title.keys.isdisjoint(keys) else title.count(keys)[0]
    in_text, lead = doc.fields["text"].count(keys)
    return TITLE_WEIGHT * in_title + LEAD_WEIGHT * lead + BODY_WEIGHT * (in_text - lead)


def _leaves(node: Node) -> Iterable[Word | Phrase | Prefix]:
    if isinstance(node, Word | Phrase | Prefix):
        yield node
    elif isinstance(node, AnyOf | Window):
        for child in node.children:
            yield from _leaves(child)
    elif isinstance(node, Near):
        yield from _leaves(node.left)
        yield from _leaves(node.right)


def _phrase(node: Phrase, positions: Callable[[str], list[int]]) -> list[Interval]:
    lists = [positions("=" + w) for w in node.words]
    if not all(lists):
        return []
    first = lists[0]
    if len(lists) == 1:
        return [(p, p) for p in first]
    rest = [set(other) for other in lists[1:]]
    size = len(lists)
    return [(p, p + size - 1) for p in first if all(p + i + 1 in s for i, s in enumerate(rest))]


def _window(lists: Sequence[list[Interval]], size: int) -> list[Interval]:
    """Intervals covering one match of every child within ``size`` words (one pass over the matches)."""
    if not all(lists):
        return []
    events = sorted((s, e, child) for child, spans in enumerate(lists) for s, e in spans)
    latest: list[Interval | None] = [None] * len(lists)
    missing = len(lists)
    out: list[Interval] = []
    for start, end, child in events:
        if latest[child] is None:
            missing -= 1
        latest[child] = (start, end)
        if missing:
            continue
        low = min(i[0] for i in latest if i is not None)
        high = max(i[1] for i in latest if i is not None)
        if high - low < size:
            if out and out[-1][0] == low:
                out[-1] = (low, max(high, out[-1][1]))
            else:
                out.append((low, high))
    return out


def _near(left: list[Interval], right: list[Interval], distance: int) -> list[Interval]:
    """Pairs with at most ``distance`` words between them, in either order."""
    if not left or not right:
        return []
    starts = [s for s, _ in right]
    longest = max(e - s for s, e in right)
    found: set[Interval] = set()
    for a_start, a_end in left:
        low = bisect_left(starts, a_start - distance - 1 - longest)
        high = bisect_right(starts, a_end + distance + 1)
        for b_start, b_end in right[low:high]:
            between = max(b_start - a_end, a_start - b_end) - 1
            if between <= distance:
                found.add((min(a_start, b_start), max(a_end, b_end)))
    return sorted(found)


def _contains(haystack: tuple[str, ...], words: tuple[str, ...], prefix: bool) -> bool:
    if prefix:
        return any(w.startswith(words[0]) for w in haystack)
    size = len(words)
    return any(haystack[i : i + size] == words for i in range(len(haystack) - size + 1))
