"""A Slack emulator: Web API, Socket Mode websocket and signed HTTP requests, on 127.0.0.1.

It runs an aiohttp server in its own thread (its own event loop), so synchronous tests, async tests whose
app shares the test's loop, a subprocess (``newswatch run``) and the demo can all talk to it. Everything
it receives is recorded per channel (messages and their edits, ephemeral replies), so a test reads like a
transcript::

    with SlackEmulator() as slack:
        slack.add_channel("C0NEWS", "news")
        ...  # point [slack] api_base at slack.api_base
        assert [m.text for m in slack.messages("C0NEWS")] == [...]

Response shapes follow the public Web API docs (``{"ok": true, ...}`` / ``{"ok": false, "error": ...}``,
HTTP 429 with ``Retry-After``); Socket Mode frames follow the SDK's own fixtures (``hello``, envelopes with
``envelope_id``, acks, ``disconnect``). Faults are injected with ``fail_next``, ``rate_limit_next``,
``server_error_next``, channel state (``archive``, ``remove_member``, ``delete_channel``) and
``invalid_auth``. Who may manage a channel is set with ``add_channel(..., creator=)`` and ``add_user``
(workspace admins and owners), answered by ``conversations.info`` and ``users.info``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from aiohttp import WSMsgType, web

CHAT_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "conversations.info")
DEFAULT_CREATOR = "U0CHANNELMAKER"  # every Slack channel has a creator; by default nobody a test names


@dataclass
class PostedMessage:
    """A message in a channel as the emulator holds it; ``edits`` keeps every earlier version's text."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    edits: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    via: str  # "chat.postEphemeral" or "response_url"


@dataclass
class SlackChannelState:
    id: str
    name: str
    member: bool = True
    archived: bool = False
    creator: str = DEFAULT_CREATOR


@dataclass
class SlackUser:
    """A workspace member as ``users.info`` describes one (the fields that decide what they may do)."""

    id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    deleted: bool = False


@dataclass
class _Fault:
    kind: str  # "error" | "ratelimited" | "status"
    error: str = ""
    retry_after: float = 1
    status: int = 500
    delay: float = 0.0


