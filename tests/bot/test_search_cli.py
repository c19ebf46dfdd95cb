"""``newswatch search``: ranked results as a table or JSON, and clear errors for bad queries."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.models import Article, Source, Story, utcnow
from bot.store import Store


def _config(tmp_path: Path) -> Path:
    database = tmp_path / "n.db"
    store = Store.open(f"sqlite:///{database}")
    with store.session() as session:
        session.add(Source(id=1, name="Wire", url="https://wire.example/feed"))
        pairs = [
            ("Harbour news", "Grain shipments resumed."),
            ("Grain shipments resume", "The harbour reopened."),
        ]
        for n, (title, text) in enumerate(pairs):
            story = Story(title=title, title_key=f"k{n}", url=f"https://wire.example/{n}")
            session.add(story)
            session.flush()
            session.add(
                Article(
                    source_id=1,
                    story_id=story.id,
                    url=f"https://wire.example/{n}",
                    title=title,
                    text=text,
                    content_hash=f"h{n}",
                    published_at=utcnow(),
                )
            )
    store.close()
    path = tmp_path / "newswatch.toml"
    path.write_text(f'[storage]\nurl = "sqlite:///{database}"\n')
    return path


def test_search_json_is_ranked_and_bad_queries_exit_clearly(tmp_path: Path) -> None:
    config = _config(tmp_path)
    result = CliRunner().invoke(app, ["search", "grain", "--json", "--since", "7d", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert [view["title"] for view in json.loads(result.output)] == ["Grain shipments resume", "Harbour news"]
    bad = CliRunner().invoke(app, ["search", 'grain "ship', "--config", str(config)])
    assert bad.exit_code == 1
    assert "column 7" in bad.output
    assert "Traceback" not in bad.output
    since = CliRunner().invoke(app, ["search", "grain", "--since", "soon", "--config", str(config)])
    assert since.exit_code == 2
    assert "--since" in since.output
