"""Settings: one TOML file validated into typed, immutable models.

The models below *are* the settings table: every key, its type, default and help text (``description``)
live here and nowhere else; ``tests/bot/test_settings_docs.py`` fails when ``config.example.toml`` or the
README drifts from them. Secrets never appear in the TOML: a section names an environment variable
(``*_env``) or a file (``*_file``) and the value is read when it is needed, never stored in a model field
that could be logged.

Relative paths (SQLite database, JSONL files, secret files) are resolved against the directory of the
config file, so a config means the same thing from whatever directory it is run.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.durations import parse_duration
from watchers.errors import ConfigError, QuerySyntaxError
from watchers.match import compile_query
from watchers.urls import is_http_url


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    return parse_duration(str(value))


class StorageSettings(_Model):
    url: str = Field(
        "sqlite:///newswatch.db",
        description="SQLAlchemy URL: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB",
    )
    password_env: str | None = Field(None, description="environment variable holding the database password")
    password_file: str | None = Field(None, description="file holding the database password")

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        # The password check comes first, for any scheme, so the error never echoes an inline password.
        if re.match(r"^[^:/]*://[^/@]*:[^/@]*@", value):
            raise ValueError("put the password in password_env or password_file, not in the URL")
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError(f"{value!r} is not a sqlite:/// or postgresql+psycopg:// URL")
        return value


class NetworkSettings(_Model):
    allow_private: tuple[str, ...] = Field(
        (), description="addresses or networks (CIDR) that sources may reach although private or loopback"
    )
    user_agent: str = Field("Newswatch/0.1", description="product token sent as User-Agent")
    contact_url: str = Field(
        "https://github.com/newswatch/newswatch", description="where site owners can reach the operator"
    )
    timeout: Annotated[timedelta, Field(description="connect and read timeout per request")] = timedelta(
        seconds=15
    )
    max_bytes: int = Field(5_000_000, ge=10_000, description="largest response body read, in bytes")
    fetch_pages: bool = Field(True, description="fetch each new article's page for its full text")

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> timedelta:
        return _duration(value)

    @field_validator("allow_private")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return value


SourceKind = Literal["rss", "page", "sitemap", "search", "gdelt"]


class SourceSettings(_Model):
    name: str = Field(description="shown in alerts as the outlet")
    url: str = Field(description="feed (or page) URL, http or https")
    kind: SourceKind = Field("rss", description="rss covers RSS 0.9x/1.0/2.0, Atom and JSON Feed")
    every: Annotated[timedelta, Field(description="poll interval (minimum 1m)")] = timedelta(minutes=10)
    backfill: Annotated[
        timedelta, Field(description="on the first poll, older entries are stored without alerts")
    ] = timedelta(hours=24)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not is_http_url(value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("every", "backfill", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> timedelta:
        return _duration(value)

    @field_validator("every")
    @classmethod
    def _minimum(cls, value: timedelta) -> timedelta:
        if value < timedelta(minutes=1):
            raise ValueError("must be at least 1m")
        return value

    @field_validator("kind")
    @classmethod
    def _implemented(cls, value: str) -> str:
        if value != "rss":
            raise ValueError(f"kind {value!r} is not available in this version; use 'rss'")
        return value


class TopicSettings(_Model):
    name: str = Field(description="how subscribers refer to the topic")
    query: str = Field(description='the query: words and "phrases" that must all appear')

    @field_validator("query")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            compile_query(value)
        except QuerySyntaxError as exc:
            raise ValueError(str(exc)) from None
        return value


ChannelKind = Literal["jsonl", "console", "telegram", "slack"]


class ChannelSettings(_Model):
    name: str = Field(description="referred to by subscriptions")
    kind: ChannelKind = Field(description="jsonl, console, telegram or slack")
    path: str | None = Field(None, description="jsonl: output file, or - for stdout")
    chat_id: int | None = Field(None, description="telegram: the chat id")
    channel: str | None = Field(None, description="slack: the channel id")

    @model_validator(mode="after")
    def _fits_kind(self) -> ChannelSettings:
        if self.kind == "jsonl" and not self.path:
            raise ValueError("a jsonl channel needs path (a file, or - for stdout)")
        if self.kind == "telegram" and self.chat_id is None:
            raise ValueError("a telegram channel needs chat_id")
        if self.kind == "slack" and not self.channel:
            raise ValueError("a slack channel needs channel")
        return self


_MODE = re.compile(r"^(instant|hourly|digest ([01]\d|2[0-3]):[0-5]\d)$")


class SubscriptionSettings(_Model):
    channel: str = Field(description="a [[channels]] name")
    topic: str = Field(description="a [[topics]] name")
    mode: str = Field("instant", description="instant, hourly or digest HH:MM")

    @field_validator("mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        value = " ".join(value.split())
        if not _MODE.match(value):
            raise ValueError(f"{value!r} is not instant, hourly or digest HH:MM")
        return value


class TelegramSettings(_Model):
    token_env: str | None = Field("TELEGRAM_BOT_TOKEN", description="environment variable with the bot token")
    token_file: str | None = Field(None, description="file with the bot token (instead of token_env)")
    api_base: str = Field(
        "https://api.telegram.org", description="Bot API base; methods at {api_base}/bot{token}/{method}"
    )
    mode: Literal["polling", "webhook"] = Field("polling", description="polling or webhook")
    admins: tuple[int, ...] = Field((), description="Telegram user ids allowed to change topics and sources")


class SlackSettings(_Model):
    bot_token_env: str | None = Field(
        "SLACK_BOT_TOKEN", description="environment variable with the xoxb- token"
    )
    bot_token_file: str | None = Field(None, description="file with the bot token")
    app_token_env: str | None = Field(
        "SLACK_APP_TOKEN", description="environment variable with the xapp- token (Socket Mode)"
    )
    app_token_file: str | None = Field(None, description="file with the app-level token")
    signing_secret_env: str | None = Field(
        None, description="environment variable with the signing secret (HTTP mode)"
    )
    signing_secret_file: str | None = Field(None, description="file with the signing secret")
    mode: Literal["socket", "http"] = Field("socket", description="socket (Socket Mode) or http")
    api_base: str = Field("https://slack.com/api/", description="Web API base URL")
    admins: tuple[str, ...] = Field((), description="Slack user ids allowed to change topics and sources")
    http_listen: str = Field(
        "127.0.0.1:3000",
        description="HTTP mode: HOST:PORT the app listens on for Slack's requests (port 0: any free port)",
    )
    http_path: str = Field(
        "/slack/events", description="HTTP mode: the request URL path set in the Slack app"
    )
    unfurl_links: bool = Field(False, description="let Slack unfurl article links under alerts")
    unfurl_media: bool = Field(False, description="let Slack unfurl media links under alerts")

    @field_validator("http_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f"{value!r} is not HOST:PORT")
        return value

    @field_validator("http_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"{value!r} must start with /")
        return value


class Settings(_Model):
    storage: StorageSettings = StorageSettings()
    network: NetworkSettings = NetworkSettings()
    sources: tuple[SourceSettings, ...] = ()
    topics: tuple[TopicSettings, ...] = ()
    channels: tuple[ChannelSettings, ...] = ()
    subscriptions: tuple[SubscriptionSettings, ...] = ()
    telegram: TelegramSettings | None = None
    slack: SlackSettings | None = None
    base_dir: Path = Field(Path("."), exclude=True, description="directory relative paths are resolved from")

    @model_validator(mode="after")
    def _references(self) -> Settings:
        for section, items in (
            ("sources", self.sources),
            ("topics", self.topics),
            ("channels", self.channels),
        ):
            seen: set[str] = set()
            for item in items:
                if item.name.casefold() in seen:
                    raise ValueError(f"{section}: the name {item.name!r} is used twice")
                seen.add(item.name.casefold())
        channels = {c.name for c in self.channels}
        topics = {t.name for t in self.topics}
        for index, sub in enumerate(self.subscriptions):
            if sub.channel not in channels:
                raise ValueError(f"subscriptions[{index}].channel: no channel named {sub.channel!r}")
            if sub.topic not in topics:
                raise ValueError(f"subscriptions[{index}].topic: no topic named {sub.topic!r}")
        return self

    def resolve_path(self, path: str) -> Path:
        """A config path made absolute against the config file's directory."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    def database_url(self) -> str:
        """The storage URL with relative SQLite paths resolved and the password (from env/file) inserted."""
        url = self.storage.url
        match = re.match(r"^(sqlite(?:\+\w+)?:///)(.*)$", url)
        if match and match.group(2) and match.group(2) != ":memory:" and not match.group(2).startswith("/"):
            return match.group(1) + str(self.resolve_path(match.group(2)))
        password = read_secret(
            self, "storage", "password", self.storage.password_env, self.storage.password_file
        )
        if password is not None:
            from sqlalchemy.engine import make_url

            return make_url(url).set(password=password).render_as_string(hide_password=False)
        return url


