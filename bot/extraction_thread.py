"""Page extraction off the event loop, on one thread.

Extraction is CPU-bound Python (lxml and trafilatura), so threads only share one interpreter lock: on the
181 pages of the extraction benchmark, six threads took 55 ms of CPU per page and one took 34, and one was
faster by the clock too (34.5 ms against 46.5). One thread keeps the loop free for fetching and storing.

A page that overruns its time budget cannot be stopped; its thread finishes in the background. So that one
hostile page does not hold up the pages behind it, the thread that was running it is retired (it ends when
that page and the pages already queued on it are done) and new pages go to a fresh thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class ExtractionThread:
    def __init__(self) -> None:
        self._executor = _new_executor()
        self.retired = 0
        """Threads given up on after an overrun (for tests and logs)."""

    async def run(self, job: Callable[[], T], budget: float) -> T:
        """``job()`` on the extraction thread; TimeoutError when it has not finished within ``budget``
        seconds of being submitted (time queued behind other pages counts: the caller waits for both)."""
        started: list[bool] = []

        def tracked() -> T:
            started.append(True)
            return job()

        executor = self._executor
        future = asyncio.get_running_loop().run_in_executor(executor, tracked)
        try:
            return await asyncio.wait_for(future, budget)
        except TimeoutError:
            if started and executor is self._executor:  # this page is the one holding the thread
                self._executor = _new_executor()
                executor.shutdown(wait=False)
                self.retired += 1
            raise

    def close(self) -> None:
        self._executor.shutdown(wait=False)


def _new_executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")
