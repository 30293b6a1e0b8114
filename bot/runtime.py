"""The core's resources opened together: store, fetcher, service, router and the ticks.

`open_core` is what `newsdigest run` and the end-to-end tests share: it upgrades the schema,
opens the store and the fetcher, loads the near-duplicate index, and closes everything in reverse
order. Adapters are started by the caller (bot/__main__.py), which registers their publishers with
`Core.deliver_with` so the send tick can reach them.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.chats import Platform
from bot.config import Config
from bot.delivery import DeliveryWorker
from bot.ingest import Fetcher
from bot.migrations import upgrade_schema
from bot.notices import AdminNotices
from bot.polling import load_near_duplicate_index, start_digest_process
from bot.publisher import Publisher
from bot.router import CommandRouter
from bot.scheduler import Ticks
from bot.service import Clock, NewsService, utc_now
from bot.store import Store, open_store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Core:
    """Everything an adapter needs from the core, opened and ready."""

    config: Config
    store: Store
    fetcher: Fetcher
    service: NewsService
    router: CommandRouter
    ticks: Ticks
    clock: Clock

    def deliver_with(self, publishers: Mapping[Platform, Publisher]) -> DeliveryWorker:
        """Send scheduled digests through these publishers from now on."""
        worker = DeliveryWorker(self.store, self.service, publishers, self.config.delivery)
        self.ticks.send_deliveries = worker.send_due
        self.ticks.notices = AdminNotices(self.config, publishers)
        return worker

    async def tick(self) -> None:
        """Run every tick once, in order, at the clock's now (start-up and tests)."""
        now = self.clock()
        await self.ticks.poll(now)
        await self.ticks.plan(now)
        await self.ticks.send(now)

    async def add_folder_sources(self, folders: tuple[str, ...]) -> None:
        """Make sure each configured local folder is a source (added once, by the config)."""
        known = {health.source.url for health in await self.service.list_sources()}
        for folder in folders:
            path = _absolute(folder)
            if path in known or Path(path).as_uri() in known:
                continue
            report = await self.service.add_source(path, by="config")
            log.info("added folder source %s with %d articles", path, report.items)


@asynccontextmanager
async def open_core(
    config: Config,
    *,
    clock: Clock = utc_now,
    transport: httpx.AsyncBaseTransport | None = None,
    upgrade: bool = True,
    polls: bool = True,
) -> AsyncIterator[Core]:
    """Open the store (upgrading its schema unless told not to), the fetcher and the service.

    Worker processes pass upgrade=False: with several processes on one database the schema is
    upgraded once, by `newsdigest migrate`, not raced by each process at start-up. They pass
    polls=False as well: they read no sources, so they start no digest processes.
    """
    if upgrade:
        await upgrade_schema(config.database.url)
    async with AsyncExitStack() as stack:
        store = await stack.enter_async_context(open_store(config.database.url))
        fetcher = await stack.enter_async_context(Fetcher(config.sources, transport=transport))
        index = await load_near_duplicate_index(store, clock())
        service = NewsService(store, config, fetcher, clock=clock, index=index)
        processes = config.sources.digest_processes if polls else 0
        new_pool = functools.partial(digest_pool, processes) if processes else None
        ticks = Ticks(
            store,
            fetcher,
            config,
            index=index,
            executor=new_pool() if new_pool else None,
            new_executor=new_pool,
        )
        stack.callback(ticks.close)
        yield Core(
            config=config,
            store=store,
            fetcher=fetcher,
            service=service,
            router=CommandRouter(service, config),
            ticks=ticks,
            clock=clock,
        )


def digest_pool(processes: int) -> ProcessPoolExecutor:
    """The processes that parse feeds and build digests (`[sources] digest_processes`).

    Started with "spawn": forking a process that runs an event loop and holds database
    connections copies them into the child.
    """
    return ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_digest_process,
    )


def _absolute(folder: str) -> str:
    return str(Path(folder).expanduser().resolve())
