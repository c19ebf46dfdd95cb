"""The real scheduler: each source wakes at its own interval, and sources added or resumed while the
service runs start polling at the next changes check, not at the minute-long reconcile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot import scheduler
from bot.app import Newswatch
from bot.models import Source
from bot.sample_site import LocalSite, Route
from bot.scheduler import Service
from tests.bot.test_polite_polling import RSS, make_app, rss


@pytest.fixture
async def app(news_site: LocalSite, tmp_path: Path) -> AsyncIterator[Newswatch]:
    for name in ("fast", "slow", "later"):
        news_site.set(f"/{name}.xml", Route(RSS, rss(news_site, [])))
    made = await make_app(
        tmp_path, [("Fast", news_site.url + "/fast.xml")], network={"adaptive_polling": False}
    )
    yield made
    await made.aclose()
    made.store.close()


async def _until(condition: object, stop_after: float = 10.0) -> None:
    """Wait until ``condition()`` holds (polled every 50 ms); fail when it never does."""
    assert callable(condition)
    for _ in range(int(stop_after / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the scheduler never got there")


def _polled(app: Newswatch, name: str) -> bool:
    with app.store.session() as session:
        return session.exec(select(Source).where(Source.name == name)).one().last_success_at is not None


def _set_interval(app: Newswatch, name: str, seconds: int) -> None:
    with app.store.session() as session:
        source = session.exec(select(Source).where(Source.name == name)).one()
        source.every_seconds = seconds
        session.add(source)


async def test_a_source_is_polled_again_at_its_own_interval(
    app: Newswatch, news_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler, "RECONCILE_EVERY", 3600.0)  # only the source's own job can poll it
    _set_interval(app, "Fast", 1)
    stop = asyncio.Event()
    service = Service(app)
    running = asyncio.create_task(service.run(stop))
    try:
        await _until(lambda: news_site.hits("/fast.xml") >= 3)
    finally:
        stop.set()
        await running


async def test_the_adaptive_wake_up_is_the_lower_bound_of_the_interval(app: Newswatch) -> None:
    _set_interval(app, "Fast", 3600)
    service = Service(app)
    service.reconcile()
    assert service._source_jobs == {1: 3600}
    network = app.settings.network.model_copy(update={"adaptive_polling": True})
    app.settings = app.settings.model_copy(update={"network": network})
    _set_interval(app, "Fast", 3601)  # a changed interval replaces the job
    service.reconcile()
    assert service._source_jobs == {1: 900}  # a quarter of the interval: adaptive may poll that often
    job = service.scheduler.get_job("source-1")
    assert job is not None
    assert job.trigger.interval.total_seconds() == 900


async def test_new_and_resumed_sources_are_polled_without_waiting_for_the_reconcile(
    app: Newswatch, news_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scheduler, "RECONCILE_EVERY", 3600.0)
    monkeypatch.setattr(scheduler, "CHANGES_EVERY", 0.2)
    stop = asyncio.Event()
    running = asyncio.create_task(Service(app).run(stop))
    try:
        await _until(lambda: news_site.hits("/fast.xml") >= 1)
        with app.store.session() as session:  # as another replica's `/source add` would, paused at first
            session.add(Source(name="Later", url=news_site.url + "/later.xml", paused=True, origin="chat"))
        await asyncio.sleep(0.5)
        assert news_site.hits("/later.xml") == 0  # paused: not polled
        with app.store.session() as session:  # `/source resume`
            later = session.exec(select(Source).where(Source.name == "Later")).one()
            later.paused = False
            session.add(later)
        await _until(lambda: _polled(app, "Later"))
    finally:
        stop.set()
        await running
