"""``newswatch topic test``: grep-style exit codes, highlights, --json, and --recent over stored articles."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from bot.dry_run import try_recent
from bot.models import Article, Source, utcnow
from bot.settings import Settings, load_settings
from bot.store import Store
from bot.topic_test import plain_paragraphs, run_topic_test
from watchers.query import ArticleText


def _run(
    query: str, target: str | None, tmp_path: Path, *, recent: str | None = None, json_out: bool = False
):
    out, err = StringIO(), StringIO()

    def loader() -> Settings:
        return load_settings(tmp_path / "newswatch.toml")

    code = run_topic_test(
        query,
        target,
        recent=recent,
        json_out=json_out,
        settings_loader=loader,
        out=Console(file=out, width=200),
        err=Console(file=err, width=200),
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def article_file(tmp_path: Path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(
        "NATO weighs its future\n"
        "Leaders said NATO will no longer consider expanding,\nbut talks go on.\n\n"
        "In sport, the expansion of the stadium\nwas approved.\n",
        encoding="utf-8",
    )
    return path


def test_a_match_exits_0_with_highlights(article_file: Path, tmp_path: Path) -> None:
    code, out, _ = _run("NATO expansion", str(article_file), tmp_path)
    assert code == 0
    assert out.startswith("match (score 2)")
    assert "terms: nato, expansion" in out
    assert "expanding" in out


def test_no_match_exits_1(article_file: Path, tmp_path: Path) -> None:
    code, out, _ = _run('"expansion of NATO"', str(article_file), tmp_path)
    assert code == 1
    assert out.startswith("no match")


def test_json_gives_match_score_and_spans(
    article_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = _run("NATO NEAR/5 expansion", str(article_file), tmp_path, json_out=True)
    body = json.loads(capsys.readouterr().out)
    text = article_file.read_text(encoding="utf-8").partition("\n")[2]
    assert code == 0
    assert body["match"] is True
    assert body["score"] >= 2
    spans = [(s["term"], s["field"]) for s in body["spans"]]
    assert ("nato", "title") not in spans  # the title has no expansion nearby
    words = [plain_paragraphs(text)[s["start"] : s["end"]] for s in body["spans"] if s["field"] == "text"]
    assert words == ["NATO", "expanding"]


def test_a_syntax_error_exits_2_with_the_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run("NATO (expansion", None, tmp_path, json_out=True)
    assert code == 2
    assert "unbalanced parenthesis at column 6" in err
    assert "\n       ^" in err
    body = json.loads(capsys.readouterr().out)
    assert body["column"] == 6
    assert body["reason"] == "unbalanced parenthesis"


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    code, _, err = _run("NATO", str(tmp_path / "nope.txt"), tmp_path)
    assert code == 2
    assert "error:" in err


def test_recent_counts_stored_articles(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "newswatch.toml").write_text(f'[storage]\nurl = "{database_url}"\n', encoding="utf-8")
    store = Store.open(database_url)
    try:
        with store.session() as session:
            source = Source(name="Northern Courier", url="https://courier.example/feed")
            session.add(source)
            session.flush()
            assert source.id is not None
            for index, (title, text) in enumerate(
                [
                    ("Nato expands", "Sweden joins."),
                    ("Stadium news", "NATO office nearby.\nThe stadium expansion was approved."),
                    ("Grain", "Wheat exports rose."),
                ]
            ):
                session.add(
                    Article(
                        source_id=source.id,
                        url=f"https://courier.example/{index}",
                        title=title,
                        text=text,
                        content_hash=str(index),
                        fetched_at=utcnow(),
                    )
                )
        summary = try_recent("NATO expansion", store, timedelta(days=7))
        assert (summary.articles, summary.matches) == (3, 1)
        assert summary.examples[0].title == "Nato expands"
        assert summary.examples[0].source == "Northern Courier"
    finally:
        store.close()
    code, out, _ = _run("NATO expansion", None, tmp_path, recent="7d")
    assert code == 0
    assert "1 of 3 stored articles of the last 7 days, 0:00:00 match" in out
    code, _, _ = _run('"no such words"', None, tmp_path, recent="7d", json_out=True)
    assert code == 1
    assert json.loads(capsys.readouterr().out)["matches"] == 0


def test_plain_text_paragraphs_are_rejoined() -> None:
    assert plain_paragraphs("a\nb\n\nc\nd\n") == "a b\nc d"
    assert plain_paragraphs("one paragraph\nper line") == "one paragraph\nper line"
    assert ArticleText("t", "x").language is None