def read_secret(settings: Settings, section: str, key: str, env: str | None, file: str | None) -> str | None:
    """The secret named by ``{key}_env`` / ``{key}_file``; ConfigError when it is named but absent."""
    if file:
        path = settings.resolve_path(file)
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{section}.{key}_file: cannot read {path}: {exc.strerror}") from None
        if not value:
            raise ConfigError(f"{section}.{key}_file: {path} is empty")
        return value
    if env:
        value = os.environ.get(env, "").strip()
        if not value:
            raise ConfigError(f"{section}.{key}_env: environment variable {env} is not set")
        return value
    return None


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part not in ("function-after", "function-before") and not str(part).startswith("function-"):
            out += f".{part}" if out else str(part)
    return out


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = str(error.get("msg", ""))
    return message.removeprefix("Value error, ")


def format_validation_error(exc: ValidationError) -> str:
    """One ``key: what is wrong`` line per problem."""
    lines = []
    for error in exc.errors():
        where = _location(tuple(error.get("loc", ())))
        lines.append(f"{where}: {_message(error)}" if where else _message(error))
    return "\n".join(lines)


def settings_from_dict(data: Mapping[str, Any], base_dir: Path) -> Settings:
    """Validate already-parsed config data; raises ConfigError with every problem, one per line."""
    try:
        settings = Settings.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None
    if "base_dir" in data:
        raise ConfigError("base_dir: unknown key")
    check_secrets(settings)
    return settings


