"""The console channel: alerts printed readably in the terminal (the demo's chat window)."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.alerts import Alert
from bot.models import Chat
from handlers.render import local_time


def alert_panel(alert: Alert) -> Panel:
    """A panel with the title, outlet and time, the summary, and every outlet that carries the story."""
    body = Text()
    body.append(alert.title, style="bold")
    body.append(f"\n{alert.source}", style="cyan")
    if alert.published:
        body.append(f" · {local_time(alert.published)}", style="dim")
    body.append(f"\n{alert.url}\n", style="blue underline")
    if alert.summary:
        body.append(f"\n{alert.summary}\n")
    if len(alert.sources) > 1:
        others = ", ".join(s.name for s in alert.sources[1:])
        body.append(f"\nAlso reported by: {others}", style="green")
    if alert.matched:
        body.append(f"\nMatched: {', '.join(alert.matched)}", style="dim")
    label = "NEW" if alert.event == "new" else "UPDATE"
    return Panel(body, title=f"[bold]{label}[/] · {alert.topic} · story {alert.story_id}", title_align="left")


class ConsoleChannel:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)

    async def send(self, chat: Chat, alert: Alert) -> str | None:
        self.console.print(alert_panel(alert))
        return None

    async def update(self, chat: Chat, alert: Alert, message_id: str | None) -> str | None:
        self.console.print(alert_panel(alert))
        return message_id
