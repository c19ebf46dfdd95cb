"""Telegram through python-telegram-bot v22: the outbox channel, and the bot answering commands and buttons.

* ``TelegramChannel`` delivers alerts for the dispatcher: HTML, inline buttons, edits for "also reported
  by". It maps the Bot API's errors onto ours: 429 -> ``RateLimited``; blocked, kicked, chat not found ->
  ``ChatGone``; group upgraded -> ``ChatMigrated``; "message is not modified" is success; "message is too
  long" is rendered shorter and sent again; timeouts and 5xx -> ``DeliveryError`` (retried). Pacing is the
  dispatcher's (``bot.ratelimit``); python-telegram-bot's own rate limiter is not used.
* ``start_telegram`` runs the ``Application`` (long polling, or webhook by config) without a JobQueue:
  one scheduler, ours. Commands go through ``handlers.commands.run_command``, buttons through
  ``handlers.buttons.answer_button``.

The token is in every request URL (``{api_base}/bot{token}/...``), so the HTTP client loggers are kept
at WARNING and a filter on every log handler replaces the token wherever it would appear.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import time
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot as TelegramBot
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.error import ChatMigrated as TelegramChatMigrated
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler
from telegram.ext import filters as tg_filters
from telegram.request import HTTPXRequest

from bot.alerts import Alert
from bot.digests import Digest
from bot.models import Chat
from bot.settings import Settings, TelegramSettings, read_secret
from bot.store import Store
from handlers.buttons import answer_button
from handlers.commands import COMMANDS, CommandContext, command_name, run_command
from handlers.flood import FloodGate
from handlers.render import Button, Reply, alert_buttons, parse_payload
from handlers.telegram_render import MAX_MESSAGE, render_alert, render_digest, render_reply
from watchers.errors import ChatGone, ChatMigrated, ConfigError, DeliveryError, RateLimited

log = logging.getLogger(__name__)
# python-telegram-bot 22 warns on every RetryAfter unless timedelta values are opted into; we handle both.
os.environ.setdefault("PTB_TIMEDELTA", "true")

REPLY_TRIES = 3
GROUP_ADMINS_TTL = 300.0  # seconds a group's administrator list is trusted before asking again
_GONE = ("chat not found", "bot was blocked", "bot was kicked", "user is deactivated", "have no rights")


class TokenFilter(logging.Filter):
    """Replaces the bot token in any log record (URLs carry it) before a handler writes it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, "<token>")
            record.args = ()
        return True


