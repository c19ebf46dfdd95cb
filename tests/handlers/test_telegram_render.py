"""Telegram HTML: hostile text renders as text, limits hold, and cuts never land inside markup."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alerts import Alert, AlertSource
from bot.digests import build_digest
from handlers.render import Reply, ReplyItem
from handlers.telegram_html import HtmlError, parse_html, visible_length
from handlers.telegram_render import MAX_MESSAGE, render_alert, render_digest, render_reply

HOSTILE = '<a href="https://evil.example">click</a> & <b>bold</b> &amp; <script>x</script> "q" \'s'


def alert(**changes: object) -> Alert:
    values: dict[str, object] = {
        "event": "new",
        "topic": "Grain <exports>",
        "story_id": 7,
        "title": "Grain exports rebound",
        "url": "https://a.example/1",
        "source": "Courier",
        "published": datetime(2026, 12, 2, 14, 5, tzinfo=UTC),
        "summary": "Grain exports rebounded in November.",
        "matched": ("grain", "exports"),
        "sources": (AlertSource("Courier", "https://a.example/1", "Grain exports rebound"),),
    }
    values.update(changes)
    return Alert(**values)  # type: ignore[arg-type]


def test_untrusted_text_is_shown_as_text_never_as_markup() -> None:
    html = render_alert(
        alert(
            title=HOSTILE,
            summary=HOSTILE,
            source=HOSTILE,
            sources=(
                AlertSource("Courier", "https://a.example/1", "t"),
                AlertSource(HOSTILE, "https://b.example/2", "t"),
            ),
        )
    )
    text, links = parse_html(html)  # what Telegram would accept and show
    assert text.count(HOSTILE) == 4  # title, outlet, summary and the "also reported by" name
    assert all(href in ("https://a.example/1", "https://b.example/2") for _, href in links)
    assert "https://evil.example" not in [href for _, href in links]


def test_the_layout_title_link_source_time_zone_highlight() -> None:
    html = render_alert(alert(), timezone="Europe/Berlin")
    text, links = parse_html(html)
    assert links[0] == ("Grain exports rebound", "https://a.example/1")
    assert "Courier · 2026-12-02 15:05 CET" in text
    assert "Grain &lt;exports&gt;" in html
    assert "<b>Grain</b> <b>exports</b> rebounded" in html


def test_only_http_links_become_links() -> None:
    html = render_alert(alert(url="javascript:alert(1)"))
    _, links = parse_html(html)
    assert links == []


def test_also_reported_by_is_capped_with_a_count() -> None:
    sources = tuple(AlertSource(f"Outlet {i}", f"https://o{i}.example/", "t") for i in range(12))
    text, links = parse_html(render_alert(alert(sources=sources)))
    assert "+6 more" in text
    assert len(links) == 1 + 5


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab <>&;\"'é😀\n")), min_size=1, max_size=80))
def test_any_long_summary_fits_and_stays_valid(chunk: str) -> None:
    summary = chunk * (9000 // len(chunk) + 1)
    html = render_alert(alert(summary=summary, matched=("a", "<")))
    assert visible_length(html) <= MAX_MESSAGE
    parse_html(html)  # never cut inside a tag or an entity


def test_a_long_digest_is_split_between_whole_lines() -> None:
    alerts = [alert(story_id=i, title=f"Story {i} " + "word " * 40) for i in range(200)]
    pages = render_digest(build_digest("Your digest", alerts))
    assert len(pages) > 1
    seen = 0
    for page in pages:
        assert visible_length(page) <= MAX_MESSAGE
        _, links = parse_html(page)
        seen += len(links)
    assert seen == 200


def test_a_reply_is_escaped_and_split() -> None:
    items = tuple(ReplyItem(HOSTILE, "https://a.example/x", HOSTILE, i) for i in range(60))
    pages = render_reply(Reply(HOSTILE, items))
    assert len(pages) > 1
    assert HOSTILE in parse_html(pages[0])[0]


@pytest.mark.parametrize(
    "bad", ["a < b", "a & b", "<script>x</script>", "<b>open", "</b>", "<a>no href</a>", "x > y"]
)
def test_the_emulators_parser_is_as_strict_as_telegram(bad: str) -> None:
    with pytest.raises(HtmlError):
        parse_html(bad)
