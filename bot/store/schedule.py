"""When a daily digest is due: local HH:MM in the subscriber's time zone, one per local date.

A subscription's period is a local date; its due time is that date at HH:MM local, converted to
UTC with zoneinfo. Advancing always moves to the next local date (never "24 hours later"), so a
daylight-saving change neither skips nor doubles a day.

Daylight-saving edge cases follow zoneinfo's `fold=0`:
- spring forward (Europe/Berlin, last Sunday of March, 02:00 -> 03:00): 02:30 does not exist that
  day; it is read with the offset in force before the change, which is 01:30 UTC, i.e. 03:30
  local: that day's digest comes an hour late, and still exactly once;
- fall back (last Sunday of October, 03:00 -> 02:00): 02:30 happens twice; the first one (CEST,
  00:30 UTC) is the due time, and the second brings nothing because that period is planned.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UsageError


def parse_at(at: str) -> time:
    """'HH:MM' -> time; UsageError if malformed."""
    hours, sep, minutes = at.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise UsageError(f"time must be HH:MM, not {at!r}")
    if int(hours) > 23 or int(minutes) > 59:
        raise UsageError(f"time must be HH:MM, not {at!r}")
    return time(int(hours), int(minutes))


def due_time(period: date, at: str, tz: str) -> datetime:
    """The UTC instant when the digest for local date `period` is due."""
    local = datetime.combine(period, parse_at(at), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def period_of(due: datetime, tz: str) -> date:
    """The local date a due time belongs to."""
    return due.astimezone(ZoneInfo(tz)).date()


def first_due_after(now: datetime, at: str, tz: str) -> datetime:
    """The first due time strictly after `now` (today's, if it has not passed yet)."""
    today = now.astimezone(ZoneInfo(tz)).date()
    for period in (today, today + timedelta(days=1), today + timedelta(days=2)):
        due = due_time(period, at, tz)
        if due > now:
            return due
    raise AssertionError("no due time in the next two days")  # pragma: no cover


def latest_period_due(now: datetime, at: str, tz: str) -> date:
    """The latest local date whose due time is at or before `now`."""
    period = now.astimezone(ZoneInfo(tz)).date()
    while due_time(period, at, tz) > now:
        period -= timedelta(days=1)
    return period


def next_due(period: date, at: str, tz: str) -> datetime:
    """The due time of the period after `period`."""
    return due_time(period + timedelta(days=1), at, tz)
