"""The Slack adapter: alerts out through the Web API, commands and buttons in through slack-bolt.

Wiring (``start_slack``): the bot token is checked with ``auth.test`` first, so a wrong token stops the
start with a clear ``ConfigError`` instead of a bot that silently never speaks. Then a bolt ``AsyncApp``
whose ``AsyncWebClient`` uses ``[slack] api_base`` receives, by ``[slack] mode``:

* ``socket`` (default): Socket Mode; the websocket URL comes from ``apps.connections.open`` on the same
  ``api_base``, so the emulator and the real Slack are reached the same way;
* ``http``: an aiohttp server on ``http_listen`` at ``http_path``, every request verified against the
  signing secret (bolt's request verification).

Listeners acknowledge first and do the work lazily (bolt ``lazy=``), so Slack gets its ack well within
3 s; a repeated delivery is dropped by ``InboundDedupe`` before any listener runs. Commands arrive as
``/news <command>`` or as an app mention and go through ``handlers.commands.run_command``; buttons go
through ``handlers.buttons.answer_button``, the same as on every platform. A channel's own administrators
(``handlers.slack_admins``) are looked up only for a ``chat_admin`` command in a channel, by a user who
is not a global admin.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts import Alert
from bot.models import Chat
from bot.settings import Settings, SlackSettings, read_secret
from bot.store import Store
from handlers.buttons import answer_button
from handlers.commands import COMMANDS, CommandContext, command_name, run_command
from handlers.flood import FloodGate
from handlers.inbound_dedupe import InboundDedupe
from handlers.render import Reply, parse_payload
from handlers.slack_admins import ChannelAdmins
from handlers.slack_render import ACTION_PREFIX, alert_blocks, reply_blocks
from watchers.errors import ChatGone, ConfigError, DeliveryError, NewswatchError, RateLimited

log = logging.getLogger(__name__)

COMMAND = "/news"
CHAT_GONE = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "missing_scope"}
)
UNEDITABLE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
API_TIMEOUT = 15


# ---- outbound: the outbox channel -------------------------------------------------------------------


class SlackChannel:
    """Posts alerts with ``chat.postMessage`` (the returned ``ts`` is the message id) and edits them
    with ``chat.update``; a Slack message is identified by channel + ts, the channel being the chat's
    ``external_id``. Errors become the outbox's ``RateLimited`` / ``ChatGone`` / ``DeliveryError``."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        unfurl_links: bool = False,
        unfurl_media: bool = False,
        timeout: float = API_TIMEOUT,
    ):
        self.client = client
        self.unfurl_links = unfurl_links
        self.unfurl_media = unfurl_media
        self.timeout = timeout

    async def send(self, chat: Chat, alert: Alert) -> str | None:
        text, blocks = alert_blocks(alert, chat.timezone)
        response = await self._call(
            "chat.postMessage",
            self.client.chat_postMessage(
                channel=chat.external_id,
                text=text,
                blocks=blocks,
                unfurl_links=self.unfurl_links,
                unfurl_media=self.unfurl_media,
                link_names=False,
            ),
        )
        return str(response["ts"])

    async def update(self, chat: Chat, alert: Alert, message_id: str | None) -> str | None:
        """Edit the alert in place; a message someone deleted stays deleted (no second post)."""
        if not message_id:  # never posted with a ts (should not happen): post it instead of losing it
            return await self.send(chat, alert)
        text, blocks = alert_blocks(alert, chat.timezone)
        try:
            await asyncio.wait_for(
                self.client.chat_update(
                    channel=chat.external_id, ts=message_id, text=text, blocks=blocks, link_names=False
                ),
                self.timeout,
            )
        except SlackApiError as exc:
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            if error not in UNEDITABLE:
                raise delivery_error("chat.update", exc) from None
            log.info("slack_update_skipped chat_id=%s ts=%s error=%s", chat.id, message_id, error)
        except TimeoutError:
            raise DeliveryError(f"Slack chat.update timed out after {self.timeout:g} s") from None
        except (ClientError, OSError) as exc:
            raise DeliveryError(f"Slack chat.update failed: {type(exc).__name__} {exc}".strip()) from None
        return message_id

    async def _call(self, method: str, call: Awaitable[Any]) -> Any:
        try:
            return await asyncio.wait_for(call, self.timeout)
        except SlackApiError as exc:
            raise delivery_error(method, exc) from None
        except TimeoutError:
            raise DeliveryError(f"Slack {method} timed out after {self.timeout:g} s") from None
        except (ClientError, OSError) as exc:
            raise DeliveryError(f"Slack {method} failed: {type(exc).__name__} {exc}".strip()) from None


