"""Channels for the configured ``[[channels]]``: the one place that maps a channel kind to its class."""

from __future__ import annotations

from rich.console import Console

from bot.dispatch import Channel
from bot.settings import Settings
from handlers.console import ButtonBoard, ConsoleChannel
from handlers.jsonl import JsonlChannel


def build_channels(
    settings: Settings, console: Console | None = None, board: ButtonBoard | None = None
) -> dict[str, Channel]:
    """Platform name -> channel; raises ConfigError when a platform's settings cannot be used. A ``board``
    numbers the console's alert buttons, for a prompt that can press them."""
    channels: dict[str, Channel] = {}
    jsonl = {
        c.name: (None if c.path == "-" else settings.resolve_path(c.path or ""))
        for c in settings.channels
        if c.kind == "jsonl"
    }
    if jsonl:
        channels["jsonl"] = JsonlChannel(jsonl)
    if any(c.kind == "console" for c in settings.channels):
        channels["console"] = ConsoleChannel(console, board)
    if settings.telegram is not None or any(c.kind == "telegram" for c in settings.channels):
        from handlers.telegram import TelegramChannel

        channels["telegram"] = TelegramChannel.from_settings(settings)
    if settings.slack is not None or any(c.kind == "slack" for c in settings.channels):
        from handlers.slack import build_slack_channel

        channels["slack"] = build_slack_channel(settings)
    return channels
