"""The page is searched for an author and a date only when the caller has none of its own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot import sample_news
from watchers import extract
from watchers.extract import extract_page

ARTICLE = sample_news.ARTICLES[0]


def _page() -> str:
    body = "".join(f"<p>{p}</p>" for p in ARTICLE.paragraphs * 2)
    return (
        f"<html lang='en'><head><title>{ARTICLE.title}</title></head><body><article>"
        f"<h1>{ARTICLE.title}</h1><div class='byline'>By Helen Marsh</div>"
        f"<p class='date'>Published 14 March 2024</p>{body}</article></body></html>"
    )


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the costly page searches that really ran (the real functions, recorded)."""
    ran: list[str] = []
    for name in ("extract_author", "find_date"):
        real = getattr(extract, name)

        def recorded(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            ran.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(extract, name, recorded)
    return ran


def test_without_a_feed_author_or_date_the_page_is_searched_for_both(searches: list[str]) -> None:
    page = extract_page(_page(), url="https://news.example/a")
    assert page.author == "Helen Marsh"
    assert page.published == datetime(2024, 3, 14, tzinfo=UTC)
    assert sorted(searches) == ["extract_author", "find_date"]


def test_with_the_feed_s_author_and_date_the_searches_are_skipped_and_the_text_is_the_same(
    searches: list[str],
) -> None:
    full = extract_page(_page(), url="https://news.example/a")
    searches.clear()
    lean = extract_page(_page(), url="https://news.example/a", want_author=False, want_date=False)
    assert searches == []
    assert (lean.text, lean.title, lean.language) == (full.text, full.title, full.language)
    assert lean.author is None
    assert lean.published is None