def delivery_error(method: str, exc: SlackApiError) -> DeliveryError:
    """The outbox error for a Slack API failure (429 → RateLimited, gone channel → ChatGone, else retry)."""
    response = exc.response
    status = response.status_code
    error = response.get("error") if isinstance(response.data, dict) else None
    if status == 429 or error == "ratelimited":
        try:
            retry_after = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            retry_after = 1.0
        return RateLimited(
            f"Slack {method} rate limited; retry after {retry_after:g} s", retry_after=retry_after
        )
    if error in CHAT_GONE:
        return ChatGone(f"Slack {method}: {error}")
    if error in AUTH_ERRORS:
        log.error(
            "slack_auth_failed method=%s error=%s: check [slack] bot_token_env / bot_token_file",
            method,
            error,
        )
        return DeliveryError(f"Slack {method}: {error} (the bot token was refused; check the [slack] token)")
    if status >= 500:
        return DeliveryError(f"Slack {method}: HTTP {status}")
    return DeliveryError(f"Slack {method}: {error or f'HTTP {status}'}")


def slack_client(settings: Settings) -> AsyncWebClient:
    """The Web API client for ``[slack]``: the bot token from env/file, the configured ``api_base``."""
    slack = _section(settings)
    token = read_secret(
        settings,
        "slack",
        "bot_token",
        slack.bot_token_env if not slack.bot_token_file else None,
        slack.bot_token_file,
    )
    if token is None:
        raise ConfigError("slack: set bot_token_env or bot_token_file")
    base = slack.api_base if slack.api_base.endswith("/") else slack.api_base + "/"
    return AsyncWebClient(token=token, base_url=base, timeout=API_TIMEOUT)


def build_slack_channel(settings: Settings) -> SlackChannel:
    slack = _section(settings)
    return SlackChannel(
        slack_client(settings), unfurl_links=slack.unfurl_links, unfurl_media=slack.unfurl_media
    )


def _section(settings: Settings) -> SlackSettings:
    if settings.slack is None:
        raise ConfigError("slack: a slack channel needs a [slack] section with the bot token")
    return settings.slack


# ---- inbound: the bolt app ----------------------------------------------------------------------------

_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>\s*")


def _ignore_env_token_warning(record: logging.LogRecord) -> bool:
    """Bolt also reads ``SLACK_BOT_TOKEN`` from the environment and warns that our client wins; it does,
    by design (the token comes from ``[slack]``), so that one warning is noise."""
    return "`token` will be unused" not in record.getMessage()


async def answer(work: Callable[..., Reply], *args: Any) -> tuple[str, list[dict[str, Any]]]:
    """Run a (blocking, database-reading) command off the event loop and render its reply; a crash
    becomes an apology to the user and a logged traceback, never silence."""
    try:
        reply = await asyncio.to_thread(work, *args)
    except Exception:
        log.exception("slack_command_crashed")
        reply = Reply("Sorry, that failed on our side; nothing was changed. Please try again.", error=True)
    return reply_blocks(reply)


