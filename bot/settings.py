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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import GenericTranslator, SelectorError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.digests import parse_quiet_hours
from bot.durations import parse_duration
from watchers.errors import ConfigError, QuerySyntaxError
from watchers.match import compile_query
from watchers.query import DEFAULT_MIN_SCORE
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
    max_redirects: int = Field(5, ge=0, le=20, description="redirects followed per request, each one checked")
    per_host_concurrency: int = Field(2, ge=1, le=64, description="requests in flight at once to one host")
    per_host_delay: Annotated[
        timedelta, Field(description="minimum time between the starts of two requests to one host")
    ] = timedelta(seconds=1)
    respect_robots: bool = Field(True, description="obey robots.txt when fetching article pages")
    pause_after_failures: int = Field(
        20, ge=1, description="consecutive failures after which a source is paused (and admins told)"
    )
    adaptive_polling: bool = Field(
        True, description="poll busy feeds more often and quiet ones less, within every/4 and max_interval"
    )
    max_interval: Annotated[
        timedelta, Field(description="longest interval adaptive polling (and backoff) may reach")
    ] = timedelta(hours=6)

    @field_validator("timeout", "per_host_delay", "max_interval", mode="before")
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
    url: str = Field(description="feed, page, sitemap or API URL (http or https); for search, a template")
    kind: SourceKind = Field("rss", description="rss, page, sitemap, search or gdelt")
    every: Annotated[timedelta, Field(description="poll interval (minimum 1m)")] = timedelta(minutes=10)
    backfill: Annotated[
        timedelta, Field(description="on the first poll, older entries are stored without alerts")
    ] = timedelta(hours=24)
    selector: str | None = Field(None, description="page: CSS selector of the article links")
    max_items: int | None = Field(
        None, ge=1, le=1000, description="most entries read per poll (per topic for search and gdelt)"
    )
    max_sitemaps: int | None = Field(
        None, ge=1, le=50, description="sitemap: child sitemaps of an index followed, newest first"
    )
    timespan: Annotated[
        timedelta | None, Field(description="gdelt: how far back each query looks (at least 15m)")
    ] = None

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

    @field_validator("timespan", mode="before")
    @classmethod
    def _timespan(cls, value: Any) -> timedelta | None:
        return None if value is None else _duration(value)

    @field_validator("every")
    @classmethod
    def _minimum(cls, value: timedelta) -> timedelta:
        if value < timedelta(minutes=1):
            raise ValueError("must be at least 1m")
        return value

    @field_validator("selector")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            GenericTranslator().css_to_xpath(value)
        except SelectorError as exc:
            raise ValueError(f"{value!r} is not a CSS selector: {exc}") from None
        return value

    @model_validator(mode="after")
    def _fits_kind(self) -> SourceSettings:
        template = "{query}" in self.url
        if self.kind == "search" and not template:
            raise ValueError("a search source's url needs {query}, filled from each topic's query")
        if self.kind != "search" and template:
            raise ValueError("only kind = 'search' fills {query} in the url")
        for key, kinds in (("selector", ("page",)), ("max_sitemaps", ("sitemap",)), ("timespan", ("gdelt",))):
            if getattr(self, key) is not None and self.kind not in kinds:
                raise ValueError(f"{key} applies to kind = {kinds[0]!r} only")
        if self.timespan is not None and self.timespan < timedelta(minutes=15):
            raise ValueError("timespan must be at least 15m (GDELT updates every 15 minutes)")
        return self

    def reader_options(self) -> dict[str, Any]:
        """The per-kind options stored with the source (only those set)."""
        options: dict[str, Any] = {}
        if self.selector:
            options["selector"] = self.selector
        if self.max_items is not None:
            options["max_items"] = self.max_items
        if self.max_sitemaps is not None:
            options["max_sitemaps"] = self.max_sitemaps
        if self.timespan is not None:
            options["timespan_seconds"] = int(self.timespan.total_seconds())
        return options


