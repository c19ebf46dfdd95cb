"""Fan-out: one story to N Telegram chats through the real stack, against the floor Telegram's limits set.

The outbox dispatcher sends through the real python-telegram-bot client to the Bot API emulator over
loopback HTTP (in its own process, as the platform would be); the emulator enforces the same limits,
answering 429 when one is broken. At real scale 10,000 chats at 30 messages/s take at least
10,000 / 30 ≈ 333 s; ``--scale`` speeds the limits up on both sides to shorten a run (the floor shrinks by
the same factor, but the bot then needs that much more CPU per second). Reported: elapsed time, the floor,
their ratio (target: within 10 %, i.e. ≤ 1.10), messages shown, and 429s from the emulator (target 0).

    .venv/bin/python bench/bench_fanout.py                          # 3,000 chats at real limits (~100 s)
    .venv/bin/python bench/bench_fanout.py --chats 10000            # the full fan-out (~333 s floor)
    .venv/bin/python bench/bench_fanout.py --chats 10000 --scale 4  # the same, limits x4
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from telegram import Bot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bot.archive import TopicMatch, store_article  # noqa: E402
from bot.dispatch import OutboxDispatcher  # noqa: E402
from bot.models import Chat, Source, Subscription, Topic, utcnow  # noqa: E402
from bot.ratelimit import PLATFORM_LIMITS, RateLimiter  # noqa: E402
from bot.store import Store  # noqa: E402
from handlers.emulators.telegram import DEFAULT_TOKEN  # noqa: E402
from handlers.telegram import TelegramChannel  # noqa: E402
from watchers.entries import Article  # noqa: E402
from watchers.match import compile_query  # noqa: E402


def prepare(store: Store, chats: int) -> None:
    """N private chats subscribed to one topic, and one matching article: N pending deliveries."""
    with store.session() as session:
        source = Source(name="Wire", url="https://wire.example/feed")
        topic = Topic(name="Grain", query="grain", created_at=utcnow())
        session.add_all([source, topic])
        session.flush()
        rows = [Chat(platform="telegram", external_id=str(1000 + i), name=f"c{i}") for i in range(chats)]
        session.add_all(rows)
        session.flush()
        assert topic.id is not None
        session.add_all(Subscription(chat_id=c.id or 0, topic_id=topic.id, created_at=utcnow()) for c in rows)
        source_id, topic_id = source.id, topic.id
    assert source_id is not None
    title = "Grain exports rebound after the harvest"
    store_article(
        store,
        source_id=source_id,
        data=Article(url="https://wire.example/1", title=title, text="grain", published=utcnow()),
        summary="Grain exports rebounded in November, traders said.",
        matches=[TopicMatch(topic_id, compile_query("grain").match(title, "grain"))],
        alert=True,
    )


async def run(url: str, chats: int, scale: float, database: str) -> None:
    limits = PLATFORM_LIMITS["telegram"].scaled(scale)
    store = Store.open(database)
    prepare(store, chats)
    bot = Bot(
        DEFAULT_TOKEN,
        base_url=url + "/bot",
        request=HTTPXRequest(connection_pool_size=64, httpx_kwargs={"trust_env": False}),
    )
    channel = TelegramChannel(bot)
    dispatcher = OutboxDispatcher(
        store,
        {"telegram": channel},
        limiter=RateLimiter({"telegram": limits}),
        fold_after=timedelta(hours=1),
    )
    started = time.monotonic()
    report = await dispatcher.dispatch_pending()
    elapsed = time.monotonic() - started
    await channel.aclose()
    store.close()
    async with httpx.AsyncClient(trust_env=False) as client:
        stats = (await client.get(url + "/_emulator/stats")).json()
    assert limits.limits.per_second is not None
    floor = (chats - 1) / limits.limits.per_second
    print(f"chats                 {chats}")
    print(f"limits                x{scale:g} (overall {limits.limits.per_second:g}/s)")
    print(f"floor                 {floor:.1f} s   (real scale: {(chats - 1) / 30:.1f} s)")
    print(f"elapsed               {elapsed:.1f} s")
    print(f"ratio to floor        {elapsed / floor:.3f}   (target <= 1.10)")
    print(f"messages shown        {stats['messages']} in {stats['chats']} chats; sent {report.sent}")
    print(f"429s from emulator    {stats['limit_hits']}   (target 0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--chats", type=int, default=3000, help="chats subscribed (default 3000)")
    parser.add_argument("--scale", type=float, default=1.0, help="limits sped up this much (default 1: real)")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a scratch SQLite file)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # the platform runs in its own process, as Telegram would: its CPU is not ours
    emulator = subprocess.Popen(
        [sys.executable, "-m", "handlers.emulators.telegram", "--scale", str(args.scale)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert emulator.stdout is not None
        url = emulator.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as scratch:
            database = args.database or f"sqlite:///{scratch}/fanout.db"
            asyncio.run(run(url, args.chats, args.scale, database))
    finally:
        emulator.terminate()
        emulator.wait(10)


if __name__ == "__main__":
    main()