def delivery_key(body: dict[str, Any]) -> str | None:
    """Slack's own id for a delivery: ``event_id`` for events, ``trigger_id`` for commands and buttons."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("trigger_id"):
        return f"trigger:{body['trigger_id']}"
    return None


def build_app(
    client: AsyncWebClient,
    store: Store,
    slack: SlackSettings,
    *,
    signing_secret: str,
    dedupe: InboundDedupe,
    settings: Settings | None = None,
) -> AsyncApp:
    """The bolt app with every listener registered (one place, so the wiring stays visible)."""
    bolt_log = logging.getLogger("newswatch.slack_bolt")
    if _ignore_env_token_warning not in bolt_log.filters:
        bolt_log.addFilter(_ignore_env_token_warning)
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=slack.mode == "http",
        logger=bolt_log,
    )
    admins = frozenset(slack.admins)
    channel_admins = ChannelAdmins(client)
    flood = FloodGate()

    async def skip_repeats(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        key = delivery_key(body)
        if key is not None and not await dedupe.first_time(key):
            log.info("slack_repeat_ignored key=%s", key)
            return BoltResponse(status=200, body="")
        await next()
        return None

    app.middleware(skip_repeats)

    async def ack_now(ack: Callable[..., Awaitable[None]]) -> None:
        await ack()

    async def context(user: str, channel: str, line: str | None = None) -> CommandContext:
        # a direct message (D…) is the user's own; a channel is shared: global admins and the channel's
        # own administrators change what it receives
        group, is_admin = not channel.startswith("D"), user in admins
        name = command_name(line) if line is not None else None
        is_chat_admin = False
        if group and not is_admin and name and COMMANDS[name].access == "chat_admin":
            is_chat_admin = await channel_admins.is_admin(channel, user)
        return CommandContext(
            store=store,
            user=user,
            chat=channel,
            is_admin=is_admin,
            platform="slack",
            is_group=group,
            is_chat_admin=is_chat_admin,
            flood=flood,
            settings=settings,
        )

    async def news_command(command: dict[str, Any], respond: Callable[..., Awaitable[Any]]) -> None:
        line = str(command.get("text") or "").strip() or "help"
        ctx = await context(str(command.get("user_id", "")), str(command.get("channel_id", "")), line)
        text, blocks = await answer(run_command, ctx, line)
        await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    async def mention(event: dict[str, Any], say: Callable[..., Awaitable[Any]]) -> None:
        line = _MENTION.sub("", str(event.get("text") or "")).strip() or "help"
        ctx = await context(str(event.get("user", "")), str(event.get("channel", "")), line)
        text, blocks = await answer(run_command, ctx, line)
        await say(
            text=text, blocks=blocks, thread_ts=event.get("thread_ts") or event.get("ts"), link_names=False
        )

    async def button(body: dict[str, Any], respond: Callable[..., Awaitable[Any]]) -> None:
        for action in body.get("actions") or []:
            name, value = parse_payload(str(action.get("value") or ""))
            user = str((body.get("user") or {}).get("id", ""))
            channel = str(
                (body.get("channel") or {}).get("id", "")
                or (body.get("container") or {}).get("channel_id", "")
            )
            text, blocks = await answer(answer_button, await context(user, channel), name, value)
            await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    app.command(COMMAND)(ack=ack_now, lazy=[news_command])
    app.event("app_mention")(ack=ack_now, lazy=[mention])
    app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(ack=ack_now, lazy=[button])
    return app


@dataclass
class RunningSlack:
    """A started Slack adapter; ``url`` is the HTTP-mode listening URL (None in Socket Mode)."""

    app: AsyncApp
    bot_user_id: str
    team: str
    url: str | None
    _close: Callable[[], Awaitable[None]]

    async def stop(self) -> None:
        await self._close()


async def check_auth(client: AsyncWebClient) -> dict[str, Any]:
    """``auth.test``: a refused token is a ConfigError now, never a silent stop later."""
    try:
        response = await asyncio.wait_for(client.auth_test(), API_TIMEOUT)
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if error in AUTH_ERRORS:
            raise ConfigError(
                f"slack: the bot token was refused by {client.base_url} ({error}); "
                "check [slack] bot_token_env / bot_token_file"
            ) from None
        raise NewswatchError(f"slack: auth.test failed at {client.base_url}: {error or exc}") from None
    except (TimeoutError, ClientError, OSError) as exc:
        raise NewswatchError(
            f"slack: cannot reach {client.base_url}: {type(exc).__name__} {exc}".strip()
        ) from None
    return dict(response.data) if isinstance(response.data, dict) else {}


async def check_app_token(client: AsyncWebClient, app_token: str) -> None:
    """One ``apps.connections.open`` up front: the Socket Mode client retries a refused app token forever,
    so a wrong one must fail here, clearly, instead."""
    try:
        await asyncio.wait_for(client.apps_connections_open(app_token=app_token), API_TIMEOUT)
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if error in AUTH_ERRORS:
            raise ConfigError(
                f"slack: apps.connections.open refused the app token ({error}); check [slack] "
                "app_token_env / app_token_file (an xapp- token with connections:write)"
            ) from None
        raise NewswatchError(
            f"slack: apps.connections.open failed at {client.base_url}: {error or exc}"
        ) from None
    except (TimeoutError, ClientError, OSError) as exc:
        raise NewswatchError(
            f"slack: cannot reach {client.base_url}: {type(exc).__name__} {exc}".strip()
        ) from None


async def start_slack(settings: Settings, store: Store) -> RunningSlack:
    """Check the token, build the bolt app and start receiving (Socket Mode or HTTP)."""
    slack = _section(settings)
    client = slack_client(settings)
    identity = await check_auth(client)
    dedupe = InboundDedupe(store, "slack")
    if slack.mode == "socket":
        app_token = read_secret(
            settings,
            "slack",
            "app_token",
            slack.app_token_env if not slack.app_token_file else None,
            slack.app_token_file,
        )
        if app_token is None:
            raise ConfigError("slack: Socket Mode needs app_token_env or app_token_file")
        await check_app_token(client, app_token)
        app = build_app(client, store, slack, signing_secret="", dedupe=dedupe, settings=settings)
        handler = AsyncSocketModeHandler(app, app_token=app_token)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("slack_started mode=socket team=%s", identity.get("team"))
        return RunningSlack(
            app, str(identity.get("user_id", "")), str(identity.get("team", "")), None, handler.close_async
        )
    secret = read_secret(
        settings, "slack", "signing_secret", slack.signing_secret_env, slack.signing_secret_file
    )
    if not secret:
        raise ConfigError("slack: mode = 'http' needs signing_secret_env or signing_secret_file")
    app = build_app(client, store, slack, signing_secret=secret, dedupe=dedupe, settings=settings)

    async def receive(request: web.Request) -> web.Response:
        response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    web_app = web.Application()
    web_app.router.add_post(slack.http_path, receive)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    host, _, port = slack.http_listen.rpartition(":")
    site = web.TCPSite(runner, host.strip("[]"), int(port))
    await site.start()
    server = site._server
    bound = server.sockets[0].getsockname()[1] if server is not None else int(port)  # type: ignore[attr-defined]
    url = f"http://{host}:{bound}{slack.http_path}"
    log.info("slack_started mode=http listen=%s", url)
    return RunningSlack(
        app, str(identity.get("user_id", "")), str(identity.get("team", "")), url, runner.cleanup
    )