def check_secrets(settings: Settings) -> None:
    """Fail now, with the key's name, when a configured platform's secret is missing."""
    if settings.storage.password_env or settings.storage.password_file:
        read_secret(
            settings, "storage", "password", settings.storage.password_env, settings.storage.password_file
        )
    if settings.telegram:
        t = settings.telegram
        if not (t.token_env or t.token_file):
            raise ConfigError("telegram: set token_env or token_file")
        read_secret(settings, "telegram", "token", t.token_env if not t.token_file else None, t.token_file)
    if settings.slack:
        s = settings.slack
        read_secret(
            settings,
            "slack",
            "bot_token",
            s.bot_token_env if not s.bot_token_file else None,
            s.bot_token_file,
        )
        if s.mode == "socket":
            read_secret(
                settings,
                "slack",
                "app_token",
                s.app_token_env if not s.app_token_file else None,
                s.app_token_file,
            )
        else:
            if not (s.signing_secret_env or s.signing_secret_file):
                raise ConfigError("slack: mode = 'http' needs signing_secret_env or signing_secret_file")
            read_secret(settings, "slack", "signing_secret", s.signing_secret_env, s.signing_secret_file)


def config_path(explicit: str | None) -> Path:
    """``--config``, else ``NEWSWATCH_CONFIG``, else ``./newswatch.toml``."""
    return Path(explicit or os.environ.get("NEWSWATCH_CONFIG") or "newswatch.toml")


def load_settings(path: Path) -> Settings:
    """Read and validate the TOML file at ``path``; every failure is a ConfigError naming file or key."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    try:
        return settings_from_dict(data, path.resolve().parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}:\n{exc}") from None
