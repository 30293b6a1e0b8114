"""Fan-out of daily digests through the delivery ledger.

The ledger (bot/store/ledger.py) guarantees one row per subscription and local date. This module
plans due rows, claims a batch, builds each subscription's digest once per period (stored in the
row and reused on retry), hands it to the platform's Publisher and settles the row by what the
platform answered:
- a message id: sent;
- RetryableDeliveryError (provably nothing delivered: 429, connection refused): pending again
  after `retry_after`;
- PermanentDeliveryError (blocked, chat gone): failed, and the subscription is paused;
- anything else, including AmbiguousDeliveryError: unknown, never resent, because the message
  may have arrived and a second copy is worse than a logged gap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.chats import Platform
from bot.config import DeliveryConfig
from bot.errors import PermanentDeliveryError, RetryableDeliveryError
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


@dataclass(slots=True)
class SendReport:
    """What one send tick did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0
    empty: int = 0


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
        for platform in self._publishers:
            while claimed := await self._store.claim_deliveries(
                now, CLAIM_BATCH, self._config.lease_seconds, platform
            ):
                await asyncio.gather(*(self._send(d, now, report) for d in claimed))
                if len(claimed) < CLAIM_BATCH:
                    break
        return report

    async def _send(self, delivery: Delivery, now: datetime, report: SendReport) -> None:
        async with self._sends:
            try:
                reply = render_digest(await self._service.delivery_digest(delivery))
            except Exception as exc:  # nothing was sent yet: safe to try again next tick
                log.exception("delivery %d: building the digest failed", delivery.id)
                await self._store.retry_delivery(delivery.id, now + RETRY_BUILD, error=repr(exc))
                report.retried += 1
                return
            if reply is None:
                await self._store.finish_delivery(delivery.id, "", now=now)
                report.empty += 1
                return
            await self._publish(delivery, reply, now, report)

    async def _publish(
        self, delivery: Delivery, reply: Reply, now: datetime, report: SendReport
    ) -> None:
        try:
            message_id = await self._publishers[delivery.chat.platform].publish(
                delivery.chat, reply
            )
        except RetryableDeliveryError as exc:
            not_before = now + timedelta(seconds=max(exc.retry_after, 1.0))
            await self._store.retry_delivery(delivery.id, not_before, error=str(exc))
            report.retried += 1
        except PermanentDeliveryError as exc:
            log.warning("delivery %d: %s; subscription paused", delivery.id, exc)
            await self._store.fail_delivery(delivery.id, str(exc), True, now=now)
            report.failed += 1
        except Exception as exc:  # the message may have arrived: never resend it
            log.exception("delivery %d: outcome unknown, not resent", delivery.id)
            await self._store.mark_delivery_unknown(delivery.id, repr(exc), now=now)
            report.unknown += 1
        else:
            await self._store.finish_delivery(delivery.id, message_id, now=now)
            report.sent += 1


def render_digest(stories: Sequence[StoryEntry]) -> Reply | None:
    """The daily digest message, or None when there is nothing new to send."""
    if not stories:
        return None
    return render_stories(stories, title=DIGEST_TITLE, empty="")
