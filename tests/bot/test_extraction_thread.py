"""The extraction thread: jobs run off the loop, one at a time, and a job that overruns its budget gives
its thread up so the pages behind it get a fresh one."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.extraction_thread import ExtractionThread


async def test_jobs_run_on_one_thread_off_the_loop() -> None:
    worker = ExtractionThread()
    try:
        names = [await worker.run(lambda: threading.current_thread().name, 5.0) for _ in range(3)]
    finally:
        worker.close()
    assert len(set(names)) == 1
    assert names[0] != threading.current_thread().name


async def test_an_overrunning_job_retires_its_thread_and_the_next_page_gets_a_fresh_one() -> None:
    worker = ExtractionThread()
    release = threading.Event()
    try:
        stuck_on: list[int] = []

        def hostile() -> str:
            stuck_on.append(threading.get_ident())
            release.wait(10)
            return "late"

        with pytest.raises(TimeoutError):
            await worker.run(hostile, 0.2)
        assert worker.retired == 1
        started = time.monotonic()
        ident = await worker.run(threading.get_ident, 5.0)
        assert time.monotonic() - started < 2  # not queued behind the stuck page
        assert ident != stuck_on[0]  # the stuck thread is still alive, so its ident is not reused
    finally:
        release.set()
        worker.close()


async def test_a_page_that_only_waited_in_the_queue_does_not_retire_the_thread() -> None:
    worker = ExtractionThread()
    release = threading.Event()
    try:
        slow = worker.run(lambda: release.wait(10), 5.0)
        first = asyncio.ensure_future(slow)
        await asyncio.sleep(0.05)
        with pytest.raises(TimeoutError):
            await worker.run(lambda: None, 0.1)  # queued behind the slow page: never started
        assert worker.retired == 0
        release.set()
        assert await first is True
    finally:
        release.set()
        worker.close()
