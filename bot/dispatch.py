"""The outbox dispatcher: sends pending deliveries through channels, one failure never blocking another.

A delivery is claimed with a short lease (a conditional UPDATE, atomic on SQLite and PostgreSQL alike),
so several replicas sharing one database never send the same row twice. The guarantee, stated once:

* an alert is never lost: its row is written with the match and stays ``pending`` until a channel accepts it;
* an alert is sent at most once, except in the unavoidable window between the platform accepting a message
  and our commit of ``sent`` (a crash exactly there re-sends it after the lease expires).

Errors: ``RateLimited`` waits exactly ``retry_after``; ``ChatGone`` deactivates the chat and drops its
rows (recorded, visible to admins); any other error retries with exponential backoff up to
``MAX_ATTEMPTS``, then the row is ``failed`` with its last error kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, or_, update
from sqlmodel import col, select

from bot.alerts import Alert, build_alert
from bot.archive import story_home_count
from bot.models import Chat, Delivery, utcnow
from bot.store import Store
from watchers.errors import ChatGone, DeliveryError, RateLimited

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 8
BATCH = 200


class Channel(Protocol):
    """Something that shows alerts to people. ``send`` returns the platform's message id, if any."""

    async def send(self, chat: Chat, alert: Alert) -> str | None: ...

    async def update(self, chat: Chat, alert: Alert, message_id: str | None) -> str | None: ...


@dataclass
class DispatchReport:
    sent: int = 0
    updated: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0


class OutboxDispatcher:
    """Delivers due outbox rows; ``channels`` maps a chat's platform to the channel that serves it."""

    def __init__(self, store: Store, channels: Mapping[str, Channel], *, owner: str = "local") -> None:
        self.store = store
        self.channels = channels
        self.owner = owner

    async def dispatch_pending(self, now: datetime | None = None) -> DispatchReport:
        """Send everything due now, oldest first, in batches until nothing due is left."""
        report = DispatchReport()
        tried: set[int] = set()  # a row retried in this call waits for the next call, not a tight loop
        while True:
            batch = [i for i in self._due(now or utcnow()) if i not in tried]
            if not batch:
                return report
            for delivery_id in batch:
                tried.add(delivery_id)
                await self._deliver(delivery_id, report)

    def _due(self, now: datetime) -> list[int]:
        """Due row ids, oldest first; a batch larger than BATCH is taken in several rounds."""
        with self.store.session() as session:
            rows = session.exec(
                select(Delivery.id)
                .join(Chat, col(Chat.id) == Delivery.chat_id)
                .where(
                    Chat.active,
                    col(Chat.platform).in_(list(self.channels)),
                    or_(
                        col(Delivery.status) == "pending",
                        and_(col(Delivery.status) == "sent", col(Delivery.pending_update)),
                    ),
                    or_(col(Delivery.next_attempt_at).is_(None), col(Delivery.next_attempt_at) <= now),
                    or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < now),
                )
                .order_by(col(Delivery.id))
                .limit(BATCH)
            ).all()
        return [r for r in rows if r is not None]

    def _claim(self, delivery_id: int, now: datetime) -> bool:
        with self.store.session() as session:
            result = session.execute(
                update(Delivery)
                .where(
                    col(Delivery.id) == delivery_id,
                    or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < now),
                )
                .values(lease_until=now + LEASE)
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    async def _deliver(self, delivery_id: int, report: DispatchReport) -> None:
        now = utcnow()
        if not self._claim(delivery_id, now):
            return
        with self.store.session() as session:
            delivery = session.get(Delivery, delivery_id)
            chat = session.get(Chat, delivery.chat_id) if delivery else None
            if delivery is None or chat is None:
                return
            due = delivery.status == "pending" or (delivery.status == "sent" and delivery.pending_update)
            if not chat.active or not due:  # changed since the batch was read (chat gone, another worker)
                delivery.lease_until = None
                session.add(delivery)
                return
            event = "update" if delivery.status == "sent" else "new"
            alert = build_alert(session, delivery, event)
        channel = self.channels.get(chat.platform)
        if alert is None or channel is None:
            self._finish(delivery_id, status="failed", error="story, topic or channel no longer exists")
            report.failed += 1
            return
        try:
            if event == "new":
                message_id = await channel.send(chat, alert)
            else:
                message_id = await channel.update(chat, alert, delivery.message_id)
        except RateLimited as exc:
            self._retry(delivery_id, exc, delay=timedelta(seconds=exc.retry_after), count=False)
            report.retried += 1
        except ChatGone as exc:
            self._chat_gone(delivery_id, chat, exc)
            report.dropped += 1
        except DeliveryError as exc:
            if self._retry(delivery_id, exc):
                report.retried += 1
            else:
                report.failed += 1
        except Exception as exc:  # a channel bug must not stop the other chats; recorded on the row
            log.exception("delivery_crashed delivery_id=%s chat_id=%s", delivery_id, chat.id)
            if self._retry(delivery_id, exc):
                report.retried += 1
            else:
                report.failed += 1
        else:
            self._sent(delivery_id, message_id, len(alert.sources))
            if event == "new":
                report.sent += 1
            else:
                report.updated += 1

    def _sent(self, delivery_id: int, message_id: str | None, sources: int) -> None:
        now = utcnow()
        with self.store.session() as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is None:
                return
            carried = story_home_count(session, delivery.story_id)
            delivery.status = "sent"
            delivery.message_id = message_id or delivery.message_id
            delivery.sent_sources = sources
            delivery.pending_update = carried > sources  # an outlet arrived while we were sending
            delivery.sent_at = delivery.sent_at or now
            delivery.attempts = 0
            delivery.last_error = None
            delivery.lease_until = None
            delivery.next_attempt_at = now
            session.add(delivery)

    def _retry(
        self, delivery_id: int, exc: Exception, *, delay: timedelta | None = None, count: bool = True
    ) -> bool:
        """Schedule another attempt; False (and status ``failed``) once attempts run out."""
        now = utcnow()
        with self.store.session() as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is None:
                return False
            delivery.attempts += 1 if count else 0
            delivery.last_error = str(exc) or type(exc).__name__
            delivery.lease_until = None
            if delivery.attempts >= MAX_ATTEMPTS:
                if delivery.status == "pending":
                    delivery.status = "failed"
                delivery.pending_update = False
                session.add(delivery)
                log.error("delivery_failed delivery_id=%s error=%s", delivery_id, delivery.last_error)
                return False
            backoff = delay or timedelta(seconds=min(2**delivery.attempts, 3600))
            delivery.next_attempt_at = now + backoff
            session.add(delivery)
        log.warning(
            "delivery_retry delivery_id=%s in_seconds=%.1f error=%s",
            delivery_id,
            backoff.total_seconds(),
            exc,
        )
        return True

    def _finish(self, delivery_id: int, *, status: str, error: str) -> None:
        with self.store.session() as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is not None:
                delivery.status = status
                delivery.last_error = error
                delivery.lease_until = None
                delivery.pending_update = False
                session.add(delivery)

    def _chat_gone(self, delivery_id: int, chat: Chat, exc: ChatGone) -> None:
        with self.store.session() as session:
            row = session.get(Chat, chat.id)
            if row is not None:
                row.active = False
                row.deactivated_reason = str(exc)
                session.add(row)
            session.execute(
                update(Delivery)
                .where(col(Delivery.chat_id) == chat.id, col(Delivery.status) == "pending")
                .values(status="dropped", last_error=str(exc), lease_until=None)
            )
        self._finish(delivery_id, status="dropped", error=str(exc))
        log.warning("chat_deactivated chat_id=%s reason=%s", chat.id, exc)
