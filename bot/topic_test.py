"""``newswatch topic test``: try a query on a file, a URL or the recent archive, grep-style exit codes.

Exit 0 when the query matches (with enough score), 1 when it does not, 2 on a syntax error or an unreadable
target. The work itself is ``bot.dry_run``; this module only reads the target and renders.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
from rich.console import Console
from rich.text import Text

from bot.dry_run import RecentResult, try_document, try_recent
from bot.durations import parse_duration
from bot.settings import Settings
from bot.store import Store
from watchers.errors import NewswatchError, QuerySyntaxError
from watchers.extract import extract_page
from watchers.query import ArticleText, MatchResult
from watchers.query import compile_query as parse_only
from watchers.urls import is_http_url

_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def read_document(target: str, settings_loader: Callable[[], Settings]) -> ArticleText:
    """An HTML or plain-text file, or a fetched URL, as (title, text, source, language)."""
    if is_http_url(target):
        from bot.app import fetch_policy
        from watchers.fetch import fetch

        settings = settings_loader()

        async def get() -> bytes:
            async with httpx.AsyncClient(trust_env=False, timeout=15) as client:
                return (await fetch(client, target, fetch_policy(settings))).body

        page = extract_page(asyncio.run(get()), url=target)
        return ArticleText(page.title or "", page.text, httpx.URL(target).host, page.language)
    raw = Path(target).read_text(encoding="utf-8", errors="replace")
    if "<html" in raw[:2000].lower() or "<body" in raw[:5000].lower():
        page = extract_page(raw, url="file://" + target)
        return ArticleText(page.title or "", page.text, "", page.language)
    title, _, text = raw.partition("\n")
    return ArticleText(title.strip(), plain_paragraphs(text))


def plain_paragraphs(text: str) -> str:
    """Plain text with blank-line paragraphs: rewrapped lines join, one paragraph per line."""
    if not _BLANK_LINE.search(text):
        return text
    return "\n".join(" ".join(p.split()) for p in _BLANK_LINE.split(text) if p.strip())


def run_topic_test(
    query_text: str,
    target: str | None,
    *,
    recent: str | None,
    json_out: bool,
    settings_loader: Callable[[], Settings],
    out: Console,
    err: Console,
) -> int:
    try:
        parse_only(query_text)
    except QuerySyntaxError as exc:
        if json_out:
            error = {"error": str(exc), "reason": exc.reason, "column": exc.column, "hint": exc.hint}
            sys.stdout.write(json.dumps(error) + "\n")
        err.print(f"syntax error: {exc}\n  {query_text}\n  {' ' * (exc.column - 1)}^", markup=False)
        return 2
    try:
        if recent is not None or target is None:
            settings = settings_loader()
            store = Store.open(settings.database_url())
            try:
                summary = try_recent(query_text, store, parse_duration(recent or "7d"))
            finally:
                store.close()
            return _show_recent(summary, json_out, out)
        article = read_document(target, settings_loader)
    except (OSError, ValueError, NewswatchError) as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    result = try_document(query_text, article)
    if json_out:
        sys.stdout.write(json.dumps(_as_json(result)) + "\n")
    else:
        _show_document(result, article, out)
    return 0 if result.matched else 1


def _show_document(result: MatchResult, article: ArticleText, out: Console) -> None:
    verdict = "match" if result.matched else ("below min_score" if result.hits else "no match")
    out.print(f"{verdict} (score {result.score:g})", markup=False)
    if result.terms:
        out.print("terms: " + ", ".join(result.terms), markup=False)
    for hit in result.hits[:20]:
        source = article.title if hit.field == "title" else article.text
        left = max(0, hit.start - 40)
        line = Text(f"  {hit.field}: …")
        line.append(source[left : hit.start].replace("\n", " "))
        word = source[hit.start : hit.end]
        line.append(word if out.is_terminal else f"[{word}]", style="bold reverse")
        line.append(source[hit.end : hit.end + 40].replace("\n", " ") + "…")
        out.print(line)


def _as_json(result: MatchResult) -> dict[str, object]:
    return {
        "match": result.matched,
        "score": result.score,
        "terms": list(result.terms),
        "spans": [{"term": h.term, "field": h.field, "start": h.start, "end": h.end} for h in result.hits],
    }


def _show_recent(summary: RecentResult, json_out: bool, out: Console) -> int:
    if json_out:
        examples = [
            {"title": m.title, "url": m.url, "source": m.source, "score": m.score, "terms": list(m.terms)}
            for m in summary.examples
        ]
        body = {
            "match": summary.matches > 0,
            "articles": summary.articles,
            "matches": summary.matches,
            "examples": examples,
        }
        sys.stdout.write(json.dumps(body) + "\n")
    else:
        out.print(
            f"{summary.matches} of {summary.articles} stored articles of the last {summary.window} match",
            markup=False,
        )
        for m in summary.examples:
            out.print(f"  {m.score:g}  {m.title}  [{m.source}] {m.url}", markup=False)
    return 0 if summary.matches else 1
