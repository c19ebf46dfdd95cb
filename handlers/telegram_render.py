"""Alerts, digests and replies as Telegram HTML, every piece of untrusted text escaped, ≤ 4096 characters.

Titles, summaries, outlet names and topic names come from the internet or from users: they are escaped
before they meet any tag, and a URL becomes a link only when it is http(s). Long content is shortened on
the raw text (at a word), before escaping, so a cut never lands inside a tag or an entity; a digest too
long for one message is split between whole lines.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.alerts import Alert
from bot.digests import Digest
from handlers.render import Reply, local_time
from handlers.telegram_html import escape, visible_length
from watchers.urls import is_http_url

MAX_MESSAGE = 4096
MAX_SOURCES = 5


def link(text: str, url: str) -> str:
    """``<a href>`` for http(s) URLs; anything else (javascript:, data:) is shown as plain text."""
    if is_http_url(url):
        return f'<a href="{escape(url)}">{escape(text)}</a>'
    return escape(text)


def highlight(text: str, terms: tuple[str, ...]) -> str:
    """``text`` escaped, with each matched term in bold (case-insensitive, longest terms first)."""
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<b>{escape(match.group(0))}</b>")
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)].rsplit(" ", 1)[0] if " " in text[:limit] else text[: max(limit - 1, 0)]
    return cut.rstrip() + "…"


def render_alert(alert: Alert, *, timezone: str = "UTC", limit: int = MAX_MESSAGE) -> str:
    """Topic and event, linked title, outlet and time, highlighted summary, "also reported by" links."""
    summary = alert.summary
    while True:
        html = _alert_html(alert, summary, timezone)
        if visible_length(html) <= limit or not summary:
            break
        over = visible_length(html) - limit
        summary = shorten(summary, max(len(summary) - over - 1, 0)) if len(summary) > over + 1 else ""
    if visible_length(html) > limit:  # a title alone longer than a message: shorten it too
        short = replace(alert, title=shorten(alert.title, 500), sources=alert.sources[:1])
        html = _alert_html(short, "", timezone)
    return html


def _alert_html(alert: Alert, summary: str, timezone: str) -> str:
    label = "New" if alert.event == "new" else "Updated"
    lines = [f"🗞 <b>{escape(alert.topic)}</b> · {label}", f"<b>{link(alert.title, alert.url)}</b>"]
    when = f" · {escape(local_time(alert.published, timezone))}" if alert.published else ""
    lines.append(f"<i>{escape(alert.source)}</i>{when}")
    if summary:
        lines.append("")
        lines.append(highlight(summary, alert.matched))
    others = alert.sources[1:]
    if others:
        shown = [link(s.name, s.url) for s in others[:MAX_SOURCES]]
        more = f" +{len(others) - MAX_SOURCES} more" if len(others) > MAX_SOURCES else ""
        lines.append("")
        lines.append("Also reported by: " + ", ".join(shown) + more)
    lines.append(f"<i>story {alert.story_id}</i>")
    return "\n".join(lines)


def render_digest(digest: Digest, *, timezone: str = "UTC", limit: int = MAX_MESSAGE) -> list[str]:
    """The digest as one or more messages, each ≤ ``limit``, split only between whole lines."""
    header = f"🗞 <b>{escape(digest.reason)}</b> ({digest.count} stories)"
    lines: list[str] = []
    for topic, alerts in digest.groups:
        lines.append("")
        lines.append(f"<b>{escape(topic)}</b>")
        for alert in alerts:
            when = f", {escape(local_time(alert.published, timezone))}" if alert.published else ""
            extra = f" +{len(alert.sources) - 1}" if len(alert.sources) > 1 else ""
            title = shorten(alert.title, 300)
            lines.append(f"• {link(title, alert.url)} ({escape(shorten(alert.source, 60))}{extra}{when})")
    return pack(header, lines, limit)


def pack(header: str, lines: list[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Whole lines into as few messages as fit; the header starts the first, "(continued)" the others."""
    messages: list[str] = []
    current = header
    for line in lines:
        candidate = f"{current}\n{line}"
        if visible_length(candidate) <= limit:
            current = candidate
            continue
        messages.append(current)
        current = f"<i>(continued)</i>\n{line}"
    messages.append(current)
    return messages


def render_reply(reply: Reply, *, limit: int = MAX_MESSAGE) -> list[str]:
    """A command's answer: escaped text, then numbered items with linked titles; split when long."""
    text_lines = [escape(line) for line in reply.text.splitlines()] or [""]
    lines: list[str] = []
    for number, item in enumerate(reply.items, 1):
        tag = f" <i>[story {item.story_id}]</i>" if item.story_id else ""
        lines.append(f"{number}. {link(shorten(item.title, 300), item.url)}{tag}")
        if item.detail:
            lines.extend(escape(shorten(d, 1000)) for d in item.detail.splitlines())
    header_lines: list[str] = []
    for line in text_lines:
        while visible_length(line) > limit:  # a single enormous line: cut on the raw text
            line = escape(shorten(reply.text[: limit // 2], limit // 2))
        header_lines.append(line)
    return pack(header_lines[0], header_lines[1:] + lines, limit)
