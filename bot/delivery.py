"""Fan-out of daily digests through the delivery ledger.

The ledger (bot/store/ledger.py) keeps one row per subscription and local date. A send tick claims
a batch of pending rows (a lease: `claimed`, nothing sent yet), builds each subscription's digest
once per period (stored in the row, reused on retry) and hands it to the platform's Publisher with
a `before_send` callback. The Publisher awaits it right before its platform request, after waiting
for its turn at the rate limit, and the callback commits the row as `sending`. So a crash
(kill -9) in the middle of a fan-out leaves:
- `claimed` rows, still waiting for their turn: nothing was sent; they are pending again when
  their lease runs out, and a sender (this process restarted, or another) sends them;
- `sending` rows: their request may have reached the platform. They become `unknown` and are
  never resent. There are at most CONCURRENT_SENDS of them, because a row is marked inside the
  send semaphore. Telegram's sendMessage has no idempotency key and the Bot API cannot list what
  a chat received, so these few cannot be settled either way: a logged gap beats a second copy.

Throughput (the platform's limit, not the bot, should be the bottleneck):
- a claimed batch's digests are built once per distinct chat settings, not once per subscriber,
  and stored in the rows in one write: NewsService.digest_for depends on a chat's filters and
  last digest time only (the key of `Store.digest_keys`); if it ever reads more, add it there;
- the `sending` marks and the `sent` results are written in batches (GroupCommit, a few lines of
  asyncio written here: no library batches writes for an async SQLAlchemy engine): the first send
  starts a write and the sends arriving meanwhile join the next one, so at high rates one
  transaction covers many messages and at low rates a message waits for one small write. Marks
  and results share the batches: one writer, never two queueing for SQLite's lock.

After the request the row is settled by what the platform answered:
- a message id: sent;
- RetryableDeliveryError (provably nothing delivered: 429, connection refused, a 5xx answer):
  pending again after `retry_after`;
- PermanentDeliveryError (blocked, chat gone): failed, and the subscription is paused;
- any other error once the request started, AmbiguousDeliveryError included: unknown, never
  resent; before it started: failed, not paused (nothing was sent, and it would fail again);
- ClaimLostError (the lease ran out while the row waited and another sender claimed it): nothing
  was sent and the row is the other sender's: left alone.

A tick's leases are measured from its `now` plus the time the tick has been running, so a long
tick never hands out a lease that is already over, and tests can still drive it with a fake now.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from bot.chats import Platform
from bot.config import DeliveryConfig
from bot.errors import DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from bot.models import Delivery, StoryEntry
from bot.publisher import Publisher
from bot.replies import Reply
from bot.service import NewsService, entries_from_payload, entries_to_payload
from bot.store import Store
from bot.views import render_stories

log = logging.getLogger(__name__)
CLAIM_BATCH = 200
CONCURRENT_SENDS = 64
DIGEST_TITLE = "Your daily digest"
RETRY_BUILD = timedelta(minutes=1)

TickClock = Callable[[], datetime]
T = TypeVar("T")
R = TypeVar("R")


class ClaimLostError(DeliveryError):
    """The delivery's lease ran out and another sender claimed it: this one must not send it."""


