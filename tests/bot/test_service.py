"""``newswatch run``: the scheduled service delivers while it runs and stops cleanly on a signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.sample_site import LocalSite
from tests.bot.test_poll_once import NEWSWATCH, Clock, config_data, publish, write_config


def _wait_for(path: Path, lines: int, timeout: float) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
            if len(rows) >= lines:
                return rows
        time.sleep(0.2)
    raise AssertionError(f"{path} did not reach {lines} lines in {timeout} s")


def test_run_delivers_and_stops_on_sigterm(news_site: LocalSite, tmp_path: Path) -> None:
    publish(news_site, Clock(datetime.now(UTC).replace(microsecond=0)))
    sources = [("Northern Courier", news_site.url + "/a.xml"), ("Harbour Gazette", news_site.url + "/b.xml")]
    config = write_config(tmp_path, config_data(news_site.url, f"sqlite:///{tmp_path}/run.db", sources))
    env = {k: v for k, v in os.environ.items() if k != "NEWSWATCH_CONFIG"}
    service = subprocess.Popen(
        [NEWSWATCH, "run", "--config", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        rows = _wait_for(tmp_path / "alerts.jsonl", 1, timeout=45)
        assert rows[0]["event"] == "new"
        started = time.monotonic()
        service.send_signal(signal.SIGTERM)
        _, stderr = service.communicate(timeout=15)
        assert time.monotonic() - started < 10
    finally:
        if service.poll() is None:
            service.kill()
            service.communicate()
    assert service.returncode == 0, stderr
    assert "newswatch stopped" in stderr
    assert "Traceback" not in stderr
