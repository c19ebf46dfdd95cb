"""Topic matching for one query at a time: a thin facade over ``watchers.query``.

Kept for callers that match a single query (settings validation, the dry run, tests); the pipeline
matches all topics at once with ``watchers.query.TopicMatcher``. ``compile_query`` parses once (raising
``QuerySyntaxError`` with the column), ``Query.match(title, text)`` returns a ``MatchResult`` with spans.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watchers.query import (
    DEFAULT_MIN_SCORE,
    ArticleText,
    CompiledQuery,
    Hit,
    MatchResult,
    TopicMatcher,
    normalise,
)
from watchers.query import compile_query as _compile

__all__ = ["Hit", "MatchResult", "Query", "compile_query", "normalise"]


@dataclass(frozen=True)
class Query:
    """A compiled query; ``min_score`` is the relevance a match must reach (``watchers.query.matcher``)."""

    source: str
    compiled: CompiledQuery
    _matcher: TopicMatcher[int] = field(compare=False, repr=False)

    @property
    def min_score(self) -> float:
        return self.compiled.min_score

    def match(self, title: str, text: str, *, source: str = "", language: str | None = None) -> MatchResult:
        return self._matcher.explain(0, ArticleText(title, text, source, language))


def compile_query(source: str, min_score: float = DEFAULT_MIN_SCORE) -> Query:
    """Parse a query; raises QuerySyntaxError (with the 1-based column and a hint) for an unusable one."""
    compiled = _compile(source, min_score)
    return Query(source, compiled, TopicMatcher([(0, compiled)]))