@dataclass(frozen=True)
class SignedResponse:
    status: int
    body: str


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's request signature: ``v0=`` HMAC-SHA256 over ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackEmulator:
    """Start with ``with SlackEmulator() as slack:``; ``slack.api_base`` is the Web API base URL."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-emulator-token",  # noqa: S107 - the emulator's own fake token
        app_token: str = "xapp-emulator-token",  # noqa: S107 - the emulator's own fake token
        team_id: str = "T0EMULATOR",
        bot_user_id: str = "U0NEWSWATCH",
        port: int = 0,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.invalid_auth = False
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.connections_opened = 0  # apps.connections.open calls
        self.sockets_opened = 0  # websockets accepted (a reconnect is done when the new one is open)
        self._lock = threading.Lock()
        self._channels: dict[str, SlackChannelState] = {}
        self._users: dict[str, SlackUser] = {}
        self._messages: dict[str, list[PostedMessage]] = {}
        self._ephemeral: list[Ephemeral] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._envelopes: dict[str, dict[str, Any]] = {}
        self._acks: dict[str, list[dict[str, Any]]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._response_urls: dict[str, tuple[str, str]] = {}
        self._ts = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._port = port

    # ---- lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/"

    def start(self) -> SlackEmulator:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._start_server())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._stop_server())
            loop.close()

        self._thread = threading.Thread(target=serve, name="slack-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the Slack emulator did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _start_server(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._web_api)
        app.router.add_get("/link/", self._socket)
        app.router.add_post("/response/{key}", self._response_url)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def _stop_server(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- state and switches ----------------------------------------------------------------------

    def add_channel(
        self, channel_id: str, name: str = "", *, member: bool = True, creator: str = DEFAULT_CREATOR
    ) -> None:
        with self._lock:
            self._channels[channel_id] = SlackChannelState(
                channel_id, name or channel_id.lower(), member, creator=creator
            )

    def add_user(
        self, user_id: str, name: str = "", *, is_admin: bool = False, is_owner: bool = False
    ) -> None:
        """A workspace member for ``users.info``; an owner is an admin too, as in Slack."""
        with self._lock:
            self._users[user_id] = SlackUser(
                user_id, name or user_id.lower(), is_admin=is_admin or is_owner, is_owner=is_owner
            )

    def archive(self, channel_id: str) -> None:
        with self._lock:
            self._channels[channel_id].archived = True

    def remove_member(self, channel_id: str) -> None:
        with self._lock:
            self._channels[channel_id].member = False

    def delete_channel(self, channel_id: str) -> None:
        with self._lock:
            self._channels.pop(channel_id, None)

    def fail_next(self, method: str, error: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer ``{"ok": false, "error": error}``."""
        self._add_fault(method, _Fault("error", error=error), times)

    def rate_limit_next(self, method: str, retry_after: float = 1, times: int = 1) -> None:
        """The next ``times`` calls answer HTTP 429 with ``Retry-After`` (whole seconds, as Slack sends)."""
        self._add_fault(method, _Fault("ratelimited", retry_after=retry_after), times)

    def server_error_next(self, method: str, status: int = 500, times: int = 1, *, delay: float = 0) -> None:
        """The next ``times`` calls answer HTTP ``status`` (after ``delay`` seconds: a hanging server)."""
        self._add_fault(method, _Fault("status", status=status, delay=delay), times)

    def _add_fault(self, method: str, fault: _Fault, times: int) -> None:
        with self._lock:
            self._faults.setdefault(method, deque()).extend([fault] * times)

    # ---- transcripts -----------------------------------------------------------------------------

    def messages(self, channel_id: str) -> list[PostedMessage]:
        with self._lock:
            return list(self._messages.get(channel_id, []))

    def ephemerals(self, channel_id: str | None = None) -> list[Ephemeral]:
        with self._lock:
            return [e for e in self._ephemeral if channel_id is None or e.channel == channel_id]

    def method_calls(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    # ---- Web API ---------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                params.update(dict(await request.post()))
        return params

    async def _web_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        header = request.headers.get("Authorization", "")
        token = (
            header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else params.get("token")
        )
        params.pop("token", None)
        with self._lock:
            self.calls.append((method, params))
            queue = self._faults.get(method)
            fault = queue.popleft() if queue else None
        if fault is not None:
            await asyncio.sleep(fault.delay)
            if fault.kind == "ratelimited":
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(int(fault.retry_after))},
                )
            if fault.kind == "status":
                return web.Response(
                    status=fault.status, text="Internal Server Error", content_type="text/html"
                )
            return web.json_response({"ok": False, "error": fault.error})
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if self.invalid_auth or token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler: Callable[[dict[str, Any]], dict[str, Any]] | None = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "apps.connections.open": self._connections_open,
        }.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        return web.json_response(handler(params))

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://newswatch-emulator.slack.com/",
            "team": "Newswatch Emulator",
            "user": "newswatch",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": "B0NEWSWATCH",
            "is_enterprise_install": False,
        }

    def _channel_error(self, channel_id: str, *, writing: bool) -> str | None:
        state = self._channels.get(channel_id)
        if state is None:
            return "channel_not_found"
        if writing and state.archived:
            return "is_archived"
        if writing and not state.member:
            return "not_in_channel"
        return None

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    @staticmethod
    def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
        blocks = params.get("blocks") or []
        if isinstance(blocks, str):  # form-encoded calls send blocks as a JSON string
            blocks = json.loads(blocks)
        return list(blocks)

    @staticmethod
    def _invalid_blocks(blocks: list[dict[str, Any]]) -> str | None:
        """Block Kit's documented limits, checked as Slack does (``invalid_blocks`` when broken)."""
        if len(blocks) > 50:
            return "no more than 50 items allowed"
        for index, block in enumerate(blocks):
            kind = block.get("type")
            text = block.get("text") or {}
            if kind == "header" and (
                text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150
            ):
                return f"header [{index}]: plain_text of 1 to 150 characters"
            if kind == "section" and text and not 0 < len(text.get("text", "")) <= 3000:
                return f"section [{index}]: text of 1 to 3000 characters"
            if kind == "context":
                elements = block.get("elements") or []
                if not 0 < len(elements) <= 10 or any(len(e.get("text", "")) > 3000 for e in elements):
                    return f"context [{index}]: 1 to 10 elements of at most 3000 characters"
            if kind == "actions":
                for element in block.get("elements") or []:
                    if (
                        len(element.get("text", {}).get("text", "")) > 75
                        or len(element.get("value", "")) > 2000
                    ):
                        return f"actions [{index}]: button label over 75 or value over 2000 characters"
        return None

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        text, blocks = str(params.get("text") or ""), self._blocks(params)
        with self._lock:
            error = self._channel_error(channel, writing=True)
            if error:
                return {"ok": False, "error": error}
            if not text and not blocks:
                return {"ok": False, "error": "no_text"}
            if len(text) > 40_000:
                return {"ok": False, "error": "msg_too_long"}
            problem = self._invalid_blocks(blocks)
            if problem:
                return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
            ts = self._next_ts()
            thread = params.get("thread_ts")
            message = PostedMessage(channel, ts, text, blocks, str(thread) if thread else None, dict(params))
            self._messages.setdefault(channel, []).append(message)
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "message": {
                "type": "message",
                "text": text,
                "blocks": blocks,
                "user": self.bot_user_id,
                "ts": ts,
            },
        }

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel", "")), str(params.get("ts", ""))
        text, blocks = str(params.get("text") or ""), self._blocks(params)
        with self._lock:
            error = self._channel_error(channel, writing=True)
            if error:
                return {"ok": False, "error": error}
            problem = self._invalid_blocks(blocks)
            if problem:
                return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
            found = [m for m in self._messages.get(channel, []) if m.ts == ts]
            if not found:
                return {"ok": False, "error": "message_not_found"}
            message = found[0]
            message.edits.append({"text": message.text, "blocks": message.blocks})
            message.text, message.blocks = text, blocks
            message.params = dict(params)
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": text,
            "message": {"type": "message", "text": text, "blocks": blocks, "user": self.bot_user_id},
        }

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, user = str(params.get("channel", "")), str(params.get("user", ""))
        with self._lock:
            error = self._channel_error(channel, writing=True)
            if error:
                return {"ok": False, "error": error}
            if not user:
                return {"ok": False, "error": "user_not_in_channel"}
            text = str(params.get("text") or "")
            self._ephemeral.append(Ephemeral(channel, user, text, self._blocks(params), "chat.postEphemeral"))
            return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        with self._lock:
            state = self._channels.get(channel)
        if state is None:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {
                "id": state.id,
                "name": state.name,
                "is_channel": True,
                "is_group": False,
                "is_im": False,
                "is_mpim": False,
                "is_private": False,
                "created": 1_700_000_000,
                "creator": state.creator,
                "is_archived": state.archived,
                "is_general": False,
                "unlinked": 0,
                "name_normalized": state.name,
                "is_shared": False,
                "is_ext_shared": False,
                "is_org_shared": False,
                "shared_team_ids": [self.team_id],
                "pending_shared": [],
                "pending_connected_team_ids": [],
                "is_pending_ext_shared": False,
                "is_member": state.member,
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
                "previous_names": [],
            },
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user", ""))
        with self._lock:
            user = self._users.get(user_id)
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": user.id,
                "team_id": self.team_id,
                "name": user.name,
                "deleted": user.deleted,
                "status": None,
                "color": "9f69e7",
                "real_name": user.name,
                "tz": "Europe/Brussels",
                "profile": {"real_name": user.name, "display_name": user.name, "team": self.team_id},
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "is_primary_owner": False,
                "is_restricted": False,
                "is_ultra_restricted": False,
                "is_bot": False,
                "is_app_user": False,
                "has_files": False,
                "presence": "active",
                "updated": 1_700_000_000,
            },
        }

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.connections_opened += 1
        ticket = uuid.uuid4().hex
        return {"ok": True, "url": f"ws://127.0.0.1:{self._port}/link/?ticket={ticket}&app_id=A0NEWSWATCH"}

    async def _response_url(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        with self._lock:
            target = self._response_urls.get(key)
        if target is None:
            return web.Response(status=404, text="unknown response_url")
        body = await request.json()
        channel, user = target
        text, blocks = str(body.get("text") or ""), self._blocks(body)
        with self._lock:
            self.calls.append(("response_url", dict(body)))
            if body.get("response_type") == "in_channel":
                ts = self._next_ts()
                self._messages.setdefault(channel, []).append(
                    PostedMessage(channel, ts, text, blocks, None, dict(body))
                )
            else:
                self._ephemeral.append(Ephemeral(channel, user, text, blocks, "response_url"))
        return web.Response(text="ok")

    # ---- Socket Mode -----------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        with self._lock:
            self._sockets.append(ws)
            self.sockets_opened += 1
            count = len(self._sockets)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": count,
                "debug_info": {"host": "applink-emulator", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0NEWSWATCH"},
            }
        )
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                try:
                    ack = json.loads(frame.data)
                except ValueError:
                    continue
                envelope_id = ack.get("envelope_id") if isinstance(ack, dict) else None
                if envelope_id:
                    with self._lock:
                        self._acks.setdefault(envelope_id, []).append(ack)
        finally:
            with self._lock:
                if ws in self._sockets:
                    self._sockets.remove(ws)
        return ws

    def connected(self) -> int:
        """How many Socket Mode connections are open now."""
        with self._lock:
            return len([ws for ws in self._sockets if not ws.closed])

    def wait_connected(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.connected() == 0:
            if time.monotonic() > deadline:
                raise TimeoutError("no Socket Mode connection to the emulator")
            time.sleep(0.02)

    def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Deliver an envelope on the newest Socket Mode connection; returns its ``envelope_id``."""
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id or str(uuid.uuid4()),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind in ("slash_commands", "interactive"),
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        with self._lock:
            self._envelopes[envelope["envelope_id"]] = envelope
        self._send_frame(envelope)
        return str(envelope["envelope_id"])

    def redeliver(self, envelope_id: str, *, retry_reason: str = "timeout") -> None:
        """Send an envelope again, as Slack does when it was not acknowledged in time."""
        with self._lock:
            envelope = dict(self._envelopes[envelope_id])
        if envelope.get("type") == "events_api":
            envelope["retry_attempt"] = int(envelope.get("retry_attempt", 0)) + 1
            envelope["retry_reason"] = retry_reason
        self._send_frame(envelope)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect (it calls ``apps.connections.open`` again)."""
        self._send_frame({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-emulator"}})

    def _send_frame(self, frame: dict[str, Any]) -> None:
        if self._loop is None:
            raise RuntimeError("the emulator is not running")

        async def send() -> None:
            open_sockets = [ws for ws in self._sockets if not ws.closed]
            if not open_sockets:
                raise RuntimeError("no Socket Mode connection to deliver to")
            await open_sockets[-1].send_json(frame)

        asyncio.run_coroutine_threadsafe(send(), self._loop).result(10)

    def acked(self, envelope_id: str) -> int:
        """How many times the client acknowledged this envelope (once per delivery when it behaves)."""
        with self._lock:
            return len(self._acks.get(envelope_id, []))

    def unacked(self) -> list[str]:
        """Envelopes delivered but never acknowledged (candidates for ``redeliver``), oldest first."""
        with self._lock:
            return [e for e in self._envelopes if e not in self._acks]

    def ack_payload(self, envelope_id: str) -> dict[str, Any] | None:
        """The first acknowledgement's frame (``{"envelope_id", "payload"?}``), if any."""
        with self._lock:
            acks = self._acks.get(envelope_id)
            return acks[0] if acks else None

    # ---- payload builders ------------------------------------------------------------------------

    def response_url(self, channel: str, user: str) -> str:
        key = uuid.uuid4().hex
        with self._lock:
            self._response_urls[key] = (channel, user)
        return f"{self.url}/response/{key}"

    def slash_command(self, text: str, *, channel: str, user: str, command: str = "/news") -> dict[str, Any]:
        """A slash-command payload (the fields Slack sends, as strings)."""
        return {
            "token": "verification-token",
            "team_id": self.team_id,
            "team_domain": "newswatch-emulator",
            "channel_id": channel,
            "channel_name": self._channels[channel].name if channel in self._channels else "unknown",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0NEWSWATCH",
            "response_url": self.response_url(channel, user),
            "trigger_id": f"{time.time():.0f}.{uuid.uuid4().hex[:12]}",
        }

    def app_mention(
        self, text: str, *, channel: str, user: str, event_id: str | None = None
    ) -> dict[str, Any]:
        """An ``events_api`` payload for an ``app_mention``; ``text`` follows the ``<@bot>`` mention."""
        ts = self._next_ts()
        return {
            "token": "verification-token",
            "team_id": self.team_id,
            "api_app_id": "A0NEWSWATCH",
            "event": {
                "type": "app_mention",
                "text": f"<@{self.bot_user_id}> {text}",
                "user": user,
                "ts": ts,
                "team": self.team_id,
                "channel": channel,
                "event_ts": ts,
            },
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"1-app_mention-{self.team_id}-{channel}",
        }

    def block_action(
        self, action_id: str, value: str, *, channel: str, user: str, message_ts: str = ""
    ) -> dict[str, Any]:
        """An ``interactive`` ``block_actions`` payload for a button pressed under a message."""
        return {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": self.team_id},
            "api_app_id": "A0NEWSWATCH",
            "token": "verification-token",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "trigger_id": f"{time.time():.0f}.{uuid.uuid4().hex[:12]}",
            "team": {"id": self.team_id, "domain": "newswatch-emulator"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {
                "id": channel,
                "name": self._channels[channel].name if channel in self._channels else "",
            },
            "message": {"type": "message", "ts": message_ts, "user": self.bot_user_id},
            "response_url": self.response_url(channel, user),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "nw_actions",
                    "value": value,
                    "text": {"type": "plain_text", "text": action_id},
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }


async def post_signed(
    url: str,
    secret: str,
    *,
    form: dict[str, Any] | None = None,
    event: dict[str, Any] | None = None,
    interactive: dict[str, Any] | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
    timestamp: int | None = None,
) -> SignedResponse:
    """Send what Slack sends to an app in HTTP mode, signed with ``secret`` (X-Slack-Signature v0).

    ``form`` is a slash command (form-encoded), ``event`` an Events API callback (JSON) and
    ``interactive`` a block_actions payload (form field ``payload``). ``retry_num`` adds the
    ``X-Slack-Retry-Num`` / ``X-Slack-Retry-Reason`` headers Slack sets on redelivery.
    """
    if form is not None:
        body, content_type = urlencode(form), "application/x-www-form-urlencoded"
    elif interactive is not None:
        body, content_type = (
            urlencode({"payload": json.dumps(interactive)}),
            "application/x-www-form-urlencoded",
        )
    elif event is not None:
        body, content_type = json.dumps(event), "application/json"
    else:
        raise ValueError("pass form, event or interactive")
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(secret, stamp, body),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        response = await client.post(url, content=body.encode(), headers=headers)
    return SignedResponse(response.status_code, response.text)


def main(argv: list[str] | None = None) -> int:
    """``python -m handlers.emulators.slack``: a local Slack to point a config at, with a live transcript."""
    import argparse

    parser = argparse.ArgumentParser(description="Run the Slack emulator on 127.0.0.1 until Ctrl-C.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--channel", action="append", default=[], help="a channel id to create (repeatable)")
    args = parser.parse_args(argv)
    emulator = SlackEmulator(port=args.port).start()
    for channel in args.channel or ["C0NEWSDESK"]:
        emulator.add_channel(channel)
    print(f'Slack emulator at {emulator.url}; in your config: [slack] api_base = "{emulator.api_base}"')
    print(f"export SLACK_BOT_TOKEN={emulator.bot_token} SLACK_APP_TOKEN={emulator.app_token}")
    print(f"channels: {', '.join(args.channel or ['C0NEWSDESK'])}; Ctrl-C to stop", flush=True)
    shown: dict[tuple[str, str], int] = {}
    replies = 0
    try:
        while True:
            time.sleep(0.5)
            with emulator._lock:
                channels = list(emulator._messages)
            for channel in channels:
                for message in emulator.messages(channel):
                    versions = len(message.edits) + 1
                    if shown.get((channel, message.ts), 0) < versions:
                        verb = "edited" if (channel, message.ts) in shown else "posted"
                        shown[(channel, message.ts)] = versions
                        print(f"[{channel}] {verb} {message.ts}: {message.text}", flush=True)
            for reply in emulator.ephemerals()[replies:]:
                replies += 1
                print(f"[{reply.channel}] to {reply.user} only: {reply.text}", flush=True)
    except KeyboardInterrupt:
        return 0
    finally:
        emulator.stop()


if __name__ == "__main__":
    raise SystemExit(main())
