"""The neutral command core, as the demo console (and later the chats) speak it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.catalog import sync_config
from bot.settings import settings_from_dict
from bot.store import Store
from handlers.commands import MAX_INPUT, CommandContext, run_command


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[CommandContext]:
    settings = settings_from_dict({"topics": [{"name": "Grain exports", "query": "grain exports"}]}, tmp_path)
    store = Store.open(f"sqlite:///{tmp_path}/c.db")
    sync_config(store, settings)
    yield CommandContext(store=store, user="u1", chat="c1")
    store.close()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/nonsense", "Unknown command /nonsense"),
        ("/lates", "Did you mean /latest?"),
        ("/latest Grain", "There is no topic 'Grain'. Did you mean 'Grain exports'?"),
        ("/search", "Usage: /search QUERY"),
        ("/story abc", "Usage: /story ID"),
        ("/story 99", "There is no story 99."),
        ("/" + "x" * (MAX_INPUT + 1), "too long"),
    ],
)
def test_bad_input_gets_a_short_hint(ctx: CommandContext, line: str, expected: str) -> None:
    reply = run_command(ctx, line)
    assert reply.error
    assert expected in reply.text


def test_listings_on_an_empty_archive(ctx: CommandContext) -> None:
    assert "Grain exports: grain exports" in run_command(ctx, "/topics").text
    assert run_command(ctx, "/latest grain exports 3").text == "No matching stories yet."
    assert run_command(ctx, "/search grain").text == "Nothing found for 'grain'."
    help_text = run_command(ctx, "/help").text
    for name in ("/latest", "/search", "/story", "/topics"):
        assert name in help_text
