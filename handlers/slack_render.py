"""Alerts and replies as Slack Block Kit, with every piece of untrusted text made inert.

Untrusted text (titles, summaries, outlet names, URLs, anything a user typed) passes through ``escape``
before it enters a ``mrkdwn`` field: Slack's control sequences all start with ``<`` (``<!channel>``,
``<!here>``, ``<@U…>``, ``<https://…|label>``), so escaping ``&``, ``<`` and ``>`` turns each into plain
text. ``@everyone`` typed as text never pings while ``link_names`` is off, which is how we post.

Limits (Slack's documented ones): header text 150 characters, a section's text 3000, a context element
3000 (at most 10 elements), a button label 75 and value 2000, 50 blocks, ``text`` 40 000 (we keep the
fallback short). Text is trimmed on the *raw* string before escaping, so a cut never splits an entity
(``&amp;``) or a link (``<url|label>``).
"""

from __future__ import annotations

import re
from typing import Any

from bot.alerts import Alert, AlertSource
from handlers.render import Button, Reply, alert_buttons, local_time

HEADER_MAX = 150
SECTION_MAX = 3000
BUTTON_LABEL_MAX = 75
FALLBACK_MAX = 3000
MAX_BLOCKS = 50
ALSO_REPORTED_CAP = 5
ACTION_PREFIX = "newswatch_"

Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: only ``&``, ``<`` and ``>`` (in that order), as the docs prescribe."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(raw: str, limit: int) -> str:
    """``raw`` shortened so that its *escaped* form fits ``limit``, ending with … when cut."""
    if len(escape(raw)) <= limit:
        return raw
    cut = raw[: max(limit - 1, 0)]
    while cut and len(escape(cut)) + 1 > limit:
        overflow = len(escape(cut)) + 1 - limit
        cut = cut[: -max(overflow // 5, 1)]
    space = cut.rfind(" ")
    if space > len(cut) * 0.6:
        cut = cut[:space]
    return cut.rstrip() + "…"


def fit(raw: str, limit: int) -> str:
    """Escaped text of at most ``limit`` characters, never cut inside an entity."""
    return escape(_clip(raw, limit))


def link(url: str, label: str) -> str:
    """A mrkdwn link whose URL and label are both inert: ``|`` and ``>`` cannot end them early."""
    safe_url = escape(url.replace("|", "%7C"))
    safe_label = escape(label.replace("|", "¦")) or safe_url
    return f"<{safe_url}|{safe_label}>"


def highlight(raw: str, terms: tuple[str, ...]) -> str:
    """Escape ``raw`` and bold every occurrence of the matched terms (case-insensitive, whole words)."""
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return escape(raw)
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(raw):
        out.append(escape(raw[last : match.start()]))
        out.append("*" + escape(match.group(0)) + "*")
        last = match.end()
    out.append(escape(raw[last:]))
    return "".join(out)


def also_reported(sources: tuple[AlertSource, ...], budget: int = SECTION_MAX) -> str:
    """``Also reported by: <link>, <link> +N more``: at most ``ALSO_REPORTED_CAP`` links, within budget."""
    if not sources:
        return ""
    prefix = "Also reported by: "
    shown: list[str] = []
    for index, source in enumerate(sources):
        if len(shown) == ALSO_REPORTED_CAP:
            break
        candidate = link(source.url, _clip(source.name or source.url, 80))
        rest = len(sources) - index - 1
        tail = f" +{rest} more" if rest else ""
        if len(prefix) + len(", ".join([*shown, candidate])) + len(tail) > budget:
            break
        shown.append(candidate)
    more = len(sources) - len(shown)
    return prefix + ", ".join(shown) + (f" +{more} more" if more else "")


def button_blocks(buttons: tuple[Button, ...], block_id: str = "newswatch_actions") -> list[Block]:
    """One ``actions`` block; each button's ``action_id`` is ``newswatch_{action}``, value the payload."""
    if not buttons:
        return []
    elements = [
        {
            "type": "button",
            "action_id": f"{ACTION_PREFIX}{b.action}",
            "text": {"type": "plain_text", "text": _clip(b.label, BUTTON_LABEL_MAX), "emoji": False},
            "value": b.payload()[:2000],
        }
        for b in buttons[:25]
    ]
    return [{"type": "actions", "block_id": block_id, "elements": elements}]


def alert_blocks(alert: Alert, zone: str = "UTC") -> tuple[str, list[Block]]:
    """``(fallback_text, blocks)`` for an alert; an update renders the same message with every outlet."""
    when = local_time(alert.published, zone) if alert.published else "undated"
    title = alert.title.strip() or "Untitled story"  # Slack refuses an empty header
    meta = f"{link(alert.url, _clip(alert.source, 200))} · {escape(when)} · topic: {fit(alert.topic, 200)}"
    meta += f" · story {alert.story_id}"
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(title, HEADER_MAX), "emoji": False},
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*" + link(alert.url, _clip(title, 500)) + "*"},
        },
    ]
    if alert.summary.strip():
        summary = _clip(alert.summary, SECTION_MAX - 200)  # room for the bold markers around terms
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": highlight(summary, alert.matched)}}
        )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": meta}]})
    others = tuple(s for s in alert.sources[1:])
    if others:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": also_reported(others)}]})
    blocks += button_blocks(alert_buttons(alert.story_id, alert.topic), f"newswatch_story_{alert.story_id}")
    fallback = f"{alert.topic}: {alert.title} ({alert.source}) {alert.url}"
    if others:
        fallback += f" · also reported by {len(others)} more"
    return fit(fallback, FALLBACK_MAX), blocks


def reply_blocks(reply: Reply) -> tuple[str, list[Block]]:
    """``(fallback_text, blocks)`` for a command reply: text in sections, items as linked sections."""
    blocks: list[Block] = []
    text_chunks = _chunks(reply.text, SECTION_MAX - 10) if reply.text.strip() or not reply.items else []
    for chunk in text_chunks:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": escape(chunk)}})
    for number, item in enumerate(reply.items, 1):
        line = f"{number}. *{link(item.url, _clip(item.title, 500))}*"
        if item.story_id is not None:
            line += f"  (story {item.story_id})"
        if item.detail:
            line += "\n" + escape(_clip(item.detail, SECTION_MAX - len(line) - 10))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line}})
    reserved = 1 if reply.buttons else 0
    if len(blocks) > MAX_BLOCKS - reserved:
        dropped = len(blocks) - (MAX_BLOCKS - reserved - 1)
        blocks = blocks[: MAX_BLOCKS - reserved - 1]
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"… {dropped} more not shown"}]}
        )
    blocks += button_blocks(reply.buttons)
    fallback = fit(reply.text or "Newswatch", FALLBACK_MAX)
    return fallback, blocks


def _chunks(text: str, size: int) -> list[str]:
    """Split on line breaks into pieces whose escaped form fits ``size`` (long lines are clipped)."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines() or [""]:
        line = _clip(line, size)
        candidate = f"{current}\n{line}" if current else line
        if len(escape(candidate)) > size and current:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip() or not pieces:
        pieces.append(current if current.strip() else "(empty)")
    return pieces
