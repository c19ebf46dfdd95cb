"""bot.settings: the TOML file validated into models, errors naming the key, secrets kept out of sight."""

from __future__ import annotations

import re
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import config_path, load_settings
from watchers.errors import ConfigError

# The configuration block of /work/shared/CONTRACT.md, as users write it.
CONTRACT_TOML = """\
[storage]
url = "sqlite:///newswatch.db"            # or postgresql+psycopg://…

[network]
allow_private = ["127.0.0.1"]              # loopback/private targets refused unless listed

[[sources]]
name = "Example outlet"
url = "https://example.org/feed.xml"
kind = "rss"                               # rss | page | sitemap | search | gdelt
every = "10m"                              # optional
backfill = "24h"                           # optional: first poll alerts only entries newer than this

[[topics]]
name = "NATO expansion"
query = "NATO expansion"                   # the query language

[[channels]]
name = "out"
kind = "jsonl"                             # jsonl | console | telegram | slack
path = "alerts.jsonl"                      # jsonl: a file, or "-" for stdout

[[subscriptions]]
channel = "out"
topic = "NATO expansion"                   # mode = "instant" (default) or a digest

[telegram]
token_env = "TELEGRAM_BOT_TOKEN"           # or token_file
api_base = "https://api.telegram.org"      # methods at {api_base}/bot{token}/{method}
mode = "polling"                           # or "webhook"
admins = [123456789]

[slack]
bot_token_env = "SLACK_BOT_TOKEN"
app_token_env = "SLACK_APP_TOKEN"          # Socket Mode; or mode = "http" with signing_secret_env
api_base = "https://slack.com/api/"
admins = ["U0123456"]
"""

MINIMAL = """\
[[sources]]
name = "A"
url = "https://example.org/a.xml"

[[topics]]
name = "T"
query = "nato"

[[channels]]
name = "out"
kind = "jsonl"
path = "alerts.jsonl"

[[subscriptions]]
channel = "out"
topic = "T"
"""

SECRET = "s3cr3t-VALUE-9f2c7d41"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "NEWSWATCH_CONFIG",
        "TELEGRAM_BOT_TOKEN",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "NEWSWATCH_TEST_UNSET_TOKEN",
        "NEWSWATCH_TEST_DB_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)


def write(tmp_path: Path, text: str, name: str = "newswatch.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return str(info.value)


# --- good files -----------------------------------------------------------------------------------


def test_contract_shape_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    settings = load_settings(write(tmp_path, CONTRACT_TOML))

    assert settings.base_dir == tmp_path.resolve()
    assert settings.network.allow_private == ("127.0.0.1",)
    (source,) = settings.sources
    assert (source.name, source.url, source.kind) == ("Example outlet", "https://example.org/feed.xml", "rss")
    assert source.every == timedelta(minutes=10)
    assert source.backfill == timedelta(hours=24)
    assert settings.topics[0].query == "NATO expansion"
    assert settings.channels[0].path == "alerts.jsonl"
    assert settings.subscriptions[0].mode == "instant"
    assert settings.telegram is not None
    assert settings.telegram.admins == (123456789,)
    assert settings.telegram.mode == "polling"
    assert settings.slack is not None
    assert settings.slack.admins == ("U0123456",)
    assert settings.resolve_path("alerts.jsonl") == tmp_path.resolve() / "alerts.jsonl"


def test_defaults_for_an_empty_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""))
    assert settings.storage.url == "sqlite:///newswatch.db"
    assert settings.network.timeout == timedelta(seconds=15)
    assert settings.network.fetch_pages is True
    assert settings.sources == ()
    assert settings.telegram is None
    assert settings.slack is None


def test_settings_are_immutable(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL))
    with pytest.raises(ValueError, match="frozen"):
        settings.sources[0].name = "B"  # type: ignore[misc]


# --- errors name the file or the key --------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    message = config_error(tmp_path / "nope.toml")
    assert "config file not found" in message
    assert "nope.toml" in message


def test_bad_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "[storage\nurl = 1\n")
    message = config_error(path)
    assert str(path) in message
    assert "invalid TOML" in message