class TopicSettings(_Model):
    name: str = Field(description="how subscribers refer to the topic")
    query: str = Field(description="the query, in the language of docs/queries.md")
    min_score: float = Field(
        DEFAULT_MIN_SCORE,
        ge=0,
        description="relevance needed to alert: title 3, lead 2, each deeper match 1",
    )

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
    timezone: str | None = Field(None, description="the chat's time zone for times, digests and quiet hours")
    quiet_hours: str | None = Field(
        None, description="HH:MM-HH:MM in the chat's time zone: instant alerts wait, then come as a digest"
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{value!r} is not a time zone name like Europe/Berlin") from None
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str | None) -> str | None:
        if value is not None:
            parse_quiet_hours(value)
            return value.replace(" ", "")
        return value

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
    link_preview: bool = Field(False, description="show a link preview under each alert")
    webhook_listen: str = Field(
        "127.0.0.1:8443", description="webhook mode: HOST:PORT our HTTP server listens on"
    )
    webhook_url: str | None = Field(
        None, description="webhook mode: the public https URL Telegram posts updates to"
    )
    webhook_secret_env: str | None = Field(
        None, description="webhook mode: environment variable with the secret token Telegram sends back"
    )
    webhook_secret_file: str | None = Field(None, description="webhook mode: file with the secret token")

    @model_validator(mode="after")
    def _webhook(self) -> TelegramSettings:
        if self.mode == "webhook":
            if not self.webhook_url or not is_http_url(self.webhook_url):
                raise ValueError("mode = 'webhook' needs webhook_url, the public http(s) URL of the bot")
            if not (self.webhook_secret_env or self.webhook_secret_file):
                raise ValueError("mode = 'webhook' needs webhook_secret_env or webhook_secret_file")
        host, _, port = self.webhook_listen.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"webhook_listen: {self.webhook_listen!r} is not HOST:PORT")
        return self


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


class StoriesSettings(_Model):
    window: Annotated[
        timedelta, Field(description="articles about one event join one story within this time of each other")
    ] = timedelta(hours=48)
    threshold: float = Field(
        0.25, ge=0.0, le=1.0, description="score (0-1) an article needs to join an existing story"
    )

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> timedelta:
        return _duration(value)

    @field_validator("window")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=1):
            raise ValueError("must be at least 1h")
        return value


class SummarizerSettings(_Model):
    kind: Literal["extractive", "openai"] = Field(
        "extractive", description="extractive (offline) or openai (any OpenAI-compatible endpoint)"
    )
    max_chars: int = Field(400, ge=80, le=4000, description="extractive summary length cap, in characters")
    base_url: str | None = Field(None, description="openai: API base, e.g. http://127.0.0.1:11434/v1")
    model: str | None = Field(None, description="openai: the model name")
    api_key_env: str | None = Field(None, description="openai: environment variable with the API key")
    api_key_file: str | None = Field(None, description="openai: file with the API key")
    timeout: Annotated[timedelta, Field(description="openai: whole-request time limit")] = timedelta(
        seconds=20
    )
    max_input_chars: int = Field(12000, ge=500, description="openai: article characters sent at most")
    max_output_chars: int = Field(600, ge=80, description="openai: summary characters kept at most")

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> timedelta:
        return _duration(value)

    @model_validator(mode="after")
    def _complete(self) -> SummarizerSettings:
        if self.kind == "openai":
            if not self.base_url or not is_http_url(self.base_url):
                raise ValueError("kind = 'openai' needs base_url (an http(s) URL)")
            if not self.model:
                raise ValueError("kind = 'openai' needs model")
        return self


class Settings(_Model):
    storage: StorageSettings = StorageSettings()
    network: NetworkSettings = NetworkSettings()
    sources: tuple[SourceSettings, ...] = ()
    topics: tuple[TopicSettings, ...] = ()
    channels: tuple[ChannelSettings, ...] = ()
    subscriptions: tuple[SubscriptionSettings, ...] = ()
    telegram: TelegramSettings | None = None
    slack: SlackSettings | None = None
    stories: StoriesSettings = StoriesSettings()
    summarizer: SummarizerSettings = SummarizerSettings()
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
    if settings.summarizer.kind == "openai" and (
        settings.summarizer.api_key_env or settings.summarizer.api_key_file
    ):
        read_secret(
            settings,
            "summarizer",
            "api_key",
            settings.summarizer.api_key_env if not settings.summarizer.api_key_file else None,
            settings.summarizer.api_key_file,
        )
    if settings.telegram:
        t = settings.telegram
        if not (t.token_env or t.token_file):
            raise ConfigError("telegram: set token_env or token_file")
        read_secret(settings, "telegram", "token", t.token_env if not t.token_file else None, t.token_file)
        if t.mode == "webhook":
            read_secret(
                settings,
                "telegram",
                "webhook_secret",
                t.webhook_secret_env if not t.webhook_secret_file else None,
                t.webhook_secret_file,
            )
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
