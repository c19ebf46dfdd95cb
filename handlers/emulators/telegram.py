"""A Telegram Bot API emulator: a real HTTP server on loopback that python-telegram-bot talks to.

Point ``[telegram] api_base`` at ``emulator.url`` and the real client library runs unchanged. The
emulator keeps a transcript per chat (messages with their rendered text, links, buttons and edit history),
lets a test "type" a message or press a button (it appears in ``getUpdates``, or is POSTed to the webhook),
enforces Telegram's flood limits (answering 429 with ``retry_after``, counted in ``limit_hits``), and
injects the errors the real API returns: 429, 403 blocked/kicked, 400 chat not found, message is too long,
message is not modified, group migrated to a supergroup, 5xx, and slow responses.

Response and error shapes follow https://core.telegram.org/bots/api: ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "...", "parameters": {"retry_after": N}}``.

It runs its own event loop in a background thread, so sync tests, async tests, subprocess tests and the
demo can all use it the same way: ``with TelegramEmulator() as tg: ...``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from bot.ratelimit import PLATFORM_LIMITS, PlatformLimits
from handlers.telegram_html import HtmlError, parse_html

DEFAULT_TOKEN = "123456:EMULATED-token"  # noqa: S105 - a fake token for the local emulator
BOT_ID = 123456
MAX_TEXT = 4096

_ERRORS: dict[str, tuple[int, str]] = {
    "429": (429, "Too Many Requests: retry after {retry_after}"),
    "blocked": (403, "Forbidden: bot was blocked by the user"),
    "kicked": (403, "Forbidden: bot was kicked from the group chat"),
    "not_found": (400, "Bad Request: chat not found"),
    "too_long": (400, "Bad Request: message is too long"),
    "not_modified": (
        400,
        "Bad Request: message is not modified: specified new message content and reply markup are "
        "exactly the same as a current content and reply markup of the message",
    ),
    "migrated": (400, "Bad Request: group chat was upgraded to a supergroup chat"),
    "5xx": (502, "Bad Gateway"),
    "500": (500, "Internal Server Error"),
}


@dataclass
class Message:
    """One message the bot sent, as the chat shows it now (``edits`` keeps every earlier text)."""

    message_id: int
    chat_id: int
    html: str
    text: str
    links: list[tuple[str, str]]
    buttons: list[list[dict[str, Any]]]
    link_preview: bool
    date: float
    edits: list[str] = field(default_factory=list)


@dataclass
class _Fault:
    kind: str
    count: int
    chat_id: int | None
    retry_after: int
    new_chat_id: int | None = None


class _Reject(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


# what a ChatMemberAdministrator carries besides status and user (every right granted)
ADMIN_RIGHTS: dict[str, bool] = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": True,
    "can_edit_stories": True,
    "can_delete_stories": True,
}


CHAT_TOLERANCE = 0.75


class TelegramEmulator:
    """``url`` is the ``api_base``; ``token`` the only token it accepts."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        limits: PlatformLimits | None = PLATFORM_LIMITS["telegram"],
        username: str = "newswatch_test_bot",
    ) -> None:
        self.token = token
        self.limits = limits
        self.username = username
        self.lock = threading.RLock()
        self.messages: dict[int, list[Message]] = {}
        self.sent_log: list[tuple[float, int, int]] = []  # (time, chat id, message id) of every send
        self.calls: list[str] = []
        self.commands: list[dict[str, str]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.limit_hits = 0
        self.webhook: dict[str, Any] | None = None
        self.delays: dict[str, float] = {}  # method -> seconds before it is handled
        self.slow_after_accept: dict[int, float] = {}  # chat id -> seconds sendMessage holds its answer
        self.blocked: dict[int, str] = {}
        self.migrated: dict[int, int] = {}
        self.chat_admins: dict[int, set[int]] = {}  # group id -> its administrators' user ids
        self._faults: list[_Fault] = []
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._next_message = 1
        self._next_callback = 1
        self._global_sent: deque[float] = deque()
        self._chat_sent: dict[int, deque[float]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._new_update: asyncio.Condition | None = None
        self._closing = False
        self._tasks: set[asyncio.Future[None]] = set()
        self._port = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> TelegramEmulator:
        started = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._start_server())
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._stop_server())
            loop.close()

        self._thread = threading.Thread(target=serve, name="telegram-emulator", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the Telegram emulator did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> TelegramEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _start_server(self) -> None:
        self._new_update = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/_emulator/stats", self._stats)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        addresses = self._runner.addresses
        self._port = int(addresses[0][1])

    async def _stop_server(self) -> None:
        # A client long-polling getUpdates would otherwise hold the shutdown for its whole timeout.
        self._closing = True
        if self._new_update is not None:
            async with self._new_update:
                self._new_update.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------ what a test does

    def fail_next(
        self,
        kind: str,
        *,
        count: int = 1,
        chat_id: int | None = None,
        retry_after: int = 1,
        new_chat_id: int | None = None,
    ) -> None:
        """The next ``count`` sends/edits (to ``chat_id``, or any chat) fail with ``kind`` (see _ERRORS)."""
        if kind not in _ERRORS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(_ERRORS)}")
        with self.lock:
            self._faults.append(_Fault(kind, count, chat_id, retry_after, new_chat_id))

    def block(self, chat_id: int, kind: str = "blocked") -> None:
        """Every later message to ``chat_id`` fails as blocked, kicked or not found."""
        with self.lock:
            self.blocked[chat_id] = kind

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """The group ``chat_id`` became the supergroup ``new_chat_id``."""
        with self.lock:
            self.migrated[chat_id] = new_chat_id

    def make_admin(self, chat_id: int, user_id: int) -> None:
        """``user_id`` becomes one of group ``chat_id``'s administrators (``getChatAdministrators``)."""
        with self.lock:
            self.chat_admins.setdefault(chat_id, set()).add(user_id)

    def user_says(self, chat_id: int, text: str, *, user_id: int = 1001, chat_type: str | None = None) -> int:
        """A user message in ``chat_id`` (commands get a ``bot_command`` entity); returns its update id."""
        entities = []
        if text.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
        with self.lock:
            message_id = self._next_message
            self._next_message += 1
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": self._user(user_id),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        return self._push({"message": message})

    def press(self, chat_id: int, message_id: int, data: str, *, user_id: int = 1001) -> str:
        """A press on an inline button of the bot's message; returns the callback query id."""
        with self.lock:
            found = self._find(chat_id, message_id)
            callback_id = str(self._next_callback)
            self._next_callback += 1
        query = {
            "id": callback_id,
            "from": self._user(user_id),
            "chat_instance": str(chat_id),
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(found.date) if found else int(time.time()),
                "chat": self._chat(chat_id, None),
                "from": self._bot_user(),
                "text": found.text if found else "",
            },
        }
        self._push({"callback_query": query})
        return callback_id

    def transcript(self, chat_id: int) -> list[Message]:
        with self.lock:
            return list(self.messages.get(chat_id, []))

    def texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.transcript(chat_id)]

    def pending_updates(self) -> int:
        with self.lock:
            return len(self._updates)

    def wait_for(self, chat_id: int, count: int, timeout: float = 30.0) -> list[Message]:
        """Block until ``chat_id`` shows at least ``count`` messages; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.transcript(chat_id)
            if len(rows) >= count:
                return rows
            time.sleep(0.05)
        raise AssertionError(f"chat {chat_id} has {len(self.transcript(chat_id))} messages, wanted {count}")

    # ------------------------------------------------------------------ the HTTP side

    async def _stats(self, request: web.Request) -> web.Response:
        """Counters for a bot running in another process (benchmarks, the demo)."""
        with self.lock:
            return web.json_response(
                {
                    "messages": sum(len(v) for v in self.messages.values()),
                    "chats": len(self.messages),
                    "edits": sum(len(m.edits) for v in self.messages.values() for m in v),
                    "limit_hits": self.limit_hits,
                    "pending_updates": len(self._updates),
                }
            )

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        with self.lock:
            self.calls.append(method)
            delay = self.delays.get(method, 0.0)
        if delay:
            await asyncio.sleep(delay)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            result = await handler(params)
        except _Reject as exc:
            return _error(exc.code, exc.description, exc.parameters)
        return web.json_response({"ok": True, "result": result})

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return self._bot_user() | {"can_join_groups": True, "can_read_all_group_messages": False}

    async def _api_logOut(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_close(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = _json(params.get("commands"), [])
        with self.lock:
            self.commands = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    async def _api_getMyCommands(self, params: dict[str, Any]) -> Any:
        with self.lock:
            return list(self.commands)

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        with self.lock:
            self.webhook = None
            if _flag(params.get("drop_pending_updates")):
                self._updates.clear()
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return await self._api_deleteWebhook(params)
        with self.lock:
            self.webhook = {"url": url, "secret_token": params.get("secret_token")}
            if _flag(params.get("drop_pending_updates")):
                self._updates.clear()
        task = asyncio.ensure_future(self._push_webhook())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        with self.lock:
            return {
                "url": self.webhook["url"] if self.webhook else "",
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        with self.lock:
            if self.webhook:
                raise _Reject(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        limit = min(int(params.get("limit") or 100), 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        assert self._new_update is not None
        while True:
            with self.lock:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = self._updates[:limit]
            if ready or self._closing or time.monotonic() >= deadline:
                return ready
            async with self._new_update:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        with self.lock:
            self.callback_answers.append(
                {
                    "callback_query_id": str(params.get("callback_query_id")),
                    "text": params.get("text"),
                    "show_alert": _flag(params.get("show_alert")),
                }
            )
        return True

    async def _api_getChatAdministrators(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        self._check_chat(chat_id)
        with self.lock:
            admins = sorted(self.chat_admins.get(chat_id, set()))
        return [{"status": "administrator", "user": self._user(a), **ADMIN_RIGHTS} for a in admins]

    async def _api_getChat(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        self._check_chat(chat_id)
        return self._chat(chat_id, None)

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        with self.lock:
            self._check_chat(chat_id)
            self._inject(chat_id)
            self._check_limits(chat_id)
            html, text, links = _render(params)
            message = Message(
                message_id=self._next_message,
                chat_id=chat_id,
                html=html,
                text=text,
                links=links,
                buttons=_keyboard(params),
                link_preview=_preview(params),
                date=time.time(),
            )
            self._next_message += 1
            self.messages.setdefault(chat_id, []).append(message)
            self.sent_log.append((time.monotonic(), chat_id, message.message_id))
            result = self._message_json(message)
            hold = self.slow_after_accept.get(chat_id, 0.0)
        if hold:  # accepted and shown, but the answer is late: the window a crash can duplicate
            await asyncio.sleep(hold)
        return result

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        message_id = int(params["message_id"])
        with self.lock:
            self._check_chat(chat_id)
            self._inject(chat_id)
            found = self._find(chat_id, message_id)
            if found is None:
                raise _Reject(400, "Bad Request: message to edit not found")
            html, text, links = _render(params)
            buttons = _keyboard(params)
            if html == found.html and buttons == found.buttons:
                raise _Reject(400, _ERRORS["not_modified"][1])
            found.edits.append(found.text)
            found.html, found.text, found.links, found.buttons = html, text, links, buttons
            found.link_preview = _preview(params)
            return self._message_json(found)

    # ------------------------------------------------------------------ rules

    def _check_chat(self, chat_id: int) -> None:
        if chat_id in self.migrated:
            raise _Reject(
                400,
                _ERRORS["migrated"][1],
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        if chat_id in self.blocked:
            code, description = _ERRORS[self.blocked[chat_id]]
            raise _Reject(code, description)

    def _inject(self, chat_id: int) -> None:
        for fault in self._faults:
            if fault.count > 0 and fault.chat_id in (None, chat_id):
                fault.count -= 1
                code, description = _ERRORS[fault.kind]
                parameters: dict[str, Any] | None = None
                if fault.kind == "429":
                    parameters = {"retry_after": fault.retry_after}
                elif fault.kind == "migrated":
                    parameters = {"migrate_to_chat_id": fault.new_chat_id or -(10**12) - abs(chat_id)}
                self._faults = [f for f in self._faults if f.count > 0]
                raise _Reject(code, description.format(retry_after=fault.retry_after), parameters)

    def _check_limits(self, chat_id: int) -> None:
        """Telegram's flood control: overall per second, per chat, per group per minute."""
        if self.limits is None:
            return
        limits = self.limits.limits
        now = time.monotonic()
        window = self.limits.group_window / 60.0  # one second at real scale, shorter when scaled
        while self._global_sent and self._global_sent[0] <= now - window:
            self._global_sent.popleft()
        chat = self._chat_sent.setdefault(chat_id, deque())
        while chat and chat[0] <= now - self.limits.group_window:
            chat.popleft()
        wait = 0.0
        if limits.per_second and len(self._global_sent) >= round(limits.per_second * window):
            wait = window
        # one chat: Telegram does not enforce its "about one message a second" to the millisecond; a
        # quarter of the interval early passes, so a request the sender's own loop delayed is not punished
        if limits.chat_interval and chat and now - chat[-1] < limits.chat_interval * CHAT_TOLERANCE:
            wait = max(wait, limits.chat_interval)
        if limits.group_per_minute and chat_id < 0 and len(chat) >= limits.group_per_minute:
            wait = max(wait, chat[0] + self.limits.group_window - now)
        if wait > 0:
            self.limit_hits += 1
            retry = max(1, round(wait))
            raise _Reject(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        self._global_sent.append(now)
        chat.append(now)

    # ------------------------------------------------------------------ shapes

    def _find(self, chat_id: int, message_id: int) -> Message | None:
        return next((m for m in self.messages.get(chat_id, []) if m.message_id == message_id), None)

    def _push(self, update: dict[str, Any]) -> int:
        with self.lock:
            update_id = self._next_update
            self._next_update += 1
            self._updates.append({"update_id": update_id, **update})
        loop = self._loop
        if loop is not None:
            asyncio.run_coroutine_threadsafe(self._notify(), loop)
        return update_id

    async def _notify(self) -> None:
        assert self._new_update is not None
        async with self._new_update:
            self._new_update.notify_all()
        await self._push_webhook()

    async def _push_webhook(self) -> None:
        """In webhook mode, POST queued updates to the bot's URL with its secret token header."""
        with self.lock:
            hook = dict(self.webhook) if self.webhook else None
            updates = list(self._updates) if hook else []
        if not hook or not updates:
            return
        headers = (
            {"X-Telegram-Bot-Api-Secret-Token": str(hook["secret_token"])} if hook["secret_token"] else {}
        )
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            for update in updates:
                try:
                    async with session.post(hook["url"], json=update, headers=headers) as response:
                        delivered = response.status == 200
                except OSError:
                    delivered = False
                if not delivered:
                    return  # kept; retried with the next update or the next setWebhook
                with self.lock:
                    self._updates = [u for u in self._updates if u["update_id"] != update["update_id"]]

    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Newswatch", "username": self.username}

    @staticmethod
    def _user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": "en"}

    @staticmethod
    def _chat(chat_id: int, chat_type: str | None) -> dict[str, Any]:
        kind = chat_type or ("private" if chat_id > 0 else "supergroup")
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = f"User{chat_id}"
        else:
            chat["title"] = f"Group {chat_id}"
        return chat

    def _message_json(self, message: Message) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(message.date),
            "chat": self._chat(message.chat_id, None),
            "from": self._bot_user(),
            "text": message.text,
        }
        if message.edits:
            out["edit_date"] = int(time.time())
        if message.buttons:
            out["reply_markup"] = {"inline_keyboard": message.buttons}
        return out


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def _params(request: web.Request) -> dict[str, Any]:
    """Bot API parameters arrive as query string, form data or JSON; all three are accepted."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _Reject(400, "Bad Request: can't parse JSON parameter") from None
    return value


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _render(params: dict[str, Any]) -> tuple[str, str, list[tuple[str, str]]]:
    """(raw text, text as shown, links) for a message; HTML is parsed as strictly as Telegram does."""
    raw = str(params.get("text") or "")
    if not raw.strip():
        raise _Reject(400, "Bad Request: message text is empty")
    if str(params.get("parse_mode") or "").upper() == "HTML":
        try:
            text, links = parse_html(raw)
        except HtmlError as exc:
            raise _Reject(400, f"Bad Request: can't parse entities: {exc}") from None
    else:
        text, links = raw, []
    if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
        raise _Reject(400, _ERRORS["too_long"][1])
    return raw, text, links


def _keyboard(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    markup = _json(params.get("reply_markup"), {})
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if data is not None and len(str(data).encode()) > 64:
                raise _Reject(400, "Bad Request: BUTTON_DATA_INVALID")
    return [list(row) for row in rows]


def _preview(params: dict[str, Any]) -> bool:
    options = _json(params.get("link_preview_options"), {})
    if isinstance(options, dict) and options.get("is_disabled"):
        return False
    return not _flag(params.get("disable_web_page_preview"))


def main(argv: list[str] | None = None) -> None:
    """``python -m handlers.emulators.telegram``: serve the emulator until interrupted, printing its URL."""
    import argparse

    parser = argparse.ArgumentParser(description="A local Telegram Bot API emulator on 127.0.0.1.")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the bot token it accepts")
    parser.add_argument("--scale", type=float, default=1.0, help="Telegram's limits sped up this much")
    parser.add_argument("--no-limits", action="store_true", help="do not enforce flood limits")
    args = parser.parse_args(argv)
    limits = None if args.no_limits else PLATFORM_LIMITS["telegram"].scaled(args.scale)
    emulator = TelegramEmulator(token=args.token, limits=limits).start()
    print(emulator.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