def test_unknown_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [[sources]]
        name = "A"
        url = "https://example.org/a.xml"
        colour = "red"
        """,
    )
    message = config_error(path)
    assert "sources[0].colour: unknown key" in message
    assert str(path) in message


def test_unknown_top_level_key_and_base_dir_are_refused(tmp_path: Path) -> None:
    assert "colour: unknown key" in config_error(write(tmp_path, 'colour = "red"\n'))
    assert "base_dir: unknown key" in config_error(write(tmp_path, 'base_dir = "/etc"\n'))


def test_bad_url_names_the_third_source(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [[sources]]
        name = "A"
        url = "https://example.org/a.xml"

        [[sources]]
        name = "B"
        url = "http://example.org/b.xml"

        [[sources]]
        name = "C"
        url = "htp://x"
        """,
    )
    message = config_error(path)
    assert "sources[2].url: 'htp://x' is not an http(s) URL" in message
    assert "sources[0]" not in message
    assert "sources[1]" not in message


def test_missing_required_key(tmp_path: Path) -> None:
    message = config_error(write(tmp_path, '[[sources]]\nname = "A"\n'))
    assert "sources[0].url: required key is missing" in message


def test_every_problem_is_reported_one_per_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [[sources]]
        name = "A"
        url = "ftp://example.org/a"
        every = "soon"
        """,
    )
    lines = config_error(path).splitlines()
    assert any(line.startswith("sources[0].url: ") for line in lines)
    assert any(line.startswith("sources[0].every: ") for line in lines)


def test_bad_duration(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [[sources]]
        name = "A"
        url = "https://example.org/a.xml"
        every = "ten minutes"
        """,
    )
    message = config_error(path)
    assert "sources[0].every: 'ten minutes' is not a duration" in message


def test_bad_network_timeout(tmp_path: Path) -> None:
    message = config_error(write(tmp_path, '[network]\ntimeout = "15 parsecs"\n'))
    assert "network.timeout: '15 parsecs' is not a duration" in message


@pytest.mark.parametrize("every", ["30s", "59s", "0m"])
def test_every_below_one_minute(tmp_path: Path, every: str) -> None:
    path = write(
        tmp_path,
        f"""\
        [[sources]]
        name = "A"
        url = "https://example.org/a.xml"
        every = "{every}"
        """,
    )
    assert "sources[0].every: must be at least 1m" in config_error(path)


def test_every_of_exactly_one_minute_and_compound_durations(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [[sources]]
        name = "A"
        url = "https://example.org/a.xml"
        every = "1m"
        backfill = "1h30m"
        """,
    )
    source = load_settings(path).sources[0]
    assert source.every == timedelta(minutes=1)
    assert source.backfill == timedelta(minutes=90)


def test_every_source_kind_with_its_options(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [[sources]]
        name = "Front"
        url = "https://example.org/world/"
        kind = "page"
        selector = "main h2 > a"
        max_items = 20

        [[sources]]
        name = "Map"
        url = "https://example.org/news-sitemap.xml"
        kind = "sitemap"
        max_sitemaps = 3

        [[sources]]
        name = "Search"
        url = "https://news.example.org/rss/search?q={query}&hl=en"
        kind = "search"

        [[sources]]
        name = "GDELT"
        url = "https://api.gdeltproject.org/api/v2/doc/doc"
        kind = "gdelt"
        timespan = "2h"
        """,
    )
    page, sitemap, search, gdelt = load_settings(path).sources
    assert page.reader_options() == {"selector": "main h2 > a", "max_items": 20}
    assert sitemap.reader_options() == {"max_sitemaps": 3}
    assert search.reader_options() == {}
    assert gdelt.reader_options() == {"timespan_seconds": 7200}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('kind = "search"', "sources[0]: a search source's url needs {query}"),
        ('kind = "rss"\nselector = "a"', "sources[0]: selector applies to kind = 'page' only"),
        ('kind = "page"\nselector = "a[["', "sources[0].selector: 'a[[' is not a CSS selector"),
        ('kind = "gdelt"\ntimespan = "5m"', "sources[0]: timespan must be at least 15m"),
        ('kind = "page"\nmax_items = 0', "sources[0].max_items: "),
        ('kind = "carrier-pigeon"', "sources[0].kind: "),
    ],
)
def test_source_kind_options_are_validated(tmp_path: Path, lines: str, message: str) -> None:
    body = '[[sources]]\nname = "A"\nurl = "https://example.org/a"\n' + lines + "\n"
    path = write(tmp_path, body)
    assert message in config_error(path)


