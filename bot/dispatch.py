"""The outbox dispatcher: sends pending deliveries through channels, one failure never blocking another.

A delivery is claimed with a short lease (a conditional UPDATE, atomic on SQLite and PostgreSQL alike),
so several replicas sharing one database never send the same row twice; and one replica at a time sends to
each platform (``bot/dispatch_lease.py``), so replicas together keep its rate limits and each chat's order.
The guarantee, stated once:

* an alert is never lost: its row is written with the match and stays ``pending`` until a channel accepts it;
* an alert is sent at most once, except in the unavoidable window between the platform accepting a message
  and our commit of ``sent`` (a crash exactly there re-sends it after the lease expires).

Order of work in one round (``dispatch_pending``):

1. due rows are read oldest first and grouped per chat;
2. per chat, a plan: new alerts of muted topics are skipped, and edits of alerts already shown wait until
   the mute ends (then one edit shows the story as it is by then: updates fold, none is lost); digest-mode
   rows wait for their digest time; instant rows wait while the chat is in quiet hours and go out as one
   digest afterwards; a backlog that would take longer than ``fold_after`` at the platform's limits is
   folded into one digest (nothing is dropped);
3. chats are served round-robin, each at the pace ``RateLimiter`` allows (one message in flight per chat,
   so order within a chat is kept), up to ``MAX_IN_FLIGHT`` messages at once across chats; a send takes
   its slot under the limits right before the platform call (``_slot``), after its database work.

Errors: ``RateLimited`` pauses what its ``scope`` names (the chat, or the whole platform) and the message
goes first once the pause ends; ``ChatGone`` deactivates the chat, drops its rows and records it in the
audit log; ``ChatMigrated`` moves the chat to its new id and retries; any other error retries with
exponential backoff up to ``MAX_ATTEMPTS`` (later rows of that chat wait with it, to keep order), then
the row is ``failed`` with its last error kept.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import Boolean, String, and_, bindparam, func, or_, update
from sqlmodel import Session, col, select

from bot.alerts import Alert, build_alert
from bot.digests import Digest, build_digest, digest_due, in_quiet_hours, last_quiet_window
from bot.dispatch_lease import LEASE as PLATFORM_LEASE
from bot.dispatch_lease import RENEW_EVERY, PlatformLeases
from bot.models import Article, ArticleHome, AuditEntry, Chat, Delivery, Subscription, UTCDateTime, utcnow
from bot.ratelimit import RateLimiter
from bot.store import Store
from watchers.errors import ChatGone, ChatMigrated, DeliveryError, RateLimited

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 8
BATCH = 1000
MAX_IN_FLIGHT = 32
MAX_INLINE_WAIT = 5.0  # a pause longer than this ends the round; the rows wait in the database instead
FOLD_AFTER = timedelta(seconds=60)


class Channel(Protocol):
    """Something that shows alerts to people. ``send`` returns the platform's message id, if any."""

    async def send(self, chat: Chat, alert: Alert) -> str | None: ...

    async def update(self, chat: Chat, alert: Alert, message_id: str | None) -> str | None: ...


@runtime_checkable
class DigestChannel(Protocol):
    """A channel that can show many alerts as one message (split if too long); returns message ids."""

    async def send_digest(self, chat: Chat, digest: Digest) -> list[str]: ...


@dataclass
class DispatchReport:
    sent: int = 0
    updated: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    digests: int = 0
    muted: int = 0


@dataclass(frozen=True)
class _Due:
    id: int
    story_id: int
    topic_id: int
    status: str
    created_at: datetime | None
    in_digest: bool
    message_id: str | None
    mode: str
    muted_until: datetime | None
    subscription_id: int | None
    last_digest_at: datetime | None
    subscribed_at: datetime | None


@dataclass(frozen=True)
class _Single:
    row_id: int


@dataclass(frozen=True)
class _Folded:
    row_ids: tuple[int, ...]
    reason: str
    subscriptions: tuple[int, ...] = ()


_Work = _Single | _Folded


@dataclass
class _ChatWork:
    chat: Chat
    queue: deque[_Work] = field(default_factory=deque)