def protect_token(token: str) -> TokenFilter:
    """Quiet the HTTP loggers and redact the token on every root handler."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    token_filter = TokenFilter(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(token_filter)
    return token_filter


def telegram_token(settings: Settings) -> str:
    section = settings.telegram
    if section is None:
        raise ConfigError("telegram: a telegram channel needs a [telegram] section")
    token = read_secret(
        settings,
        "telegram",
        "token",
        section.token_env if not section.token_file else None,
        section.token_file,
    )
    if not token:
        raise ConfigError("telegram: set token_env or token_file")
    return token


def base_url(section: TelegramSettings) -> str:
    return section.api_base.rstrip("/") + "/bot"


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.payload()[:64])] for b in buttons]
    )


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramChannel:
    """The dispatcher's channel for ``platform = "telegram"`` chats (``external_id`` is the chat id)."""

    def __init__(self, bot: TelegramBot, *, link_preview: bool = False) -> None:
        self.bot = bot
        self.preview = LinkPreviewOptions(is_disabled=not link_preview)
        self._ready = asyncio.Lock()
        self._initialized = False

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramChannel:
        section = settings.telegram
        assert section is not None
        token = telegram_token(settings)
        protect_token(token)
        request = HTTPXRequest(connection_pool_size=64, read_timeout=10.0, httpx_kwargs={"trust_env": False})
        bot = TelegramBot(token, base_url=base_url(section), request=request)
        return cls(bot, link_preview=section.link_preview)

    async def _bot(self) -> TelegramBot:
        async with self._ready:
            if not self._initialized:
                try:
                    await self.bot.initialize()
                except TelegramError as exc:
                    raise DeliveryError(f"Telegram: cannot reach the Bot API: {exc}") from None
                self._initialized = True
        return self.bot

    async def send(self, chat: Chat, alert: Alert) -> str | None:
        buttons = keyboard(alert_buttons(alert.story_id, alert.topic))
        return await self._send_html(chat, render_alert(alert, timezone=chat.timezone), buttons, alert)

    async def update(self, chat: Chat, alert: Alert, message_id: str | None) -> str | None:
        if not message_id:
            return None  # nothing on screen to edit (sent as part of a digest)
        bot = await self._bot()
        html = render_alert(alert, timezone=chat.timezone)
        for attempt in range(2):
            try:
                await bot.edit_message_text(
                    html,
                    chat_id=int(chat.external_id),
                    message_id=int(message_id),
                    parse_mode=ParseMode.HTML,
                    link_preview_options=self.preview,
                    reply_markup=keyboard(alert_buttons(alert.story_id, alert.topic)),
                )
                return message_id
            except BadRequest as exc:
                text = exc.message.lower()
                if "message is not modified" in text:
                    return message_id
                if "message to edit not found" in text:  # deleted by a user: show the update anew
                    return await self.send(chat, alert)
                if "too long" in text and attempt == 0:
                    html = render_alert(alert, timezone=chat.timezone, limit=MAX_MESSAGE // 2)
                    continue
                raise self._translate(exc) from None
            except TelegramError as exc:
                raise self._translate(exc) from None
        return message_id

    async def send_digest(self, chat: Chat, digest: Digest) -> list[str]:
        ids = []
        for html in render_digest(digest, timezone=chat.timezone):
            sent = await self._send_html(chat, html, None, None)
            if sent:
                ids.append(sent)
        return ids

    async def send_reply(self, chat_id: int, reply: Reply) -> None:
        """A command's answer; a flood-control wait is sat out (a reply is not queued in the outbox)."""
        pages = render_reply(reply)
        for number, html in enumerate(pages):
            markup = keyboard(reply.buttons) if number == len(pages) - 1 else None
            for _ in range(REPLY_TRIES):
                try:
                    await self.bot.send_message(
                        chat_id,
                        html,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                        link_preview_options=self.preview,
                    )
                    break
                except RetryAfter as exc:  # the chat's flood limit, shared with alerts: wait our turn
                    await asyncio.sleep(min(_seconds(exc), 30.0))

    async def aclose(self) -> None:
        if self._initialized:
            await self.bot.shutdown()
            self._initialized = False

    async def _send_html(
        self, chat: Chat, html: str, markup: InlineKeyboardMarkup | None, alert: Alert | None
    ) -> str | None:
        bot = await self._bot()
        for attempt in range(2):
            try:
                message = await bot.send_message(
                    int(chat.external_id),
                    html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=self.preview,
                )
                return str(message.message_id)
            except BadRequest as exc:
                if "too long" in exc.message.lower() and attempt == 0 and alert is not None:
                    html = render_alert(alert, timezone=chat.timezone, limit=MAX_MESSAGE // 2)
                    continue
                raise self._translate(exc) from None
            except TelegramError as exc:
                raise self._translate(exc) from None
        return None

    @staticmethod
    def _translate(exc: TelegramError) -> DeliveryError:
        if isinstance(exc, RetryAfter):
            return RateLimited(f"Telegram flood control: {exc.message}", retry_after=_seconds(exc))
        if isinstance(exc, TelegramChatMigrated):
            return ChatMigrated(f"Telegram: {exc.message}", new_id=str(exc.new_chat_id))
        if isinstance(exc, Forbidden) or (
            isinstance(exc, BadRequest) and any(g in exc.message.lower() for g in _GONE)
        ):
            return ChatGone(f"Telegram: {exc.message}")
        if isinstance(exc, NetworkError):
            return DeliveryError(f"Telegram: {exc.message}")
        return DeliveryError(f"Telegram: {exc.message}")


# ---------------------------------------------------------------------- the bot that answers


@dataclass
class RunningTelegram:
    """What ``start_telegram`` started; ``stop()`` shuts it down in order."""

    application: Application[Any, Any, Any, Any, Any, Any]
    webhook: web.AppRunner | None = None

    async def stop(self) -> None:
        app = self.application
        if self.webhook is not None:
            await self.webhook.cleanup()
        elif app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()


async def start_telegram(settings: Settings, store: Store) -> RunningTelegram:
    """Start the bot: commands and buttons answered, by long polling or by webhook (``[telegram] mode``)."""
    section = settings.telegram
    assert section is not None
    token = telegram_token(settings)
    protect_token(token)
    requests = (
        HTTPXRequest(connection_pool_size=16, httpx_kwargs={"trust_env": False}),
        HTTPXRequest(read_timeout=40.0, httpx_kwargs={"trust_env": False}),
    )
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url(section))
        .job_queue(None)
        .request(requests[0])
        .get_updates_request(requests[1])
        .build()
    )
    replies = TelegramChannel(app.bot, link_preview=section.link_preview)
    admins = set(section.admins)
    flood = FloodGate()
    group_admins = GroupAdmins(app.bot)

    async def context_for(update: Update, line: str | None) -> CommandContext | None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return None
        group = chat.type != "private"
        is_admin = bool(user and user.id in admins)
        is_chat_admin = False
        name = command_name(line) if line is not None else None
        if group and user and not is_admin and name and COMMANDS[name].access == "chat_admin":
            is_chat_admin = await group_admins.is_admin(chat.id, user.id)
        return CommandContext(
            store=store,
            user=str(user.id) if user else "",
            chat=str(chat.id),
            is_admin=is_admin,
            platform="telegram",
            is_group=group,
            is_chat_admin=is_chat_admin,
            flood=flood,
            settings=settings,
        )

    async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not message.text:
            return
        ctx = await context_for(update, message.text)
        assert ctx is not None
        reply = await asyncio.to_thread(run_command, ctx, message.text)
        await replies.send_reply(chat.id, reply)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, chat = update.callback_query, update.effective_chat
        ctx = await context_for(update, None)
        if query is None or chat is None or ctx is None:
            return
        action, value = parse_payload(query.data or "")
        reply = await asyncio.to_thread(answer_button, ctx, action, value)
        if action == "mute" or reply.error:
            await query.answer(reply.text[:200], show_alert=reply.error)
            return
        await query.answer()
        await replies.send_reply(chat.id, reply)

    app.add_handler(MessageHandler(tg_filters.COMMAND, on_command))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(_log_error)
    try:
        await app.initialize()
        await app.bot.set_my_commands(
            [BotCommand(c.name, c.help[:256]) for c in COMMANDS.values() if c.access != "admin"]
        )
    except InvalidToken:
        await _close(requests)
        raise ConfigError("telegram: the Bot API refused the token (check token_env / token_file)") from None
    except TelegramError as exc:
        await _close(requests)
        raise DeliveryError(
            f"telegram: cannot reach the Bot API at {section.api_base}: {exc.message}"
        ) from None
    await app.start()
    running = RunningTelegram(app)
    if section.mode == "webhook":
        running.webhook = await _start_webhook(app, settings, section)
    else:
        assert app.updater is not None
        await app.bot.delete_webhook()
        await app.updater.start_polling(
            timeout=timedelta(seconds=30), allowed_updates=["message", "callback_query"]
        )
    log.info("telegram_started mode=%s", section.mode)
    return running