def test_query_placeholder_outside_search_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\nname = "A"\nurl = "https://example.org/?q={query}"\n')
    assert "only kind = 'search' fills {query}" in config_error(path)


def test_bad_topic_query(tmp_path: Path) -> None:
    path = write(tmp_path, '[[topics]]\nname = "T"\nquery = \'"unclosed\'\n')
    assert "topics[0].query: " in config_error(path)


def test_subscription_to_a_missing_channel(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('channel = "out"', 'channel = "elsewhere"'))
    assert "subscriptions[0].channel: no channel named 'elsewhere'" in config_error(path)


def test_subscription_to_a_missing_topic(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('topic = "T"', 'topic = "Other"'))
    assert "subscriptions[0].topic: no topic named 'Other'" in config_error(path)


@pytest.mark.parametrize("mode", ["weekly", "digest 25:00", "digest 8"])
def test_bad_subscription_mode(tmp_path: Path, mode: str) -> None:
    path = write(tmp_path, MINIMAL + f'mode = "{mode}"\n')
    assert f"subscriptions[0].mode: '{mode}' is not instant, hourly or digest HH:MM" in config_error(path)


@pytest.mark.parametrize(
    ("written", "normalised"), [("hourly", "hourly"), ("digest   08:30", "digest 08:30")]
)
def test_good_subscription_mode(tmp_path: Path, written: str, normalised: str) -> None:
    path = write(tmp_path, MINIMAL + f'mode = "{written}"\n')
    assert load_settings(path).subscriptions[0].mode == normalised


@pytest.mark.parametrize(
    ("section", "entries"),
    [
        (
            "sources",
            ['name = "A"\nurl = "https://example.org/a"', 'name = "a"\nurl = "https://example.org/b"'],
        ),
        ("topics", ['name = "T"\nquery = "x"', 'name = "T"\nquery = "y"']),
        ("channels", ['name = "out"\nkind = "console"', 'name = "out"\nkind = "console"']),
    ],
)
def test_duplicate_names(tmp_path: Path, section: str, entries: list[str]) -> None:
    text = "".join(f"[[{section}]]\n{entry}\n\n" for entry in entries)
    message = config_error(write(tmp_path, text))
    assert re.search(rf"{section}: the name '\w+' is used twice", message)


@pytest.mark.parametrize(
    ("kind", "needs"),
    [
        ("jsonl", "a jsonl channel needs path"),
        ("telegram", "a telegram channel needs chat_id"),
        ("slack", "a slack channel needs channel"),
    ],
)
def test_channel_missing_its_kinds_key(tmp_path: Path, kind: str, needs: str) -> None:
    path = write(tmp_path, f'[[channels]]\nname = "out"\nkind = "{kind}"\n')
    assert f"channels[0]: {needs}" in config_error(path)


def test_unknown_channel_kind(tmp_path: Path) -> None:
    path = write(tmp_path, '[[channels]]\nname = "out"\nkind = "email"\n')
    assert "channels[0].kind: " in config_error(path)


@pytest.mark.parametrize("entry", ["localhost", "10.0.0.0/33", "1.2.3"])
def test_bad_allow_private_entry(tmp_path: Path, entry: str) -> None:
    path = write(tmp_path, f'[network]\nallow_private = ["127.0.0.1", "{entry}"]\n')
    assert f"network.allow_private: '{entry}' is not an IP address or network" in config_error(path)


def test_good_allow_private_entries(tmp_path: Path) -> None:
    path = write(tmp_path, '[network]\nallow_private = ["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"]\n')
    assert load_settings(path).network.allow_private == ("127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8")


def test_max_bytes_lower_bound(tmp_path: Path) -> None:
    assert "network.max_bytes: " in config_error(write(tmp_path, "[network]\nmax_bytes = 100\n"))


# --- secrets ----------------------------------------------------------------------------------


