"""``newswatch topic test``: try a query on a file, a URL or the recent archive, grep-style exit codes."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
from rich.console import Console
from sqlmodel import col, select

from bot.durations import parse_duration
from bot.models import Article, utcnow
from bot.settings import Settings
from bot.store import Store
from watchers.errors import NewswatchError, QuerySyntaxError
from watchers.extract import extract_page
from watchers.match import MatchResult, Query, compile_query
from watchers.urls import is_http_url


def _document(target: str, settings_loader: Callable[[], Settings]) -> tuple[str, str]:
    """(title, text) of an HTML or plain-text file, or of a fetched URL."""
    if is_http_url(target):
        from bot.app import fetch_policy
        from watchers.fetch import fetch

        settings = settings_loader()

        async def get() -> bytes:
            async with httpx.AsyncClient(trust_env=False, timeout=15) as client:
                return (await fetch(client, target, fetch_policy(settings))).body

        body = asyncio.run(get())
        page = extract_page(body, url=target)
        return page.title or "", page.text
    raw = Path(target).read_text(encoding="utf-8", errors="replace")
    if "<html" in raw[:2000].lower() or "<body" in raw[:5000].lower():
        page = extract_page(raw, url="file://" + target)
        return page.title or "", page.text
    title, _, text = raw.partition("\n")
    return title.strip(), text


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
        query = compile_query(query_text)
    except QuerySyntaxError as exc:
        if json_out:
            sys.stdout.write(json.dumps({"error": str(exc), "column": exc.column}) + "\n")
        err.print(f"syntax error: {exc}\n  {query_text}\n  {' ' * (exc.column - 1)}^", markup=False)
        return 2
    try:
        if recent is not None or target is None:
            return _recent(query, parse_duration(recent or "7d"), settings_loader, json_out, out)
        title, text = _document(target, settings_loader)
    except (OSError, ValueError, NewswatchError) as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    result = query.match(title, text)
    if json_out:
        sys.stdout.write(json.dumps(_as_json(result)) + "\n")
    else:
        out.print(("match" if result.matched else "no match") + f" (score {result.score:g})", markup=False)
        for hit in result.hits[:20]:
            source = title if hit.field == "title" else text
            left = max(0, hit.start - 40)
            before, word, after = (
                source[left : hit.start],
                source[hit.start : hit.end],
                source[hit.end : hit.end + 40],
            )
            out.print(f"  {hit.field}: …{before}[{word}]{after}…", markup=False)
    return 0 if result.matched else 1


def _as_json(result: MatchResult) -> dict[str, object]:
    return {
        "match": result.matched,
        "score": result.score,
        "terms": list(result.terms),
        "spans": [{"term": h.term, "field": h.field, "start": h.start, "end": h.end} for h in result.hits],
    }


def _recent(
    query: Query, window: timedelta, loader: Callable[[], Settings], json_out: bool, out: Console
) -> int:
    settings = loader()
    store = Store.open(settings.database_url())
    try:
        with store.session() as session:
            rows = session.exec(
                select(Article)
                .where(col(Article.fetched_at) >= utcnow() - window)
                .order_by(col(Article.id).desc())
            ).all()
            hits = [(a, r) for a in rows if (r := query.match(a.title, a.text)).matched]
    finally:
        store.close()
    if json_out:
        sys.stdout.write(
            json.dumps(
                {
                    "match": bool(hits),
                    "articles": len(rows),
                    "matches": len(hits),
                    "examples": [{"title": a.title, "url": a.url, "score": r.score} for a, r in hits[:10]],
                }
            )
            + "\n"
        )
    else:
        out.print(f"{len(hits)} of {len(rows)} stored articles of the last {window} match", markup=False)
        for article, result in hits[:10]:
            out.print(f"  {result.score:g}  {article.title}  {article.url}", markup=False)
    return 0 if hits else 1
