"""Newswatch's exception tree, drawn once so every layer raises and catches the same names.

    NewswatchError                  anything Newswatch itself reports
    ├── ConfigError                 bad or missing settings            (bot.settings)
    ├── StorageError                database unreachable or out of date (bot.store)
    ├── SourceError                 one source failed; the others go on
    │   ├── FetchError              HTTP status, timeout, size cap, too many redirects
    │   │   └── BlockedURLError     scheme or target address refused by the network policy
    │   └── ParseError              the bytes are not a feed / not a page we can read
    ├── QuerySyntaxError            a topic query that does not parse (carries the column)
    └── DeliveryError               a channel could not take an alert
        ├── RateLimited             retry after ``retry_after`` seconds (``scope``: "chat" or "global")
        ├── ChatGone                the chat no longer accepts messages; deactivate it
        └── ChatMigrated            the chat has a new id (a Telegram group became a supergroup)

The domain (``watchers``) is the lowest layer, so the whole tree lives here and ``bot``/``handlers``
import it; every message is a readable sentence because it is shown to users as a source's "last error".
"""

from __future__ import annotations


class NewswatchError(Exception):
    """Base class: ``str(error)`` is a sentence fit for a user."""


class ConfigError(NewswatchError):
    """Settings that cannot be used; the message names the key (``sources[2].url: ...``)."""


class StorageError(NewswatchError):
    """The database cannot be reached or migrated."""


class SourceError(NewswatchError):
    """A source failed this time; recorded on its health and retried later."""


class FetchError(SourceError):
    """The HTTP exchange failed; ``retry_after`` is set when the server asked us to wait."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class BlockedURLError(FetchError):
    """The URL's scheme or resolved address is refused by ``[network]`` policy."""


class ParseError(SourceError):
    """The body is not something we can parse (not a feed, broken XML, ...)."""


class QuerySyntaxError(NewswatchError):
    """A query that does not parse; ``column`` is 1-based so it can be shown under the query."""

    def __init__(self, message: str, *, column: int, hint: str = "") -> None:
        where = f" at column {column}"
        text = f"{message}{where}" + (f" ({hint})" if hint else "")
        super().__init__(text)
        self.reason = message
        self.column = column
        self.hint = hint


class DeliveryError(NewswatchError):
    """A channel refused or failed an alert; transient unless a subclass says otherwise."""


class RateLimited(DeliveryError):
    """The platform asked us to wait ``retry_after`` seconds before the next message.

    ``scope`` says what the wait applies to: ``"chat"`` (only this chat pauses) or ``"global"`` (the whole
    bot pauses on that platform).
    """

    def __init__(self, message: str, *, retry_after: float, scope: str = "chat") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.scope = scope


class ChatGone(DeliveryError):
    """The chat is blocked, deleted or archived: stop delivering there."""


class ChatMigrated(DeliveryError):
    """The chat now lives under ``new_id`` (a Telegram group upgraded to a supergroup): update and retry."""

    def __init__(self, message: str, *, new_id: str) -> None:
        super().__init__(message)
        self.new_id = new_id
