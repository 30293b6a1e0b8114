"""Pace outgoing messages to stay under Telegram's flood limits.

Telegram allows about 30 messages per second overall, one per second in a chat, and 20 per
minute in a group. python-telegram-bot's AIORateLimiter covers the overall and the group limits
but has no per-chat limit for private chats, and it paces with token buckets that let bursts
through; a burst reaches the server spread by network jitter, which is what trips a sliding-window
flood check. This pacer instead spaces sends evenly on a timeline of `1/30 s` steps (times a
small safety margin), sends a message at least a second after the previous message to the same
chat was answered, and keeps groups within 20 messages per minute.

The overall timeline forgives a late wake-up (a busy event loop wakes sleepers late; counting
each delay would add up to seconds over a fan-out), but never by bunching: any 30 consecutive
sends really started at least `1 s` (times the margin) apart, and after a pause the timeline
restarts from now instead of letting a burst through. Both locks are FIFO, so messages leave in
call order; a chat's lock is held until its message is answered, keeping one chat's messages in
order.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

# How many steps behind the timeline a send may be and still catch up.
_CATCH_UP = 3
# Checking for idle chats costs a pass over all of them: only do it when there are many.
_PRUNE_ABOVE = 20_000


@dataclass(frozen=True, slots=True, kw_only=True)
class FloodLimits:
    """Telegram's limits (`group_per_minute` per `group_window` seconds); `margin` stretches
    every interval a little to absorb network jitter."""

    per_second: float = 30.0
    chat_interval: float = 1.0
    group_per_minute: int = 20
    group_window: float = 60.0
    margin: float = 0.02


@dataclass(slots=True)
class _ChatState:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_sent: float = float("-inf")
    recent: deque[float] = field(default_factory=deque)
    users: int = 0


class TelegramPacer:
    """Hands out send times that keep every message within FloodLimits."""

    def __init__(self, limits: FloodLimits | None = None) -> None:
        self.limits = limits or FloodLimits()
        self._overall = asyncio.Lock()
        self._timeline = float("-inf")
        self._starts: deque[float] = deque(maxlen=max(1, int(self.limits.per_second)))
        self._chats: dict[str, _ChatState] = {}
        self._pruned_at = float("-inf")

    @asynccontextmanager
    async def slot(self, chat_id: str, *, is_group: bool) -> AsyncIterator[None]:
        """Wait until a message to `chat_id` may be sent; hold the chat while it is sent."""
        if len(self._chats) > _PRUNE_ABOVE and time.monotonic() > self._pruned_at + 10.0:
            self._forget_quiet_chats()
        state = self._chats.setdefault(chat_id, _ChatState())
        state.users += 1
        try:
            async with state.lock:
                await self._sleep_until(self._chat_ready_at(state, is_group=is_group))
                await self._take_overall_turn()
                yield
                self._record(state, is_group=is_group)
        finally:
            state.users -= 1

    def _forget_quiet_chats(self) -> None:
        """Drop chats idle for longer than any limit looks back, so memory stays bounded."""
        self._pruned_at = time.monotonic()
        horizon = self._pruned_at - self.limits.group_window * (1.0 + self.limits.margin)
        quiet = [c for c, s in self._chats.items() if not s.users and s.last_sent < horizon]
        for chat_id in quiet:
            del self._chats[chat_id]

    def _chat_ready_at(self, state: _ChatState, *, is_group: bool) -> float:
        stretch = 1.0 + self.limits.margin
        ready = state.last_sent + self.limits.chat_interval * stretch
        if is_group:
            window = self.limits.group_window * stretch
            while state.recent and state.recent[0] <= time.monotonic() - window:
                state.recent.popleft()
            if len(state.recent) >= self.limits.group_per_minute:
                ready = max(ready, state.recent[0] + window)
        return ready

    async def _take_overall_turn(self) -> None:
        """Wait for this send's step on the timeline, within the 1-s window of real starts."""
        async with self._overall:
            stretch = 1.0 + self.limits.margin
            spacing = stretch / self.limits.per_second
            now = time.monotonic()
            self._timeline = max(self._timeline + spacing, now - _CATCH_UP * spacing)
            at = self._timeline
            if len(self._starts) == self._starts.maxlen:
                at = max(at, self._starts[0] + stretch)
            await self._sleep_until(at)
            self._starts.append(time.monotonic())

    def _record(self, state: _ChatState, *, is_group: bool) -> None:
        state.last_sent = time.monotonic()
        if is_group:
            state.recent.append(state.last_sent)

    @staticmethod
    async def _sleep_until(at: float) -> None:
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
