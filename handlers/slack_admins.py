"""Who administers a Slack channel: Slack's counterpart of a Telegram group's own administrators.

Workspace admins and owners (``users.info``: ``is_admin`` / ``is_owner``) and the channel's creator
(``conversations.info``: ``creator``) may manage what that channel receives; the adapter turns the answer
into ``CommandContext.is_chat_admin`` and ``CommandContext.may`` decides, as for every platform. Both
answers are cached for ``ttl`` seconds; a failed lookup counts as "not an administrator" and is not
cached, so refusing politely never sticks longer than the outage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

CHANNEL_ADMINS_TTL = 300.0  # seconds an answer is trusted before asking Slack again
LOOKUP_TIMEOUT = 10.0


class ChannelAdmins:
    """``is_admin(channel, user)``: a workspace admin or owner, or the channel's creator."""

    def __init__(self, client: AsyncWebClient, ttl: float = CHANNEL_ADMINS_TTL) -> None:
        self.client = client
        self.ttl = ttl
        self._workspace_admin: dict[str, tuple[float, bool]] = {}
        self._creator: dict[str, tuple[float, str]] = {}

    async def is_admin(self, channel: str, user: str) -> bool:
        if not channel or not user:
            return False
        if await self._is_workspace_admin(user):
            return True
        return await self._creator_of(channel) == user

    async def _is_workspace_admin(self, user: str) -> bool:
        now = time.monotonic()
        cached = self._workspace_admin.get(user)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = await self._lookup("users.info", self.client.users_info(user=user), "user", user=user)
        if found is None:
            return False
        admin = bool(found.get("is_admin") or found.get("is_owner")) and not found.get("deleted")
        self._workspace_admin[user] = (now + self.ttl, admin)
        return admin

    async def _creator_of(self, channel: str) -> str | None:
        now = time.monotonic()
        cached = self._creator.get(channel)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = await self._lookup(
            "conversations.info", self.client.conversations_info(channel=channel), "channel", channel=channel
        )
        if found is None:
            return None
        creator = str(found.get("creator") or "")
        self._creator[channel] = (now + self.ttl, creator)
        return creator

    async def _lookup(
        self, method: str, call: Awaitable[Any], key: str, **about: str
    ) -> dict[str, Any] | None:
        """The ``key`` object of a Web API answer, or None (logged) when Slack could not tell us."""
        try:
            response = await asyncio.wait_for(call, LOOKUP_TIMEOUT)
        except SlackApiError as exc:
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            reason = str(error or exc.response.status_code)
        except (SlackClientError, TimeoutError, ClientError, OSError) as exc:
            reason = type(exc).__name__
        else:
            found = response.get(key)
            if isinstance(found, dict):
                return found
            reason = f"no {key} in the answer"
        details = " ".join(f"{name}={value}" for name, value in about.items())
        log.warning("slack_channel_admins_failed method=%s %s error=%s", method, details, reason)
        return None
