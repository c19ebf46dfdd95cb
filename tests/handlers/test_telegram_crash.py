"""kill -9 during dispatch: the real ``newswatch run`` process dies mid-send and is started again.

The documented guarantee, asserted exactly: no alert is lost, and the only message shown twice is the one
the platform had accepted while our commit of "sent" had not happened yet (the emulator holds that one
chat's answer, so the kill lands in precisely that window).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import select

from bot.models import Delivery, DispatchLease
from bot.sample_site import LocalSite
from bot.store import Store
from handlers.emulators.telegram import DEFAULT_TOKEN, TelegramEmulator
from tests.bot.test_poll_once import NEWSWATCH, TOPIC, Clock, publish

FAST, SLOW = [101, 102, -103], 104


def config(tmp_path: Path, site: LocalSite, tg: TelegramEmulator, db: str) -> Path:
    chats = [*FAST, SLOW]
    lines = [
        f'[storage]\nurl = "{db}"\n',
        '[network]\nallow_private = ["127.0.0.1"]\ntimeout = "5s"\n',
        f'[[sources]]\nname = "Northern Courier"\nurl = "{site.url}/a.xml"\n',
        f'[[topics]]\nname = "{TOPIC}"\nquery = "NATO expansion"\n',
        f'[telegram]\ntoken_env = "NW_TG_TOKEN"\napi_base = "{tg.url}"\n',
    ]
    for chat in chats:
        lines.append(f'[[channels]]\nname = "c{chat}"\nkind = "telegram"\nchat_id = {chat}\n')
        lines.append(f'[[subscriptions]]\nchannel = "c{chat}"\ntopic = "{TOPIC}"\n')
    path = tmp_path / "newswatch.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def start(path: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSWATCH_CONFIG"} | {"NW_TG_TOKEN": DEFAULT_TOKEN}
    return subprocess.Popen(
        [NEWSWATCH, "run", "--config", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_9_mid_dispatch_loses_nothing_and_repeats_only_the_in_flight_message(
    news_site: LocalSite, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path}/crash.db"
    with TelegramEmulator() as tg:
        publish(news_site, Clock(datetime.now(UTC).replace(microsecond=0)))
        path = config(tmp_path, news_site, tg, db)
        tg.slow_after_accept[SLOW] = 60.0  # shown in the chat, but the answer never arrives in time
        service = start(path)
        try:
            wait(lambda: all(tg.transcript(c) for c in [*FAST, SLOW]), 60, "the first alerts")
            store = Store.open(db)
            wait(lambda: _sent(store) == len(FAST), 20, "the fast chats' commits")
            service.send_signal(signal.SIGKILL)
            service.wait(10)
        finally:
            if service.poll() is None:
                service.kill()
            service.communicate()
        assert _sent(store) == len(FAST)  # the slow chat's row was never committed as sent
        with store.session() as session:  # time passes: the dead process's leases expire
            past = datetime.now(UTC) - timedelta(seconds=1)
            session.execute(update(Delivery).values(lease_until=past))
            session.execute(update(DispatchLease).values(until=past))
        store.close()

        tg.slow_after_accept.clear()
        again = start(path)
        try:
            wait(lambda: len(tg.transcript(SLOW)) == 2, 60, "the redelivery")
            time.sleep(2.5)  # a dispatch round or two more: nothing else may arrive
        finally:
            again.send_signal(signal.SIGTERM)
            _, stderr = again.communicate(timeout=20)
        assert "Traceback" not in stderr
        for chat in FAST:
            assert len(tg.transcript(chat)) == 1, chat  # committed before the kill: never repeated
        repeated = tg.texts(SLOW)
        assert len(repeated) == 2  # the one in-flight message, exactly once more
        assert repeated[0] == repeated[1]
        store = Store.open(db)
        assert _sent(store) == len(FAST) + 1
        store.close()


def _sent(store: Store) -> int:
    with store.session() as session:
        return len(session.exec(select(Delivery).where(Delivery.status == "sent")).all())