class OutboxDispatcher:
    """Delivers due outbox rows; ``channels`` maps a chat's platform to the channel that serves it."""

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        *,
        owner: str = "local",
        limiter: RateLimiter | None = None,
        fold_after: timedelta = FOLD_AFTER,
        max_in_flight: int = MAX_IN_FLIGHT,
        lease: timedelta = PLATFORM_LEASE,
    ) -> None:
        self.store = store
        self.channels = channels
        self.owner = owner
        self.leases = PlatformLeases(store, owner, lease)
        self.limiter = limiter or RateLimiter()
        self.fold_after = fold_after
        self.max_in_flight = max_in_flight
        self._alerts: dict[tuple[int, int, str, int], Alert] = {}
        self._claimed: dict[int, tuple[int, int, str, int, str | None]] = {}

    async def dispatch_pending(self, now: datetime | None = None) -> DispatchReport:
        """Send everything due now, in rounds until nothing due is left (a row retried waits for later).

        Only platforms whose dispatch lease this replica holds are served; another replica serves the rest.
        """
        report = DispatchReport()
        if not self.leases.take(self.channels):
            return report
        renewing = asyncio.ensure_future(self._keep_leases())
        tried: set[int] = set()
        try:
            while self.leases.held:
                when = now or utcnow()
                rows = [r for r in self._due_rows(when, self.leases.held) if r[1].id not in tried]
                if not rows:
                    break
                tried.update(r[1].id for r in rows)
                self._alerts.clear()
                work = self._plan(rows, when, report)
                if not await self._serve(work, report):
                    break
        finally:
            renewing.cancel()
        return report

    async def _keep_leases(self) -> None:
        """Renew the platform leases while a round runs (a fan-out round can outlast one lease)."""
        while True:
            await asyncio.sleep(RENEW_EVERY)
            self.leases.renew()

    def release_leases(self) -> None:
        """Hand the platform leases to another replica now (called when the service stops)."""
        self.leases.release()

    # ------------------------------------------------------------------ reading and planning

    def _due(self, now: datetime) -> list[int]:
        """Due row ids, oldest first."""
        return [r[1].id for r in self._due_rows(now, set(self.channels))]

    def _due_rows(self, now: datetime, platforms: set[str]) -> list[tuple[Chat, _Due]]:
        with self.store.session() as session:
            rows = session.exec(
                select(Delivery, Chat, Subscription)
                .join(Chat, col(Chat.id) == Delivery.chat_id)
                .outerjoin(
                    Subscription,
                    and_(
                        col(Subscription.chat_id) == Delivery.chat_id,
                        col(Subscription.topic_id) == Delivery.topic_id,
                    ),
                )
                .where(
                    Chat.active,
                    col(Chat.platform).in_(sorted(platforms)),
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
        out = []
        for delivery, chat, sub in rows:
            assert delivery.id is not None
            out.append(
                (
                    chat,
                    _Due(
                        id=delivery.id,
                        story_id=delivery.story_id,
                        topic_id=delivery.topic_id,
                        status=delivery.status,
                        created_at=delivery.created_at,
                        in_digest=delivery.in_digest,
                        message_id=delivery.message_id,
                        mode=sub.mode if sub else "instant",
                        muted_until=sub.muted_until if sub else None,
                        subscription_id=sub.id if sub else None,
                        last_digest_at=(sub.last_digest_at or sub.created_at) if sub else None,
                        subscribed_at=sub.created_at if sub else None,
                    ),
                )
            )
        return out

    def _plan(self, rows: list[tuple[Chat, _Due]], now: datetime, report: DispatchReport) -> list[_ChatWork]:
        """Per chat, in row order: what goes now, singly or folded into a digest, and what waits."""
        by_chat: dict[int, tuple[Chat, list[_Due]]] = {}
        for chat, due in rows:
            assert chat.id is not None
            by_chat.setdefault(chat.id, (chat, []))[1].append(due)
        plans = []
        for chat, dues in by_chat.values():
            plan = self._plan_chat(chat, dues, now, report)
            if plan.queue:
                plans.append(plan)
        return plans

    def _plan_chat(self, chat: Chat, dues: list[_Due], now: datetime, report: DispatchReport) -> _ChatWork:
        can_digest = isinstance(self.channels.get(chat.platform), DigestChannel)
        plan = _ChatWork(chat)
        quiet_now = in_quiet_hours(chat.quiet_hours, now, chat.timezone)
        quiet = last_quiet_window(chat.quiet_hours, now, chat.timezone)
        muted: list[int] = []
        nothing_to_edit: list[int] = []
        scheduled: list[_Due] = []
        held: list[_Due] = []
        instant: list[_Due] = []
        singles: list[_Work] = []
        for due in dues:
            muted_now = due.muted_until is not None and due.muted_until > now
            if due.status == "sent":  # an update of a message already shown
                if due.in_digest or (due.message_id is None and can_digest):
                    nothing_to_edit.append(due.id)  # it was a digest line: nothing to edit
                elif muted_now:
                    continue  # held: ``pending_update`` stays set, so it is edited once the mute ends
                else:
                    singles.append(_Single(due.id))
            elif muted_now:
                muted.append(due.id)
            elif due.mode != "instant":
                if digest_due(due.mode, now, chat.timezone, due.last_digest_at):
                    scheduled.append(due)
            elif quiet_now:
                continue  # held until the quiet hours end
            elif quiet and due.created_at is not None and quiet[0] <= due.created_at < quiet[1]:
                held.append(due)
            else:
                instant.append(due)
        self._settle(muted, status="muted", error="topic muted in this chat", report=report)
        self._settle(nothing_to_edit, status="sent", error=None, report=report)
        report.muted += len(muted)
        if scheduled:
            subs = tuple(sorted({d.subscription_id for d in scheduled if d.subscription_id is not None}))
            if can_digest:
                plan.queue.append(_Folded(tuple(d.id for d in scheduled), "Your digest", subs))
            else:  # a channel without digests (JSONL) gets the alerts one by one at digest time
                plan.queue.extend(_Single(d.id) for d in scheduled)
                self._digest_done(subs, now)
        if held and can_digest:
            plan.queue.append(_Folded(tuple(d.id for d in held), "While this chat was quiet"))
        else:
            instant = held + instant
        backlog = self.limiter.backlog_seconds(chat.platform, chat.external_id, len(instant))
        if can_digest and len(instant) > 1 and backlog > self.fold_after.total_seconds():
            reason = f"{len(instant)} new alerts at once, gathered in one message"
            plan.queue.append(_Folded(tuple(d.id for d in instant), reason))
        else:
            singles.extend(_Single(d.id) for d in instant)
        plan.queue.extend(sorted(singles, key=lambda w: w.row_id if isinstance(w, _Single) else 0))
        return plan

    # ------------------------------------------------------------------ serving chats fairly

    async def _serve(self, plans: list[_ChatWork], report: DispatchReport) -> bool:
        """Round-robin over chats at the limiter's pace; False when the round stopped on a long pause."""
        clock = self.limiter.clock
        order = itertools.count()
        heap: list[tuple[float, int, int]] = []
        by_index = dict(enumerate(plans))
        for index, plan in by_index.items():
            ready = self.limiter.chat_ready_at(plan.chat.platform, plan.chat.external_id)
            heapq.heappush(heap, (ready, next(order), index))
        running: dict[asyncio.Task[bool], int] = {}
        completed = True
        try:
            while heap or running:
                if heap and len(running) < self.max_in_flight:
                    key, _, index = heap[0]
                    plan = by_index[index]
                    platform, chat_key = plan.chat.platform, plan.chat.external_id
                    if platform not in self.leases.held:  # lost mid-round: the new holder sends the rest
                        heapq.heappop(heap)
                        continue
                    chat_ready = self.limiter.chat_ready_at(platform, chat_key)
                    if chat_ready > key:  # paused since it was queued: re-queue at its new time
                        heapq.heapreplace(heap, (chat_ready, next(order), index))
                        continue
                    wait = chat_ready - clock()  # the global pace is kept in _slot, just before sending
                    if wait > 0:
                        if wait > MAX_INLINE_WAIT and not running:
                            completed = False
                            break
                        if running:
                            await self._collect(running, heap, by_index, order, report, wait=wait)
                        else:
                            await asyncio.sleep(wait)
                        continue
                    heapq.heappop(heap)
                    item = plan.queue.popleft()
                    task = asyncio.ensure_future(self._send(plan, item, report))
                    running[task] = index
                else:
                    await self._collect(running, heap, by_index, order, report, wait=None)
        finally:
            if running:
                await asyncio.gather(*running, return_exceptions=True)
        return completed

    async def _collect(
        self,
        running: dict[asyncio.Task[bool], int],
        heap: list[tuple[float, int, int]],
        plans: dict[int, _ChatWork],
        order: itertools.count[int],
        report: DispatchReport,
        *,
        wait: float | None,
    ) -> None:
        """Wait for sends to finish; a chat with more work goes back in line at its next allowed time."""
        done, _ = await asyncio.wait(running, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            index = running.pop(task)
            plan = plans[index]
            go_on = task.result()
            if go_on and plan.queue:
                ready = self.limiter.chat_ready_at(plan.chat.platform, plan.chat.external_id)
                heapq.heappush(heap, (ready, next(order), index))
            elif not go_on and plan.queue:
                self._defer(plan)

    # ------------------------------------------------------------------ sending one piece of work

    async def _send(self, plan: _ChatWork, item: _Work, report: DispatchReport) -> bool:
        """Send one message (or digest); False when this chat must stop for this round."""
        ids = (item.row_id,) if isinstance(item, _Single) else item.row_ids
        claimed = [i for i in ids if self._claim(i, utcnow())]
        if not claimed:
            return True
        chat = plan.chat
        channel = self.channels.get(chat.platform)
        try:
            if isinstance(item, _Single):
                prepared = self._prepare(claimed[0])
                if prepared is None or channel is None:
                    gone = "story, topic or channel no longer exists"
                    self._finish(claimed[0], status="failed", error=gone)
                    report.failed += 1
                    return True
                event, alert, message_id = prepared
                await self._slot(chat)
                if event == "new":
                    new_id = await channel.send(chat, alert)
                else:
                    new_id = await channel.update(chat, alert, message_id)
                self._sent(claimed[0], new_id, len(alert.sources), in_digest=False)
                if event == "new":
                    report.sent += 1
                else:
                    report.updated += 1
                return True
            lines: list[tuple[int, Alert]] = []
            for row_id in claimed:
                ready = self._prepare(row_id, event="new")
                if ready is None:
                    self._finish(row_id, status="failed", error="story or topic no longer exists")
                    report.failed += 1
                else:
                    lines.append((row_id, ready[1]))
            if not lines:
                return True
            assert isinstance(channel, DigestChannel)
            await self._slot(chat)
            message_ids = await channel.send_digest(chat, build_digest(item.reason, [a for _, a in lines]))
            first = message_ids[0] if message_ids else None
            for row_id, alert in lines:
                self._sent(row_id, first, len(alert.sources), in_digest=True)
            self._digest_done(item.subscriptions, utcnow())
            report.sent += len(lines)
            report.digests += 1
            return True
        except RateLimited as exc:
            return self._rate_limited(plan, item, claimed, exc, report)
        except ChatGone as exc:
            self._chat_gone(chat, exc)
            report.dropped += len(claimed)
            plan.queue.clear()
            return False
        except ChatMigrated as exc:
            if not self._migrate(plan, exc):
                return self._failed(claimed, exc, report)
            self._release(claimed)
            plan.queue.appendleft(item)
            return True
        except DeliveryError as exc:
            return self._failed(claimed, exc, report)
        except Exception as exc:  # a channel bug must not stop the other chats; recorded on the row
            log.exception("delivery_crashed chat_id=%s", chat.id)
            return self._failed(claimed, exc, report)

    async def _slot(self, chat: Chat) -> None:
        """Wait for this chat's turn under every limit, then take it. Taken right before the platform call,
        so database work before it never shortens the gap the platform sees between two messages."""
        while True:
            wait = self.limiter.ready_at(chat.platform, chat.external_id) - self.limiter.clock()
            if wait <= 0:
                self.limiter.record(chat.platform, chat.external_id)
                return
            if wait > MAX_INLINE_WAIT:
                raise RateLimited("waiting for the platform's pause to end", retry_after=wait, scope="chat")
            await asyncio.sleep(wait)

    def _prepare(self, delivery_id: int, event: str | None = None) -> tuple[str, Alert, str | None] | None:
        """(event, alert, message id) for a claimed row; alerts are shared by every chat in a round, so a
        fan-out builds one alert, not one per chat."""
        claimed = self._claimed.pop(delivery_id, None)
        if claimed is None:
            return None
        story_id, topic_id, status, sent_sources, message_id = claimed
        event = event or ("update" if status == "sent" else "new")
        key = (story_id, topic_id, event, sent_sources)
        alert = self._alerts.get(key)
        if alert is None:
            row = Delivery(story_id=story_id, topic_id=topic_id, chat_id=0, sent_sources=sent_sources)
            with self.store.session() as session:
                alert = build_alert(session, row, event)
            if alert is None:
                return None
            self._alerts[key] = alert
        return event, alert, message_id

    def _rate_limited(
        self, plan: _ChatWork, item: _Work, claimed: list[int], exc: RateLimited, report: DispatchReport
    ) -> bool:
        chat = plan.chat
        if exc.scope == "global":
            self.limiter.pause_all(chat.platform, exc.retry_after)
        else:
            self.limiter.pause_chat(chat.platform, chat.external_id, exc.retry_after)
        report.retried += len(claimed)
        log.warning("rate_limited chat_id=%s scope=%s retry_after=%.1f", chat.id, exc.scope, exc.retry_after)
        if exc.retry_after <= MAX_INLINE_WAIT and self.limiter.limited(chat.platform):
            self._release(claimed)
            plan.queue.appendleft(item)  # first in line again once the pause is over
            return True
        delay = timedelta(seconds=exc.retry_after)
        for row_id in claimed:
            self._retry(row_id, exc, delay=delay, count=False)
        return False

    def _failed(self, claimed: list[int], exc: Exception, report: DispatchReport) -> bool:
        for row_id in claimed:
            if self._retry(row_id, exc):
                report.retried += 1
            else:
                report.failed += 1
        return False

    # ------------------------------------------------------------------ database bookkeeping

    def _claim(self, delivery_id: int, now: datetime) -> bool:
        """Lease one row (a conditional UPDATE: atomic across replicas); what sending needs comes back
        in the same statement."""
        with self.store.session() as session:
            row = session.execute(_CLAIM, {"row_id": delivery_id, "now": now, "until": now + LEASE}).first()
        if row is None:
            return False
        self._claimed[delivery_id] = (row[0], row[1], row[2], row[3], row[4])
        return True

    def _release(self, ids: list[int]) -> None:
        with self.store.session() as session:
            session.execute(update(Delivery).where(col(Delivery.id).in_(ids)).values(lease_until=None))

    def _defer(self, plan: _ChatWork) -> None:
        """The chat stopped for this round: its later rows wait as long as its first, so order holds."""
        ids = [i for w in plan.queue for i in ((w.row_id,) if isinstance(w, _Single) else w.row_ids)]
        plan.queue.clear()
        with self.store.session() as session:
            first = session.exec(
                select(func.max(Delivery.next_attempt_at)).where(
                    col(Delivery.chat_id) == plan.chat.id,
                    col(Delivery.status).in_(["pending", "sent"]),
                )
            ).one()
            if first is not None and ids:
                session.execute(
                    update(Delivery)
                    .where(col(Delivery.id).in_(ids), col(Delivery.lease_until).is_(None))
                    .values(next_attempt_at=first)
                )

    def _sent(self, delivery_id: int, message_id: str | None, sources: int, *, in_digest: bool) -> None:
        """Record the send in one statement; ``pending_update`` is set if an outlet arrived meanwhile
        (counted in the same statement, so no article slips between the count and the write)."""
        with self.store.session() as session:
            session.execute(
                _SENT,
                {
                    "row_id": delivery_id,
                    "now": utcnow(),
                    "sources": sources,
                    "message_id": message_id,
                    "digest": in_digest,
                },
            )

    def _settle(self, ids: list[int], *, status: str, error: str | None, report: DispatchReport) -> None:
        """Close rows that need no message: muted topics, updates of digest lines."""
        if not ids:
            return
        with self.store.session() as session:
            session.execute(
                update(Delivery)
                .where(col(Delivery.id).in_(ids), col(Delivery.lease_until).is_(None))
                .values(status=status, pending_update=False, last_error=error)
            )

    def _digest_done(self, subscriptions: tuple[int, ...], now: datetime) -> None:
        if not subscriptions:
            return
        with self.store.session() as session:
            session.execute(
                update(Subscription)
                .where(col(Subscription.id).in_(list(subscriptions)))
                .values(last_digest_at=now)
            )

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

    def _chat_gone(self, chat: Chat, exc: ChatGone) -> None:
        """Deactivate the chat and its subscriptions, drop its pending rows, and leave a trace for admins."""
        with self.store.session() as session:
            row = session.get(Chat, chat.id)
            if row is not None:
                row.active = False
                row.deactivated_reason = str(exc)
                session.add(row)
            session.execute(
                update(Subscription).where(col(Subscription.chat_id) == chat.id).values(active=False)
            )
            session.execute(
                update(Delivery)
                .where(col(Delivery.chat_id) == chat.id, col(Delivery.status) == "pending")
                .values(status="dropped", last_error=str(exc), lease_until=None)
            )
            session.execute(
                update(Delivery)
                .where(col(Delivery.chat_id) == chat.id, col(Delivery.pending_update))
                .values(pending_update=False, lease_until=None)
            )
            _audit(session, "chat_deactivated", chat, str(exc))
        log.warning("chat_deactivated chat_id=%s reason=%s", chat.id, exc)

    def _migrate(self, plan: _ChatWork, exc: ChatMigrated) -> bool:
        """Move the chat to its new id (a group became a supergroup); False if that id has its own row."""
        old = plan.chat.external_id
        with self.store.session() as session:
            row = session.get(Chat, plan.chat.id)
            if row is None:
                return False
            taken = session.exec(
                select(Chat.id).where(Chat.platform == row.platform, Chat.external_id == exc.new_id)
            ).first()
            if taken is not None and taken != row.id:
                log.error("chat_migration_conflict chat_id=%s new_external_id=%s", row.id, exc.new_id)
                return False
            row.external_id = exc.new_id
            session.add(row)
            _audit(session, "chat_migrated", row, f"from {old} to {exc.new_id}")
        plan.chat.external_id = exc.new_id
        log.warning("chat_migrated chat_id=%s new_external_id=%s", plan.chat.id, exc.new_id)
        return True


# The two statements run once per message, built once (a fan-out to 10,000 chats runs each 10,000 times).
_CLAIM = (
    update(Delivery)
    .where(
        col(Delivery.id) == bindparam("row_id"),
        or_(col(Delivery.lease_until).is_(None), col(Delivery.lease_until) < bindparam("now")),
        or_(
            col(Delivery.status) == "pending",
            and_(col(Delivery.status) == "sent", col(Delivery.pending_update)),
        ),
    )
    .values(lease_until=bindparam("until"))
    .returning(
        col(Delivery.story_id),
        col(Delivery.topic_id),
        col(Delivery.status),
        col(Delivery.sent_sources),
        col(Delivery.message_id),
    )
)
_CARRIED = (  # outlets carrying the story now: every home of every article (bot.archive.story_home_count)
    select(func.count())
    .select_from(ArticleHome)
    .join(Article, col(Article.id) == ArticleHome.article_id)
    .where(col(Article.story_id) == Delivery.story_id)
    .scalar_subquery()
)
_SENT = (
    update(Delivery)
    .where(col(Delivery.id) == bindparam("row_id"))
    .values(
        status="sent",
        sent_sources=bindparam("sources"),
        in_digest=or_(col(Delivery.in_digest), bindparam("digest", type_=Boolean)),
        # an outlet arrived while we were sending (a digest line has nothing to edit)
        pending_update=and_(
            ~col(Delivery.in_digest),
            ~bindparam("digest", type_=Boolean),
            bindparam("sources") < _CARRIED,
        ),
        message_id=func.coalesce(bindparam("message_id", type_=String), col(Delivery.message_id)),
        sent_at=func.coalesce(col(Delivery.sent_at), bindparam("now", type_=UTCDateTime())),
        attempts=0,
        last_error=None,
        lease_until=None,
        next_attempt_at=bindparam("now", type_=UTCDateTime()),
    )
)


def _audit(session: Session, action: str, chat: Chat, detail: str) -> None:
    session.add(
        AuditEntry(
            at=utcnow(),
            actor="dispatcher",
            action=action,
            subject=f"{chat.platform}:{chat.external_id}",
            detail=detail,
        )
    )
