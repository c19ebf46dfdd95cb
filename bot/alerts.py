"""The neutral alert: what every channel renders, built from the store for one outbox row.

Channels never query the database; they get an ``Alert`` and render it natively (JSONL line, console
panel, Telegram HTML, Slack blocks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.archive import StorySource, story_sources
from bot.models import Article, Delivery, Match, Story, Topic


@dataclass(frozen=True)
class AlertSource:
    name: str
    url: str
    title: str
    published: datetime | None = None


@dataclass(frozen=True)
class Alert:
    """``event`` is "new" for a story's first alert on a topic in a chat, "update" when it gained outlets."""

    event: str
    topic: str
    story_id: int
    title: str
    url: str
    source: str
    published: datetime | None
    summary: str
    matched: tuple[str, ...]
    sources: tuple[AlertSource, ...]
    added: tuple[AlertSource, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The JSONL event (see CONTRACT.md): field names and meanings are a public contract."""
        return {
            "event": self.event,
            "topic": self.topic,
            "story_id": self.story_id,
            "title": self.title,
            "url": self.url,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            "summary": self.summary,
            "matched": list(self.matched),
            "sources": [{"name": s.name, "url": s.url, "title": s.title} for s in self.sources],
            "added": [{"name": s.name, "url": s.url, "title": s.title} for s in self.added],
        }


def build_alert(session: Session, delivery: Delivery, event: str) -> Alert | None:
    """The alert for ``delivery``; None when its story or topic has disappeared."""
    story = session.get(Story, delivery.story_id)
    topic = session.get(Topic, delivery.topic_id)
    if story is None or topic is None:
        return None
    carried: list[StorySource] = story_sources(session, delivery.story_id)
    if not carried:
        return None
    first = carried[0]
    terms: list[str] = []
    for row in session.exec(
        select(Match.terms)
        .where(Match.story_id == story.id, Match.topic_id == topic.id)
        .order_by(col(Match.id))
    ).all():
        terms.extend(t for t in row if t not in terms)
    sources = tuple(AlertSource(s.name, s.url, s.title, s.published) for s in carried)
    summary = topic_summary(session, delivery.story_id, delivery.topic_id) or story.summary
    return Alert(
        event=event,
        topic=topic.name,
        story_id=delivery.story_id,
        title=story.title,
        url=first.url,
        source=first.name,
        published=first.published,
        summary=summary,
        matched=tuple(terms),
        sources=sources,
        added=sources[delivery.sent_sources :] if event == "update" else (),
    )


def topic_summary(session: Session, story_id: int, topic_id: int) -> str:
    """What the story's most complete article that matched the topic says about that topic ("" if none)."""
    row = session.exec(
        select(Match.summary)
        .join(Article, col(Article.id) == Match.article_id)
        .where(Match.story_id == story_id, Match.topic_id == topic_id, Match.summary != "")
        .order_by(func.length(Article.text).desc(), col(Match.id))
    ).first()
    return row or ""
