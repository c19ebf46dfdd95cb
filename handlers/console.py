"""The console channel and prompt: the demo's chat window (``newswatch demo --interactive``).

Alerts are printed readably. With a ``ButtonBoard`` (the demo's prompt; ``newswatch run`` has nobody
to press anything) each alert shows its buttons as numbered choices (``[1] Summary / Sources  [2] More
like this  [3] Mute TOPIC``); numbers keep counting up for the whole session, so a button under an older
alert still works. At the prompt a line is a chat command (``handlers.commands.run_command``), or
a number (or ``/press N``) that presses that button through ``handlers.buttons.answer_button``, the same
function Telegram and Slack call.
"""

from __future__ import annotations

import re
import threading

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.alerts import Alert
from bot.models import Chat
from handlers.buttons import answer_button
from handlers.commands import CommandContext, run_command
from handlers.render import Button, Reply, alert_buttons, local_time, plain_text

PRESS = re.compile(r"/?press\s+(\d+)|(\d+)", re.IGNORECASE)
QUIT = frozenset({"/quit", "/exit", "quit", "exit"})


class ButtonBoard:
    """Every button shown in this terminal, by the number it was shown with (1, 2, 3, …)."""

    def __init__(self) -> None:
        self._buttons: list[Button] = []
        self._lock = threading.Lock()  # alerts are printed from the dispatcher while the prompt reads

    def show(self, buttons: tuple[Button, ...]) -> str:
        """Number ``buttons`` and return them as one line of choices."""
        with self._lock:
            first = len(self._buttons) + 1
            self._buttons.extend(buttons)
        return "  ".join(f"[{number}] {b.label}" for number, b in enumerate(buttons, first))

    def get(self, number: int) -> Button | None:
        with self._lock:
            return self._buttons[number - 1] if 0 < number <= len(self._buttons) else None


def alert_panel(alert: Alert, board: ButtonBoard | None = None) -> Panel:
    """A panel with the title, outlet and time, the summary, every outlet that carries the story and,
    with a ``board``, the alert's buttons as numbered choices."""
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
    if board is not None:
        body.append("\n" + board.show(alert_buttons(alert.story_id, alert.topic)), style="magenta")
    label = "NEW" if alert.event == "new" else "UPDATE"
    return Panel(body, title=f"[bold]{label}[/] · {alert.topic} · story {alert.story_id}", title_align="left")


class ConsoleChannel:
    def __init__(self, console: Console | None = None, board: ButtonBoard | None = None) -> None:
        self.console = console or Console(highlight=False)
        self.board = board

    async def send(self, chat: Chat, alert: Alert) -> str | None:
        self.console.print(alert_panel(alert, self.board))
        return None

    async def update(self, chat: Chat, alert: Alert, message_id: str | None) -> str | None:
        self.console.print(alert_panel(alert, self.board))
        return message_id


class ConsolePrompt:
    """Reads lines from the terminal and answers them as the chat platforms would."""

    def __init__(self, console: Console, ctx: CommandContext, board: ButtonBoard) -> None:
        self.console = console
        self.ctx = ctx
        self.board = board

    def run(self) -> None:
        """Until ``/quit`` or the end of input."""
        while True:
            try:
                line = self.console.input("[bold]newswatch>[/] ")
            except (EOFError, KeyboardInterrupt):
                self.console.print()
                return
            if line.strip().lower() in QUIT:
                return
            if line.strip():
                self.show(self.answer(line))

    def answer(self, line: str) -> Reply:
        pressed = PRESS.fullmatch(line.strip())
        if pressed is None:
            return run_command(self.ctx, line)
        number = int(pressed[1] or pressed[2])
        button = self.board.get(number)
        if button is None:
            return Reply(f"There is no button [{number}]; type a number shown in [brackets].", error=True)
        return answer_button(self.ctx, button.action, button.value)

    def show(self, reply: Reply) -> None:
        self.console.print(plain_text(reply), markup=False)
        if reply.buttons:
            self.console.print(self.board.show(reply.buttons), markup=False, style="magenta")
