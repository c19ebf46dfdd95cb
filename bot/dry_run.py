"""The dry run of a query, for the CLI's ``topic test`` and the admins' chat command alike.

Input is a query text plus an article (``try_document``) or a store and a period (``try_recent``); output
is plain data (``MatchResult`` / ``RecentResult``) that each edge renders its own way. A syntax error
propagates as ``QuerySyntaxError`` (with column and hint) for the caller to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select

from bot.models import Article, Source, utcnow
from bot.store import Store
from watchers.query import ArticleText, MatchResult, TopicMatcher, compile_query

EXAMPLES = 10


@dataclass(frozen=True)
class RecentMatch:
    article_id: int
    title: str
    url: str
    source: str
    score: float
    terms: tuple[str, ...]


@dataclass(frozen=True)
class RecentResult:
    """How many stored articles of the period the query would have alerted on, with the best examples."""

    window: timedelta
    articles: int
    matches: int
    examples: tuple[RecentMatch, ...]


def try_document(query_text: str, article: ArticleText, min_score: float | None = None) -> MatchResult:
    """Whether and where ``query_text`` matches one article (``matched`` honours ``min_score``)."""
    compiled = compile_query(query_text) if min_score is None else compile_query(query_text, min_score)
    return TopicMatcher([(0, compiled)]).explain(0, article)


def try_recent(
    query_text: str, store: Store, window: timedelta, min_score: float | None = None
) -> RecentResult:
    """Run the query over the articles stored in the last ``window``, newest first."""
    compiled = compile_query(query_text) if min_score is None else compile_query(query_text, min_score)
    matcher = TopicMatcher([(0, compiled)])
    found: list[RecentMatch] = []
    total = 0
    with store.session() as session:
        names = {s.id: s.name for s in session.exec(select(Source)).all()}
        rows = session.exec(
            select(Article)
            .where(col(Article.fetched_at) >= utcnow() - window)
            .order_by(col(Article.id).desc())
        )
        for article in rows:
            total += 1
            source = names.get(article.source_id, "")
            hits = matcher.match(ArticleText(article.title, article.text, source, article.language))
            if hits:
                result = hits[0][1]
                assert article.id is not None
                found.append(
                    RecentMatch(article.id, article.title, article.url, source, result.score, result.terms)
                )
    examples = sorted(found, key=lambda m: -m.score)[:EXAMPLES]
    return RecentResult(window, total, len(found), tuple(examples))
