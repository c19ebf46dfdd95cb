"""The topic query language: parse once, compile every topic into one matcher, explain each match.

Modules, in the order text flows through them: ``normalise`` (tokens and folding), ``stemming`` (Snowball
keys by language), ``parser`` (query text -> ``nodes``), ``plan`` (all topics -> one dictionary per
language), ``document`` (an article indexed for a plan), ``matcher`` (candidates, verification, scores and
spans), ``result`` (what callers get back).
"""

from __future__ import annotations

from watchers.query.matcher import (
    DEFAULT_MIN_SCORE,
    ArticleText,
    CompiledQuery,
    TopicMatcher,
    compile_query,
)
from watchers.query.normalise import normalise
from watchers.query.parser import DEFAULT_WINDOW, parse
from watchers.query.result import Hit, MatchResult

__all__ = [
    "DEFAULT_MIN_SCORE",
    "DEFAULT_WINDOW",
    "ArticleText",
    "CompiledQuery",
    "Hit",
    "MatchResult",
    "TopicMatcher",
    "compile_query",
    "normalise",
    "parse",
]
