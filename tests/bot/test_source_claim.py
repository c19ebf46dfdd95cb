"""Claiming a source for a poll: one holder at a time, and the row exactly as stored.

The claim is one ``UPDATE ... RETURNING`` where the database has it and an UPDATE then a SELECT where it
does not (SQLite before 3.35); both paths run here, on both databases. The row becomes a ``Source``
through ``from_row``, which skips the model's validation: it must give what ``Source(**row)`` gives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Newswatch
from bot.catalog import sync_config
from bot.models import Source, from_row
from bot.pipeline import SOURCES
from bot.settings import settings_from_dict
from bot.store import Store


@pytest.fixture(params=[True, False], ids=["returning", "update-then-select"])
async def app(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Newswatch]:
    settings = settings_from_dict(
        {
            "storage": {"url": database_url},
            "network": {"allow_private": ["127.0.0.1"]},
            "sources": [{"name": "Harbour Gazette", "url": "http://127.0.0.1:9/feed.xml", "every": "15m"}],
            "topics": [],
        },
        tmp_path,
    )
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    monkeypatch.setattr(store.engine.dialect, "update_returning", request.param)
    made = Newswatch(settings, store, {})
    made.owner = "replica-a:1"
    yield made
    await made.aclose()
    store.close()


def _stored(store: Store) -> dict[str, object]:
    with store.engine.connect() as connection:
        return dict(connection.execute(select(*SOURCES.c)).mappings().one())


def test_from_row_gives_what_the_model_gives(app: Newswatch) -> None:
    with app.store.engine.begin() as connection:
        connection.execute(
            SOURCES.update().values(
                options={"selector": "article h2 a"},
                query_validators={"https://news.example/q=1": ['"v1"', None]},
                last_success_at=datetime(2026, 12, 1, 8, 30, tzinfo=UTC),
                consecutive_failures=2,
                last_error="HTTP 503",
            )
        )
    row = _stored(app.store)
    built, validated = from_row(Source, row), Source(**row)
    assert built.model_dump() == validated.model_dump()
    assert built.options == {"selector": "article h2 a"}
    assert built.last_success_at == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    assert built.every_seconds == 900


def test_a_claim_reads_the_row_as_claimed_and_holds_others_off(app: Newswatch) -> None:
    source_id = int(_stored(app.store)["id"])  # type: ignore[call-overload]
    now = datetime.now(UTC)
    claimed = app._claim(source_id, now, only_due=False)
    assert claimed is not None
    assert claimed.name == "Harbour Gazette"
    assert claimed.lease_owner == "replica-a:1"
    assert claimed.lease_until is not None
    assert claimed.lease_until > now
    assert claimed.model_dump() == Source(**_stored(app.store)).model_dump()

    app.owner = "replica-b:2"  # another replica, while the lease is held
    assert app._claim(source_id, now, only_due=False) is None
    assert app._claim(source_id + 1000, now, only_due=False) is None  # no such source
    assert app._claim(source_id, now + timedelta(minutes=6), only_due=False) is not None  # lease expired


def test_only_a_due_source_is_claimed_when_asked_for_due_ones(app: Newswatch) -> None:
    source_id = int(_stored(app.store)["id"])  # type: ignore[call-overload]
    now = datetime.now(UTC)
    with app.store.engine.begin() as connection:
        connection.execute(SOURCES.update().values(next_poll_at=now + timedelta(minutes=10)))
    assert app._claim(source_id, now, only_due=True) is None
    assert app._claim(source_id, now + timedelta(minutes=11), only_due=True) is not None
