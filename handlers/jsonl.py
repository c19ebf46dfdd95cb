"""The JSONL channel: one JSON object per alert event, flushed per line, for scripts and pipelines.

Several ``[[channels]]`` of kind jsonl may exist; each chat row (keyed by channel name) has its own file
(or ``-`` for standard output). Files are opened in append mode and kept open for the process's life.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from bot.alerts import Alert
from bot.models import Chat
from watchers.errors import DeliveryError


class JsonlChannel:
    def __init__(self, paths: Mapping[str, Path | None]) -> None:
        """``paths`` maps a channel name to its file; None means standard output."""
        self._paths = dict(paths)
        self._files: dict[str, TextIO] = {}

    def _stream(self, name: str) -> TextIO:
        if name not in self._paths:
            raise DeliveryError(f"no jsonl channel named {name!r} in the config")
        path = self._paths[name]
        if path is None:
            return sys.stdout
        if name not in self._files:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._files[name] = path.open("a", encoding="utf-8")
            except OSError as exc:
                raise DeliveryError(f"cannot open {path}: {exc.strerror}") from None
        return self._files[name]

    def _write(self, chat: Chat, alert: Alert) -> None:
        stream = self._stream(chat.external_id)
        try:
            stream.write(json.dumps(alert.to_json(), ensure_ascii=False) + "\n")
            stream.flush()
        except OSError as exc:
            raise DeliveryError(f"cannot write to {chat.external_id}: {exc.strerror}") from None

    async def send(self, chat: Chat, alert: Alert) -> str | None:
        self._write(chat, alert)
        return None

    async def update(self, chat: Chat, alert: Alert, message_id: str | None) -> str | None:
        self._write(chat, alert)
        return message_id

    def close(self) -> None:
        for stream in self._files.values():
            stream.close()
        self._files.clear()
