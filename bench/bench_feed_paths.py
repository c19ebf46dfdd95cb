"""Feed parsing per entry: ``parse_feed`` (the plain lxml path) against its feedparser path, same feeds.

The feeds are the poll benchmark's (``bench_poll._feed``): RSS 2.0, absolute links, RFC 822 dates. Both
paths start from the same bytes and include charset detection and ``guard_xml``; CPU time
(``time.process_time``), median of ``--repeat`` runs. Both must give equal entries, or the script stops.

    .venv/bin/python bench/bench_feed_paths.py --feeds 200 --entries 25
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_poll  # noqa: E402

from watchers.charsets import feed_bytes  # noqa: E402
from watchers.entries import FeedEntry  # noqa: E402
from watchers.feeds import _parse_with_feedparser, parse_feed  # noqa: E402
from watchers.xmlguard import guard_xml  # noqa: E402

URL = "http://127.0.0.1:8000"
FEED_URL = f"{URL}/feeds/0.xml"


def feedparser_path(body: bytes) -> list[FeedEntry]:
    data = guard_xml(feed_bytes(body, bench_poll.RSS)[0])
    return _parse_with_feedparser(data, url=FEED_URL, content_type=bench_poll.RSS)


def plain_path(body: bytes) -> list[FeedEntry]:
    return parse_feed(body, url=FEED_URL, content_type=bench_poll.RSS)


def per_entry(parse: Callable[[bytes], list[FeedEntry]], bodies: list[bytes], repeat: int) -> float:
    """Median CPU microseconds per entry."""
    times, entries = [], 0
    for _ in range(repeat):
        started = time.process_time()
        entries = sum(len(parse(body)) for body in bodies)
        times.append(time.process_time() - started)
    return statistics.median(times) / entries * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=25, help="entries per feed")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bodies = [bench_poll._feed(URL, source, range(args.entries)) for source in range(args.feeds)]
    if [feedparser_path(b) for b in bodies] != [plain_path(b) for b in bodies]:
        raise SystemExit("the two paths disagree on the bench feeds")
    slow = per_entry(feedparser_path, bodies, args.repeat)
    fast = per_entry(plain_path, bodies, args.repeat)
    print(f"{args.feeds} feeds of {args.entries} entries, median of {args.repeat}, CPU time per entry:")
    print(f"  feedparser path: {slow:7.1f} us   ({1e6 / slow:6.0f} entries per CPU s)")
    print(f"  plain path:      {fast:7.1f} us   ({1e6 / fast:6.0f} entries per CPU s)   {slow / fast:.1f}x")


if __name__ == "__main__":
    main()