@dataclass(slots=True)
class SendReport:
    """What one send tick did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    empty: int = 0
    lost: int = 0


class GroupCommit(Generic[T, R]):
    """Writes items in batches: the first caller starts a write, and the callers arriving while
    it runs share the next one. Each caller gets its item's result, or the write's exception."""

    def __init__(self, write: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self._write_batch = write
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Write `item` with the next batch; return its result."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await done

    async def close(self) -> None:
        """Stop writing (a cancelled tick): items not written yet are dropped."""
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
            await asyncio.wait([self._writer])

    async def _write(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                results = await self._write_batch([item for item, _ in batch])
            except Exception as exc:  # every waiting caller gets the error
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)


class SendingMarks:
    """Commits claimed deliveries as `sending` right before their requests, and sent ones as
    `sent`: both kinds share each batch's one transaction (GroupCommit), because on SQLite a
    second writer would wait for the first in the busy handler's sleeps."""

    def __init__(self, store: Store, clock: TickClock, lease_seconds: float) -> None:
        self._store = store
        self._clock = clock
        self._lease_seconds = lease_seconds
        self._writes: GroupCommit[Delivery | tuple[int, str], bool] = GroupCommit(
            self._write_batch
        )

    def now(self) -> datetime:
        """The tick's clock."""
        return self._clock()

    async def mark(self, delivery: Delivery) -> bool:
        """Mark `delivery` sending; False if its claim was taken back by another sender."""
        return await self._writes.submit(delivery)

    async def finish(self, delivery: Delivery, message_id: str) -> None:
        """Record the platform's message id: sent."""
        await self._writes.submit((delivery.id, message_id))

    async def close(self) -> None:
        """Stop writing (a cancelled tick): rows not marked yet stay claimed, to be taken back."""
        await self._writes.close()

    async def _write_batch(self, items: list[Delivery | tuple[int, str]]) -> list[bool]:
        starting = [item for item in items if isinstance(item, Delivery)]
        sent = dict(item for item in items if isinstance(item, tuple))
        marked = await self._store.record_sends(
            starting, sent, now=self._clock(), lease_seconds=self._lease_seconds
        )
        return [item.id in marked if isinstance(item, Delivery) else True for item in items]


class _SendStart:
    """The `before_send` callback of one delivery: marks it sending once, at the first request."""

    def __init__(self, marks: SendingMarks, delivery: Delivery) -> None:
        self.marks = marks
        self._delivery = delivery
        self.started = False

    def now(self) -> datetime:
        """The tick's clock."""
        return self.marks.now()

    async def __call__(self) -> None:
        if self.started:
            return
        try:
            held = await self.marks.mark(self._delivery)
        except Exception as exc:
            raise ClaimLostError(f"could not mark delivery {self._delivery.id}: {exc!r}") from exc
        if not held:
            raise ClaimLostError(f"delivery {self._delivery.id} was claimed by another sender")
        self.started = True