def test_missing_telegram_token_env(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\ntoken_env = "NEWSWATCH_TEST_UNSET_TOKEN"\n')
    message = config_error(path)
    assert "telegram.token_env" in message
    assert "NEWSWATCH_TEST_UNSET_TOKEN" in message


def test_default_telegram_token_env_is_checked(tmp_path: Path) -> None:
    message = config_error(write(tmp_path, "[telegram]\n"))
    assert "telegram.token_env" in message
    assert "TELEGRAM_BOT_TOKEN" in message


def test_telegram_token_file_that_does_not_exist(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\ntoken_file = "secrets/telegram_token"\n')
    message = config_error(path)
    assert "telegram.token_file" in message
    assert str(tmp_path.resolve() / "secrets" / "telegram_token") in message


def test_empty_token_file(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("\n", encoding="utf-8")
    message = config_error(write(tmp_path, '[telegram]\ntoken_file = "token"\n'))
    assert "telegram.token_file" in message
    assert "empty" in message


def test_token_file_relative_to_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    (config_dir / "token").write_text("123:abc\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(write(config_dir, '[telegram]\ntoken_file = "token"\n'))
    assert settings.telegram is not None
    assert settings.telegram.token_file == "token"


def test_slack_socket_mode_needs_the_app_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    message = config_error(write(tmp_path, "[slack]\n"))
    assert "slack.app_token_env" in message
    assert "SLACK_APP_TOKEN" in message


def test_slack_http_mode_needs_a_signing_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    message = config_error(write(tmp_path, '[slack]\nmode = "http"\n'))
    assert "signing_secret_env or signing_secret_file" in message


def test_secret_value_never_appears_in_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", SECRET + "-bot")
    monkeypatch.setenv("SLACK_APP_TOKEN", SECRET + "-app")
    monkeypatch.setenv("NEWSWATCH_TEST_DB_PASSWORD", SECRET + "-db")
    (tmp_path / "tg_token").write_text(SECRET + "-file\n", encoding="utf-8")
    text = CONTRACT_TOML.replace(
        'url = "sqlite:///newswatch.db"',
        'url = "postgresql+psycopg://news@db.invalid/news"\npassword_env = "NEWSWATCH_TEST_DB_PASSWORD"',
    ).replace('token_env = "TELEGRAM_BOT_TOKEN"', 'token_file = "tg_token"')
    settings = load_settings(write(tmp_path, text))

    for shown in (
        str(settings),
        repr(settings),
        str(settings.model_dump()),
        settings.model_dump_json(),
        repr(settings.telegram),
        repr(settings.slack),
        repr(settings.storage),
    ):
        assert SECRET not in shown
    # ... yet it is there when asked for.
    assert f":{SECRET}-db@" in settings.database_url()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://news:hunter2@db.example.org/news",
        "postgresql://news:hunter2@db.example.org:5432/news",
        # Not a scheme we take, but the error must not echo the password either.
        "postgres://news:hunter2@db.example.org/news",
        "mysql://news:hunter2@db.example.org/news",
    ],
)
def test_url_with_inline_password_is_refused_without_echoing_it(tmp_path: Path, url: str) -> None:
    message = config_error(write(tmp_path, f'[storage]\nurl = "{url}"\n'))
    assert "storage.url: put the password in password_env or password_file" in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://news@db.example.org:5432/news",
        "postgresql+psycopg://db.example.org:5432/news",
        "sqlite:///C:/data/news.db",
    ],
)
def test_urls_without_a_password_are_accepted(tmp_path: Path, url: str) -> None:
    assert load_settings(write(tmp_path, f'[storage]\nurl = "{url}"\n')).storage.url == url


def test_unknown_database_backend(tmp_path: Path) -> None:
    message = config_error(write(tmp_path, '[storage]\nurl = "mysql://news@db/news"\n'))
    assert "storage.url: 'mysql://news@db/news' is not a sqlite:/// or postgresql+psycopg:// URL" in message


