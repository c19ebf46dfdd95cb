"""``newswatch sources add|remove|import|export`` with a real site on loopback and a real database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.sample_site import LocalSite, Route
from watchers.opml import parse_opml

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "feeds" / "netnewswire-rsparser"
RSS = (
    b'<rss version="2.0"><channel><title>Courier</title><item><title>NATO expansion talks</title>'
    b"<link>http://127.0.0.1/a</link></item></channel></rss>"
)
HOME = b"""<html><head><link rel="alternate" type="application/rss+xml" title="Courier top stories"
href="/top.xml"><link rel="alternate" type="application/atom+xml" title="Courier wire" href="/wire.xml">
</head><body>home</body></html>"""


@pytest.fixture
def config(tmp_path: Path, database_url: str, news_site: LocalSite) -> Path:
    path = tmp_path / "newswatch.toml"
    path.write_text(
        f'[storage]\nurl = "{database_url}"\n\n[network]\nallow_private = ["127.0.0.1"]\ntimeout = "5s"\n\n'
        f'[[sources]]\nname = "Configured"\nurl = "{news_site.url}/configured.xml"\n',
        encoding="utf-8",
    )
    return path


def run(config: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, ["--config", str(config), *args])
    return result


def listed(config: Path) -> dict[str, dict[str, Any]]:
    result = run(config, "sources", "--json")
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.stdout)}


def test_add_discovers_the_announced_feed_then_remove(config: Path, news_site: LocalSite) -> None:
    news_site.set("/", Route("text/html", HOME))
    news_site.set("/top.xml", Route("application/rss+xml", RSS))
    added = run(config, "sources", "add", news_site.url + "/", "--every", "15m")
    assert added.exit_code == 0, added.output
    assert "announces 2 feeds" in added.stdout
    said = " ".join(added.stdout.split())
    assert f"added 'Courier top stories' (rss) {news_site.url}/top.xml, polled every 15m" in said

    again = run(config, "sources", "add", news_site.url + "/top.xml", "--name", "Other")
    assert again.exit_code == 1
    assert "is already watched as 'Courier top stories'" in again.output

    rows = listed(config)
    assert rows["Courier top stories"]["origin"] == "chat"
    assert rows["Courier top stories"]["every"] == "15m"
    polled = run(config, "poll-once")
    assert polled.exit_code == 0, polled.output
    rows = listed(config)
    assert rows["Courier top stories"]["last_success"] is not None
    assert rows["Courier top stories"]["articles"] == 1
    assert rows["Configured"]["last_error"] == "HTTP 404"

    refused = run(config, "sources", "remove", "Configured")
    assert refused.exit_code == 1
    assert "comes from the config file" in refused.output
    removed = run(config, "sources", "remove", "courier top stories")
    assert removed.exit_code == 0, removed.output
    assert "Courier top stories" not in listed(config)


def test_add_page_kind_and_the_errors(config: Path, news_site: LocalSite) -> None:
    news_site.set("/bare", Route("text/html", b"<html><body>no feeds</body></html>"))
    none = run(config, "sources", "add", news_site.url + "/bare")
    assert none.exit_code == 1
    assert "no feed found" in none.output
    assert "--kind page" in none.output

    page = run(
        config,
        "sources",
        "add",
        news_site.url + "/bare",
        "--kind",
        "page",
        "--selector",
        "main h2 a",
        "--json",
    )
    assert page.exit_code == 0, page.output
    assert json.loads(page.stdout)["kind"] == "page"
    assert listed(config)["127.0.0.1"]["kind"] == "page"

    bad = run(
        config, "sources", "add", news_site.url + "/x", "--kind", "rss", "--selector", "a", "--name", "X"
    )
    assert bad.exit_code == 2
    assert "selector applies to kind = 'page' only" in bad.output
    blocked = run(config, "sources", "add", "http://127.0.0.2:9/")
    assert blocked.exit_code == 1
    assert "blocked: 127.0.0.2" in blocked.output
    scheme = run(config, "sources", "add", "file:///etc/passwd")
    assert scheme.exit_code == 2
    assert "is not an http(s) URL" in scheme.output


def test_opml_round_trip(config: Path, tmp_path: Path, news_site: LocalSite) -> None:
    opml = tmp_path / "in.opml"
    opml.write_text(
        """<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>
        <outline text="News folder">
          <outline text="Courier" type="rss" xmlUrl="https://courier.example/feed.xml" htmlUrl="https://courier.example/"/>
          <outline title="Front" text="ignored" xmlUrl="https://courier.example/world/" newswatchKind="page"
            newswatchOptions='{"selector": "main h2 a", "max_items": 20}'/>
          <outline text="Bad options" xmlUrl="https://courier.example/x.xml"
            newswatchOptions='{"selector": "a[["}'/>
        </outline>
        <outline text="Broken" xmlUrl="ftp://courier.example/x"/>
        <outline text="Configured again" xmlUrl="BASE/configured.xml"/>
        </body></opml>""".replace("BASE", news_site.url),
        encoding="utf-8",
    )
    imported = run(config, "sources", "import", str(opml), "--every", "30m")
    assert imported.exit_code == 0, imported.output
    assert "imported 2 sources; 1 already watched; 2 skipped" in " ".join(imported.stdout.split())
    assert "is not a CSS selector" in imported.output
    assert "'ftp://courier.example/x' is not an http(s) URL" in imported.output
    rows = listed(config)
    assert (rows["Front"]["kind"], rows["Front"]["every"]) == ("page", "30m")

    out = tmp_path / "out.opml"
    exported = run(config, "sources", "export", str(out))
    assert exported.exit_code == 0, exported.output
    feeds, problems = parse_opml(out.read_bytes())
    assert problems == []
    assert sorted((f.title, f.url, f.kind, f.options) for f in feeds) == [
        ("Configured", news_site.url + "/configured.xml", "rss", {}),
        ("Courier", "https://courier.example/feed.xml", "rss", {}),
        ("Front", "https://courier.example/world/", "page", {"max_items": 20, "selector": "main h2 a"}),
    ]
    stdout = run(config, "sources", "export")
    assert (
        stdout.stdout.encode() == out.read_bytes()[: len(stdout.stdout.encode())] or "<opml" in stdout.stdout
    )

    missing = run(config, "sources", "import", str(tmp_path / "nope.opml"))
    assert missing.exit_code == 2
    assert "cannot read" in missing.output


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/feeds/netnewswire-rsparser is absent")
@pytest.mark.parametrize("name", ["Subs.opml", "SubsNoTitleAttributes.opml"])
def test_real_opml_lists_import_and_export_losslessly(
    config: Path, tmp_path: Path, news_site: LocalSite, name: str
) -> None:
    feeds, problems = parse_opml((CORPUS / name).read_bytes())
    assert len(feeds) > 150
    imported = run(config, "sources", "import", str(CORPUS / name))
    assert imported.exit_code == 0, imported.output
    assert f"imported {len(feeds)} sources; 0 already watched; {len(problems)} skipped" in imported.stdout
    out = tmp_path / "round.opml"
    assert run(config, "sources", "export", str(out)).exit_code == 0
    again, _ = parse_opml(out.read_bytes())
    assert {f.url for f in again} == {f.url for f in feeds} | {news_site.url + "/configured.xml"}