class DeliveryWorker:
    """Sends the planned deliveries; `send_due` is the scheduler's send tick."""

    def __init__(
        self,
        store: Store,
        service: NewsService,
        publishers: Mapping[Platform, Publisher],
        config: DeliveryConfig,
    ) -> None:
        self._store = store
        self._service = service
        self._publishers = dict(publishers)
        self._config = config
        self._sends = asyncio.Semaphore(CONCURRENT_SENDS)

    async def send_due(self, now: datetime) -> SendReport:
        """Claim and send every pending delivery for the platforms this process publishes to."""
        report = SendReport()
        clock = tick_clock(now)
        lease = self._config.lease_seconds
        marks = SendingMarks(self._store, clock, lease)
        try:
            for platform in self._publishers:
                while claimed := await self._store.claim_deliveries(
                    clock(), CLAIM_BATCH, lease, platform
                ):
                    replies = await self._build_digests(claimed)
                    sends = (self._send(d, replies, marks, report) for d in claimed)
                    for failure in await asyncio.gather(*sends, return_exceptions=True):
                        if isinstance(failure, Exception):  # its row settles by its lease
                            log.error("a delivery could not be settled", exc_info=failure)
                    if len(claimed) < CLAIM_BATCH:
                        break
        finally:
            await marks.close()
        return report

    async def _build_digests(self, claimed: Sequence[Delivery]) -> dict[int, Reply | None]:
        """Each delivery's digest (None: nothing new), built once per distinct chat settings and
        stored in the rows; deliveries whose digest could not be built are left out."""
        replies = {
            d.id: render_digest(entries_from_payload(d.payload))
            for d in claimed
            if d.payload is not None
        }
        fresh = [d for d in claimed if d.payload is None]
        keys = await self._store.digest_keys([d.id for d in fresh]) if fresh else {}
        groups: dict[object, list[Delivery]] = defaultdict(list)
        for delivery in fresh:
            groups[keys.get(delivery.id, delivery.id)].append(delivery)
        built_at = self._service.clock()
        payloads: dict[int, dict[str, Any]] = {}
        for members in groups.values():
            try:
                payload = entries_to_payload(await self._service.digest_for(members[0].chat))
            except Exception:  # nothing was sent: these deliveries are tried again later
                log.exception("building the digest of %d deliveries failed", len(members))
                continue
            payloads.update((d.id, payload) for d in members)
        stored = await self._store.set_delivery_payloads(payloads, digest_until=built_at)
        shared: list[tuple[Mapping[str, Any], Reply | None]] = []
        for delivery_id, digest in stored.items():
            replies[delivery_id] = _shared_reply(shared, digest)
        return replies

    async def _send(
        self,
        delivery: Delivery,
        replies: Mapping[int, Reply | None],
        marks: SendingMarks,
        report: SendReport,
    ) -> None:
        if delivery.id not in replies:
            await self._store.retry_delivery(delivery.id, marks.now() + RETRY_BUILD)
            report.retried += 1
            return
        reply = replies[delivery.id]
        async with self._sends:
            if reply is None:
                await self._store.finish_delivery(delivery.id, "", now=marks.now())
                report.empty += 1
                return
            await self._publish(delivery, reply, _SendStart(marks, delivery), report)

    async def _publish(
        self, delivery: Delivery, reply: Reply, start: _SendStart, report: SendReport
    ) -> None:
        publisher = self._publishers[delivery.chat.platform]
        try:
            message_id = await publisher.publish(delivery.chat, reply, before_send=start)
        except ClaimLostError as exc:
            log.warning("delivery %d not sent: %s", delivery.id, exc)
            report.lost += 1
        except RetryableDeliveryError as exc:
            not_before = start.now() + timedelta(seconds=max(exc.retry_after, 1.0))
            await self._store.retry_delivery(delivery.id, not_before, error=str(exc))
            report.retried += 1
        except PermanentDeliveryError as exc:
            log.warning("delivery %d: %s; subscription paused", delivery.id, exc)
            await self._store.fail_delivery(delivery.id, str(exc), True, now=start.now())
            report.failed += 1
        except Exception as exc:
            await self._settle_unexpected(delivery, exc, start, report)
        else:
            await start.marks.finish(delivery, message_id)
            report.sent += 1

    async def _settle_unexpected(
        self, delivery: Delivery, exc: Exception, start: _SendStart, report: SendReport
    ) -> None:
        if start.started:  # the message may have arrived: never resend it
            log.error("delivery %d: outcome unknown, not resent", delivery.id, exc_info=exc)
            await self._store.mark_delivery_unknown(delivery.id, repr(exc), now=start.now())
            report.unknown += 1
            return
        log.error("delivery %d: failed before sending", delivery.id, exc_info=exc)
        await self._store.fail_delivery(delivery.id, repr(exc), False, now=start.now())
        report.failed += 1


def tick_clock(now: datetime) -> TickClock:
    """A clock that starts at the tick's `now` and runs with the monotonic clock."""
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


def _shared_reply(
    shared: list[tuple[Mapping[str, Any], Reply | None]], payload: Mapping[str, Any]
) -> Reply | None:
    """One Reply object per distinct digest, so the publisher renders each digest once."""
    for known, reply in shared:
        if known == payload:
            return reply
    reply = render_digest(entries_from_payload(payload))
    shared.append((payload, reply))
    return reply


def render_digest(stories: Sequence[StoryEntry]) -> Reply | None:
    """The daily digest message, or None when there is nothing new to send."""
    if not stories:
        return None
    return render_stories(stories, title=DIGEST_TITLE, empty="")