class GroupAdmins:
    """A group's own administrators (``getChatAdministrators``), cached for ``ttl`` seconds per group.

    A failed lookup counts as "not an administrator" (and is not cached): refusing politely is safer than
    letting anyone change what a group receives.
    """

    def __init__(self, bot: TelegramBot, ttl: float = GROUP_ADMINS_TTL) -> None:
        self.bot = bot
        self.ttl = ttl
        self._cache: dict[int, tuple[float, frozenset[int]]] = {}

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        now = time.monotonic()
        cached = self._cache.get(chat_id)
        if cached is None or cached[0] <= now:
            try:
                members = await self.bot.get_chat_administrators(chat_id)
            except TelegramError as exc:
                log.warning("telegram_chat_admins_failed chat_id=%s error=%s", chat_id, exc)
                return False
            cached = (now + self.ttl, frozenset(m.user.id for m in members))
            self._cache[chat_id] = cached
        return user_id in cached[1]


async def _close(requests: tuple[HTTPXRequest, ...]) -> None:
    """Close the HTTP clients of an Application that never finished starting."""
    for request in requests:
        await request.shutdown()


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("telegram_update_failed error=%s", context.error)


async def _start_webhook(
    app: Application[Any, Any, Any, Any, Any, Any], settings: Settings, section: TelegramSettings
) -> web.AppRunner:
    """Our own small aiohttp receiver: checks the secret token header, then queues the update."""
    secret = read_secret(
        settings,
        "telegram",
        "webhook_secret",
        section.webhook_secret_env if not section.webhook_secret_file else None,
        section.webhook_secret_file,
    )
    assert secret is not None
    assert section.webhook_url is not None

    path = urlsplit(section.webhook_url).path or "/"

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given, secret):
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, app.bot)
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400)
        await app.update_queue.put(update)
        return web.Response(status=200)

    web_app = web.Application(client_max_size=1 << 20)
    web_app.router.add_post(path, receive)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    host, _, port = section.webhook_listen.rpartition(":")
    await web.TCPSite(runner, host.strip("[]"), int(port)).start()
    await app.bot.set_webhook(
        section.webhook_url, secret_token=secret, allowed_updates=["message", "callback_query"]
    )
    return runner