def test_missing_database_password_env(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [storage]
        url = "postgresql+psycopg://news@db.example.org/news"
        password_env = "NEWSWATCH_TEST_DB_PASSWORD"
        """,
    )
    message = config_error(path)
    assert "storage.password_env" in message
    assert "NEWSWATCH_TEST_DB_PASSWORD" in message


# --- database_url -----------------------------------------------------------------------------


def test_database_url_resolves_a_relative_sqlite_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    monkeypatch.chdir(tmp_path)
    settings = load_settings(write(config_dir, '[storage]\nurl = "sqlite:///data/news.db"\n'))
    assert settings.database_url() == f"sqlite:///{config_dir.resolve() / 'data' / 'news.db'}"


@pytest.mark.parametrize("url", ["sqlite:////var/lib/newswatch/news.db", "sqlite:///:memory:"])
def test_database_url_leaves_absolute_and_memory_sqlite_alone(tmp_path: Path, url: str) -> None:
    settings = load_settings(write(tmp_path, f'[storage]\nurl = "{url}"\n'))
    assert settings.database_url() == url


def test_database_url_inserts_the_password_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_TEST_DB_PASSWORD", "p@ss w/rd")
    path = write(
        tmp_path,
        """\
        [storage]
        url = "postgresql+psycopg://news@db.example.org:5432/news"
        password_env = "NEWSWATCH_TEST_DB_PASSWORD"
        """,
    )
    settings = load_settings(path)
    assert settings.storage.url == "postgresql+psycopg://news@db.example.org:5432/news"

    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url())
    assert url.password == "p@ss w/rd"
    assert (url.drivername, url.username, url.host, url.port, url.database) == (
        "postgresql+psycopg",
        "news",
        "db.example.org",
        5432,
        "news",
    )


def test_database_url_inserts_the_password_from_file(tmp_path: Path) -> None:
    (tmp_path / "db_password").write_text("from-a-file\n", encoding="utf-8")
    path = write(
        tmp_path,
        """\
        [storage]
        url = "postgresql+psycopg://news@db.example.org/news"
        password_file = "db_password"
        """,
    )
    from sqlalchemy.engine import make_url

    assert make_url(load_settings(path).database_url()).password == "from-a-file"


def test_database_url_without_a_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://news@db.example.org/news"
    settings = load_settings(write(tmp_path, f'[storage]\nurl = "{url}"\n'))
    assert settings.database_url() == url


# --- where the config comes from --------------------------------------------------------------


def test_config_path_order(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_path(None) == Path("newswatch.toml")
    monkeypatch.setenv("NEWSWATCH_CONFIG", "/etc/newswatch/config.toml")
    assert config_path(None) == Path("/etc/newswatch/config.toml")
    assert config_path("given.toml") == Path("given.toml")


def test_newswatch_config_env_is_used_by_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSWATCH_CONFIG", str(write(tmp_path, MINIMAL, "from-env.toml")))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check-config"])
    assert result.exit_code == 0, result.output
    assert "config ok: 1 sources, 1 topics, 1 channels, 1 subscriptions" in result.output


# --- newswatch check-config -------------------------------------------------------------------


def test_check_config_good_file(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    result = CliRunner().invoke(app, ["check-config", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "config ok" in result.output


def test_check_config_the_example(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    result = CliRunner().invoke(app, ["check-config", "--config", str(example)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[storage\n", "invalid TOML"),
        ("[network]\nallow_private = ['nowhere']\n", "network.allow_private: 'nowhere'"),
    ],
)
def test_check_config_bad_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    # A short relative path keeps the message within the 80 columns the error console wraps at.
    monkeypatch.chdir(tmp_path)
    write(tmp_path, text, "bad.toml")
    result = CliRunner().invoke(app, ["check-config", "--config", "bad.toml"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    error_lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.output
    assert error_lines[0].startswith("error: bad.toml:")
    assert expected in result.output
    assert "config ok" not in result.output


def test_check_config_invalid_toml_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "x =\n", "bad.toml")
    result = CliRunner().invoke(app, ["check-config", "--config", "bad.toml"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: bad.toml: invalid TOML: Invalid value (at line 1, column 4)"
    ]


def test_check_config_missing_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, '[telegram]\ntoken_env = "NEWSWATCH_TEST_UNSET_TOKEN"\n', "tg.toml")
    result = CliRunner().invoke(app, ["check-config", "--config", "tg.toml"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "telegram.token_env" in result.output
    assert "NEWSWATCH_TEST_UNSET_TOKEN" in result.output
