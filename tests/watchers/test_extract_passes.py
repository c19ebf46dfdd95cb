"""Which trafilatura passes ``extract_page`` runs: the fast one, and the full one when it finds little."""

from __future__ import annotations

from typing import Any

import pytest

from bot import sample_news
from watchers import extract
from watchers.extract import FULL_PASS_BELOW_CHARS, extract_page

ARTICLE = sample_news.ARTICLES[0]


def _page(paragraphs: tuple[str, ...]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html lang='en'><head><title>{ARTICLE.title}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{ARTICLE.title}</h1>{body}</article><footer>About us</footer></body></html>"
    )


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The ``fast`` flag of every pass that really runs (the real function, recorded)."""
    seen: list[bool] = []
    real = extract._trafilatura

    def recorded(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("fast", False))
        return real(*args, **kwargs)

    monkeypatch.setattr(extract, "_trafilatura", recorded)
    return seen


def test_a_long_article_needs_only_the_fast_pass(passes: list[bool]) -> None:
    paragraphs = ARTICLE.paragraphs * 3
    assert sum(map(len, paragraphs)) > FULL_PASS_BELOW_CHARS
    page = extract_page(_page(paragraphs), url="https://example.com/a")
    assert len(page.text) >= FULL_PASS_BELOW_CHARS
    assert passes == [True]


def test_a_short_result_gets_the_full_pass(passes: list[bool]) -> None:
    page = extract_page(_page(ARTICLE.paragraphs[:1]), url="https://example.com/a")
    assert page.text.startswith(ARTICLE.paragraphs[0][:40])
    assert passes[:2] == [True, False]


def test_metadata_that_breaks_costs_the_metadata_not_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ValueError("hostile markup")  # trafilatura's metadata readers raise many kinds on odd pages

    monkeypatch.setattr(extract, "examine_meta", broken)
    page = extract_page(_page(ARTICLE.paragraphs * 3), url="https://example.com/a")
    assert ARTICLE.paragraphs[0][:40] in page.text
    assert (page.author, page.published) == (None, None)
