"""The periodic ticks, run by APScheduler 3.x's AsyncIOScheduler.

A few idempotent ticks, not one job per source or subscriber: the database says what is due.
- poll: read the due sources (bot.polling);
- plan: expire stale send leases, then insert the due deliveries into the ledger;
- send: the lead's sender callable claims and sends deliveries;
- prune: delete ledger rows older than `[delivery] keep_days`, daily.
Each tick takes `now` from an injectable clock, so tests drive them with a fake one; each job has
max_instances=1 and coalesce=True, so a slow tick is never run twice at once or piled up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import BrokenExecutor, Executor
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Config
from bot.ingest import Fetcher, NearDuplicateIndex
from bot.notices import AdminNotices
from bot.polling import (
    PollReport,
    forget_old_articles,
    load_near_duplicate_index,
    poll_due_sources,
)
from bot.service import Clock, utc_now
from bot.store import Store

logger = logging.getLogger(__name__)

Sender = Callable[[datetime], Awaitable[Any]]
POLL_SECONDS = 60.0
PRUNE_HOURS = 24.0


class Ticks:
    """The ticks themselves, callable directly with a `now` (tests) or by the scheduler."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        config: Config,
        *,
        send: Sender | None = None,
        index: NearDuplicateIndex | None = None,
        executor: Executor | None = None,
        new_executor: Callable[[], Executor] | None = None,
    ) -> None:
        """`new_executor` replaces an executor whose processes died (BrokenExecutor)."""
        self.store = store
        self.fetcher = fetcher
        self.config = config
        self.send_deliveries = send
        self.index = index
        self.executor = executor
        self.notices: AdminNotices | None = None
        self._new_executor = new_executor
        self._index_pruned_at: datetime | None = None

    async def poll(self, now: datetime) -> PollReport:
        """Read the due sources (and, daily, forget articles older than the index's window)."""
        if self.index is None:
            self.index = await load_near_duplicate_index(self.store, now)
        if self._index_pruned_at is None or now - self._index_pruned_at >= timedelta(days=1):
            await forget_old_articles(self.store, self.index, now)
            self._index_pruned_at = now
        try:
            report = await poll_due_sources(
                self.store,
                self.fetcher,
                self.config,
                now,
                index=self.index,
                executor=self.executor,
            )
        except BrokenExecutor:
            # A digest process died (killed, out of memory): no source is to blame, and every
            # read would fail until the pool is replaced. The sources not read stay due.
            logger.error("a digest process died; starting new ones for the next poll")
            self.replace_executor()
            return PollReport()
        if report.paused and self.notices is not None:
            found = [await self.store.get_source(source_id) for source_id in report.paused]
            await self.notices.sources_paused([s for s in found if s is not None])
        return report

    def replace_executor(self) -> None:
        """Shut the executor down (without waiting for it) and start a new one, if it can."""
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._new_executor() if self._new_executor is not None else None

    def close(self) -> None:
        """Shut the executor down, waiting for its processes to exit."""
        if self.executor is not None:
            self.executor.shutdown()
            self.executor = None

    async def plan(self, now: datetime) -> int:
        """Expire stale leases, then plan the due deliveries; return how many were planned."""
        await self.store.expire_leases(now)
        return await self.store.plan_deliveries(
            now, catch_up_hours=self.config.delivery.catch_up_hours
        )

    async def send(self, now: datetime) -> None:
        """Hand over to the sender, if there is one."""
        if self.send_deliveries is not None:
            await self.send_deliveries(now)

    async def prune(self, now: datetime) -> int:
        """Delete settled ledger rows older than keep_days."""
        return await self.store.prune_deliveries(
            now - timedelta(days=self.config.delivery.keep_days)
        )


class TickScheduler(AsyncIOScheduler):  # type: ignore[misc]  # APScheduler 3 is untyped
    """An AsyncIOScheduler that knows its running ticks, so stopping can wait for them."""

    def __init__(self) -> None:
        super().__init__(timezone="UTC")
        self.running_ticks: set[asyncio.Task[None]] = set()

    async def stop(self) -> None:
        """Stop scheduling, cancel the running ticks and wait until they have unwound.

        Call it before closing the store: a tick cancelled mid-query must finish with its
        connection before the engine is disposed of, or the event loop cannot close.
        """
        if self.running:
            self.shutdown(wait=False)  # cancels the running ticks, without waiting
        await asyncio.gather(*self.running_ticks, return_exceptions=True)


def build_scheduler(
    ticks: Ticks,
    *,
    clock: Clock = utc_now,
    poll_seconds: float = POLL_SECONDS,
) -> TickScheduler:
    """A scheduler running the ticks (not started: call .start() in a running loop)."""
    scheduler = TickScheduler()
    every = ticks.config.delivery.tick_seconds
    jobs: list[tuple[str, Callable[[datetime], Awaitable[Any]], float]] = [
        ("poll", ticks.poll, poll_seconds),
        ("plan", ticks.plan, every),
        ("send", ticks.send, every),
        ("prune", ticks.prune, PRUNE_HOURS * 3600),
    ]
    for name, tick, seconds in jobs:
        scheduler.add_job(
            _guarded(name, tick, clock, scheduler.running_ticks),
            "interval",
            seconds=seconds,
            id=name,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),  # the scheduler's own clock, not the ticks'
        )
    return scheduler


def _guarded(
    name: str,
    tick: Callable[[datetime], Awaitable[Any]],
    clock: Clock,
    running: set[asyncio.Task[None]],
) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        task = asyncio.current_task()
        if task is not None:
            running.add(task)
        try:
            await tick(clock())
        except Exception:  # a failed tick is retried at the next interval
            logger.exception("the %s tick failed", name)
        except asyncio.CancelledError:
            # TickScheduler.stop cancelled it to shut down. Ending the job quietly keeps
            # APScheduler from logging the cancellation as a crash with a traceback.
            logger.debug("the %s tick was cancelled", name)
        finally:
            running.discard(task)

    run.__name__ = f"{name}_tick"
    return run
