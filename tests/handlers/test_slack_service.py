"""``newswatch run`` with a [slack] section, as a user runs it: the real service in a subprocess, the
emulator as Slack. An alert arrives once; a command over Socket Mode is answered; SIGTERM stops it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.sample_site import LocalSite
from handlers.emulators.slack import SlackEmulator
from tests.bot.test_poll_once import NATO_TITLE, NEWSWATCH, Clock, publish, toml_value, write_config
from tests.handlers.slack_support import CHANNEL, USER, slack, slack_config

__all__ = ["slack"]


def wait_for(check: Callable[[], Any], within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def config_file(slack: SlackEmulator, tmp_path: Path, sources: list[tuple[str, str]]) -> Path:
    data = slack_config(slack, f"sqlite:///{tmp_path}/run.db", sources)
    path = write_config(tmp_path, data)
    section = "\n[slack]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in data["slack"].items())
    path.write_text(path.read_text(encoding="utf-8") + section, encoding="utf-8")
    return path


def start(config: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWSWATCH_CONFIG"}
    return subprocess.Popen(
        [NEWSWATCH, "--verbose", "run", "--config", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_run_posts_one_alert_answers_a_command_and_stops(
    slack: SlackEmulator, news_site: LocalSite, tmp_path: Path
) -> None:
    publish(news_site, Clock(datetime.now(UTC).replace(microsecond=0)))
    sources = [("Northern Courier", news_site.url + "/a.xml"), ("Harbour Gazette", news_site.url + "/b.xml")]
    service = start(config_file(slack, tmp_path, sources))
    try:
        [alert] = wait_for(lambda: slack.messages(CHANNEL), 45, "the alert")
        assert alert.blocks[0]["text"]["text"] == NATO_TITLE
        wait_for(slack.connected, 15, "a Socket Mode connection")
        envelope = slack.send_envelope(
            "slash_commands", slack.slash_command("latest", channel=CHANNEL, user=USER)
        )
        wait_for(lambda: slack.acked(envelope), 10, "the ack")
        [reply] = wait_for(lambda: slack.ephemerals(CHANNEL), 10, "the reply")
        assert NATO_TITLE in json.dumps(reply.blocks)
        service.send_signal(signal.SIGTERM)
        _, stderr = service.communicate(timeout=15)
    finally:
        if service.poll() is None:
            service.kill()
            service.communicate()
    assert service.returncode == 0, stderr
    assert "newswatch stopped" in stderr
    assert "Traceback" not in stderr
    assert slack.bot_token not in stderr
    assert slack.app_token not in stderr
    assert len(slack.messages(CHANNEL)) == 1


def test_run_with_a_refused_token_stops_at_once_with_a_clear_error(
    slack: SlackEmulator, news_site: LocalSite, tmp_path: Path
) -> None:
    slack.invalid_auth = True
    service = start(config_file(slack, tmp_path, [("Northern Courier", news_site.url + "/a.xml")]))
    try:
        _, stderr = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
            service.communicate()
    assert service.returncode == 2, stderr
    assert "the bot token was refused" in stderr
    assert "invalid_auth" in stderr
    assert "Traceback" not in stderr
