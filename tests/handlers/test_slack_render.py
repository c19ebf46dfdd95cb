"""Block Kit rendering: hostile text is inert, limits hold, cuts never split an entity or a link."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.alerts import Alert, AlertSource
from handlers.render import Reply, ReplyItem
from handlers.slack_render import (
    ALSO_REPORTED_CAP,
    HEADER_MAX,
    SECTION_MAX,
    alert_blocks,
    also_reported,
    escape,
    fit,
    highlight,
    link,
    reply_blocks,
)

HOSTILE = "Breaking <!channel> <!here> @everyone <https://evil.example|click> & <@U0BOSS> done"


def make_alert(**changes: Any) -> Alert:
    base: dict[str, Any] = {
        "event": "new",
        "topic": "NATO expansion",
        "story_id": 7,
        "title": "Finland and Sweden weigh NATO expansion timetable",
        "url": "https://courier.example/a/nato.html",
        "source": "Northern Courier",
        "published": datetime(2026, 12, 2, 9, 30, tzinfo=UTC),
        "summary": "Ministers discussed the NATO expansion timetable in Brussels.",
        "matched": ("NATO", "expansion"),
        "sources": (AlertSource("Northern Courier", "https://courier.example/a/nato.html", "t"),),
    }
    base.update(changes)
    return Alert(**base)


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every mrkdwn string in the blocks (where Slack would interpret control sequences)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


def control_sequences(text: str) -> list[str]:
    """The ``<…>`` sequences Slack would act on: links, mentions, broadcasts."""
    return re.findall(r"<[^<>]*>", text)


def test_escape_is_exactly_slacks_three_entities() -> None:
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape("&lt;") == "&amp;lt;"  # already-escaped text stays literal


def test_hostile_title_summary_and_source_render_as_plain_text() -> None:
    alert = make_alert(
        title=HOSTILE,
        summary=HOSTILE,
        source="<!everyone> Outlet",
        topic="<!here>",
        sources=(
            AlertSource("<!everyone> Outlet", "https://courier.example/a.html", "t"),
            AlertSource("Evil <https://evil.example|x>", "https://evil.example/a>b|c", "t"),
        ),
    )
    fallback, blocks = alert_blocks(alert)
    for text in [*mrkdwn_texts(blocks), fallback]:
        for sequence in control_sequences(text):
            assert sequence.startswith(("<https://courier.example/", "<https://evil.example/a&gt;b%7Cc|")), (
                sequence
            )
            assert "<!" not in sequence
            assert "<@" not in sequence
        assert "<!channel>" not in text
        assert "<!here>" not in text
        assert "<!everyone>" not in text
    assert "&lt;!channel&gt;" in json.dumps(blocks)
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": HOSTILE, "emoji": False}}


def test_link_url_and_label_cannot_escape_their_brackets() -> None:
    assert link("https://x.example/?a=1&b=<2>|3", "A|B <c>") == (
        "<https://x.example/?a=1&amp;b=&lt;2&gt;%7C3|A¦B &lt;c&gt;>"
    )


def test_matched_terms_are_bolded_after_escaping() -> None:
    assert highlight("NATO <b>expansion</b> & nato", ("NATO", "expansion")) == (
        "*NATO* &lt;b&gt;*expansion*&lt;/b&gt; &amp; *nato*"
    )


def test_also_reported_by_is_capped_with_a_count() -> None:
    sources = tuple(AlertSource(f"Outlet {i}", f"https://o{i}.example/s", "t") for i in range(12))
    text = also_reported(sources)
    assert text.count("<https://") == ALSO_REPORTED_CAP
    assert text.endswith(f" +{12 - ALSO_REPORTED_CAP} more")


def test_update_lists_every_outlet_under_the_same_buttons() -> None:
    sources = (
        AlertSource("Northern Courier", "https://courier.example/a.html", "t"),
        AlertSource("Harbour Gazette", "https://gazette.example/b.html", "t"),
    )
    fallback, blocks = alert_blocks(make_alert(event="update", sources=sources))
    assert "Also reported by: <https://gazette.example/b.html|Harbour Gazette>" in json.dumps(blocks)
    actions = next(b for b in blocks if b["type"] == "actions")
    assert [e["value"] for e in actions["elements"]] == ["story:7", "similar:7", "mute:NATO expansion"]
    assert [e["action_id"] for e in actions["elements"]] == [
        "newswatch_story",
        "newswatch_similar",
        "newswatch_mute",
    ]
    assert "also reported by 1 more" in fallback


def test_huge_alert_stays_within_block_kit_limits() -> None:
    alert = make_alert(title="T&" * 400, summary="word & <x> " * 2000, source="S" * 500)
    fallback, blocks = alert_blocks(alert)
    assert len(blocks[0]["text"]["text"]) <= HEADER_MAX
    for text in mrkdwn_texts(blocks):
        assert len(text) <= SECTION_MAX
    assert len(fallback) <= 3000
    assert len(blocks) <= 50


def test_long_reply_is_split_into_sections_and_capped_at_fifty_blocks() -> None:
    items = tuple(ReplyItem(f"Story {i} <!here>", f"https://x.example/{i}", "d" * 100, i) for i in range(80))
    fallback, blocks = reply_blocks(Reply("Latest <!channel>:\n" + "line & more\n" * 800, items))
    assert len(blocks) <= 50
    assert blocks[-1]["type"] == "context"
    assert "more not shown" in blocks[-1]["elements"][0]["text"]
    for text in mrkdwn_texts(blocks):
        assert len(text) <= SECTION_MAX
        assert "<!" not in text
    assert fallback.startswith("Latest &lt;!channel&gt;:")


@given(st.text(alphabet="ab &<>|", max_size=400), st.integers(min_value=5, max_value=120))
def test_fit_never_cuts_inside_an_entity(raw: str, limit: int) -> None:
    out = fit(raw, limit)
    assert len(out) <= limit
    assert re.fullmatch(r"([^&<>]|&amp;|&lt;|&gt;)*…?", out), out


def test_an_untitled_story_still_has_a_header() -> None:
    _, blocks = alert_blocks(make_alert(title="   ", summary=""))
    assert blocks[0]["text"]["text"] == "Untitled story"
    assert [b["type"] for b in blocks] == ["header", "section", "context", "actions"]
