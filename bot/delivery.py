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

The `sending` marks are written in batches (group commit, `SendingMarks`): the first send granted
its turn starts a write and the sends granted meanwhile join the next one, so at high rates one
transaction covers many messages and at low rates a message waits for one small write.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.chats import Platform
from bot.config import DeliveryConfig
from bot.errors import DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from bot.models import Delivery, StoryEntry
from bot.publisher import Publisher
from bot.replies import Reply
from bot.service import NewsService
from bot.store import Store
from bot.views import render_stories

log = logging.getLogger(__name__)
CLAIM_BATCH = 200
CONCURRENT_SENDS = 64
DIGEST_TITLE = "Your daily digest"
RETRY_BUILD = timedelta(minutes=1)

TickClock = Callable[[], datetime]


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


class SendingMarks:
    """Commits claimed deliveries as `sending` in batches, right before their requests."""

    def __init__(self, store: Store, clock: TickClock, lease_seconds: float) -> None:
        self._store = store
        self._clock = clock
        self._lease_seconds = lease_seconds
        self._queue: list[tuple[Delivery, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    def now(self) -> datetime:
        """The tick's clock."""
        return self._clock()

    async def close(self) -> None:
        """Stop writing (a cancelled tick): rows not marked yet stay claimed, to be taken back."""
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
            await asyncio.wait([self._writer])

    async def mark(self, delivery: Delivery) -> bool:
        """Mark `delivery` sending with the next batch; False if its claim was taken back."""
        held: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((delivery, held))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await held

    async def _write(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                claims = [delivery for delivery, _ in batch]
                marked = await self._store.start_sending(
                    claims, self._clock(), self._lease_seconds
                )
            except Exception as exc:  # each waiting send gets the error and sends nothing
                for _, held in batch:
                    if not held.done():
                        held.set_exception(exc)
                continue
            for delivery, held in batch:
                if not held.done():
                    held.set_result(delivery.id in marked)


class _SendStart:
    """The `before_send` callback of one delivery: marks it sending once, at the first request."""

    def __init__(self, marks: SendingMarks, delivery: Delivery) -> None:
        self._marks = marks
        self._delivery = delivery
        self.started = False

    def now(self) -> datetime:
        """The tick's clock."""
        return self._marks.now()

    async def __call__(self) -> None:
        if self.started:
            return
        try:
            held = await self._marks.mark(self._delivery)
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
                    await asyncio.gather(*(self._send(d, marks, report) for d in claimed))
                    if len(claimed) < CLAIM_BATCH:
                        break
        finally:
            await marks.close()
        return report

    async def _send(self, delivery: Delivery, marks: SendingMarks, report: SendReport) -> None:
        async with self._sends:
            try:
                reply = render_digest(await self._service.delivery_digest(delivery))
            except Exception as exc:  # nothing was sent yet: safe to try again later
                log.exception("delivery %d: building the digest failed", delivery.id)
                not_before = marks.now() + RETRY_BUILD
                await self._store.retry_delivery(delivery.id, not_before, error=repr(exc))
                report.retried += 1
                return
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
            await self._store.finish_delivery(delivery.id, message_id, now=start.now())
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


def render_digest(stories: Sequence[StoryEntry]) -> Reply | None:
    """The daily digest message, or None when there is nothing new to send."""
    if not stories:
        return None
    return render_stories(stories, title=DIGEST_TITLE, empty="")
