"""How the service's values look in a chat: pure functions from model values to Replies.

Every adapter renders these Replies for its platform, so a digest or a /sources answer reads the
same on Telegram, Discord and the console.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.models import (
    QuoteEntry,
    Settings,
    Source,
    SourceHealth,
    SourceReport,
    Stats,
    StoryEntry,
    Subscription,
)
from bot.replies import (
    Block,
    Bold,
    BulletList,
    Button,
    Code,
    Heading,
    Inline,
    Italic,
    Link,
    Paragraph,
    Quote,
    Reply,
    Section,
    Text,
    plain_reply,
)

if TYPE_CHECKING:
    from bot.commands import CommandSpec

MAX_QUOTES_PER_STORY = 2


def render_stories(
    stories: Sequence[StoryEntry], *, title: str, empty: str, buttons: tuple[Button, ...] = ()
) -> Reply:
    """A digest, latest list or search answer: one section per story, in the given order."""
    if not stories:
        return plain_reply(empty)
    heading = Section((Heading((Bold(title),)),))
    return Reply(sections=(heading, *(render_story(s) for s in stories)), buttons=buttons)


def render_story(story: StoryEntry) -> Section:
    """One story: linked headline, summary, up to two key quotes, the sources that carried it."""
    headline: Inline = (
        Link(story.headline, story.url) if _is_web(story.url) else Bold(story.headline)
    )
    blocks: list[Block] = [Heading((headline,))]
    if story.summary:
        blocks.append(Paragraph((Text(" ".join(story.summary)),)))
    blocks.extend(
        Quote(quote_text(q.text), q.speaker)
        for q in story.key_quotes[:MAX_QUOTES_PER_STORY]
        if q.speaker
    )
    if story.sources:
        label = "Source: " if len(story.sources) == 1 else f"{len(story.sources)} sources: "
        blocks.append(Paragraph((Italic(label + ", ".join(story.sources)),)))
    return Section(tuple(blocks))


def render_quotes(quotes: Sequence[QuoteEntry], *, query: str | None) -> Reply:
    """Quotes with their speakers and the article each came from."""
    if not quotes:
        return plain_reply(f"No quotes found for “{query}”." if query else "No quotes yet.")
    title = f"Quotes: {query}" if query else "Latest quotes"
    sections = [Section((Heading((Bold(title),)),))]
    for quote in quotes:
        source: Inline = (
            Link(quote.headline, quote.url) if _is_web(quote.url) else Text(quote.headline)
        )
        sections.append(
            Section(
                (
                    Quote(quote_text(quote.text), quote.speaker),
                    Paragraph((source, Text(f" — {quote.source}"))),
                )
            )
        )
    return Reply(sections=tuple(sections))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def render_sources(sources: Sequence[SourceHealth]) -> Reply:
    """The sources with their health, so admins see what is failing and why."""
    if not sources:
        return plain_reply("No sources yet. Admins add one with /addsource URL.")
    items = tuple(_source_item(health) for health in sources)
    return Reply(sections=(Section((Heading((Bold("Sources"),)), BulletList(items))),))


def _source_item(health: SourceHealth) -> tuple[Inline, ...]:
    source = health.source
    state = "ok"
    if source.paused:
        error = source.last_error or "unknown error"
        state = f"paused after failing: {error}; /addsource its URL again to retry"
    elif source.last_error:
        state = f"failing: {source.last_error}"
    return (
        Code(f"#{source.id}"),
        Text(" "),
        Bold(source.title or source.url),
        Text(f" ({source.kind}, {_count(health.article_count, 'article')}, {state}) "),
        Text(source.url),
    )


def render_paused_sources(sources: Sequence[Source], *, hours: float) -> Reply:
    """The notice admins get when sources are paused after failing for `hours`."""
    items = tuple(
        (
            Code(f"#{source.id}"),
            Text(" "),
            Bold(source.title or source.url),
            Text(f": {source.last_error or 'unknown error'}. "),
            Text(f"Once it works again: /addsource {source.url}"),
        )
        for source in sources
    )
    heading = Heading((Bold(f"Paused after failing for {hours:g} hours"),))
    return Reply(sections=(Section((heading, BulletList(items))),))


def render_source_added(report: SourceReport) -> Reply:
    """What /addsource found and saved."""
    source = report.source
    done = "Resumed" if report.resumed else "Added"
    return plain_reply(
        f"{done} source #{source.id}: {report.title or source.url} ({report.kind}, "
        f"{_count(report.items, 'item')}, {_count(report.new_articles, 'new article')})."
    )


def render_settings(settings: Settings) -> Reply:
    """A chat's digest settings."""
    filters = settings.filters
    if settings.subscribed:
        state = "paused: " + (settings.paused_reason or "") if settings.paused else "subscribed"
    else:
        state = "not subscribed"
    lines: tuple[tuple[Inline, ...], ...] = (
        (Bold("Daily digest: "), Text(state)),
        (Bold("Time: "), Text(f"{settings.at} {settings.tz}")),
        (Bold("Next: "), Text(_local(settings.next_due_at, settings.tz))),
        (Bold("Include: "), Text(", ".join(filters.include) or "everything")),
        (Bold("Exclude: "), Text(", ".join(filters.exclude) or "nothing")),
        (Bold("Sources: "), Text(", ".join(f"#{s}" for s in filters.sources) or "all")),
        (Bold("Length: "), Text(f"{filters.length} stories")),
    )
    return Reply(sections=(Section((Heading((Bold("Settings"),)), BulletList(lines))),))


def render_subscribed(subscription: Subscription) -> Reply:
    """The answer to /subscribe."""
    return plain_reply(
        f"Subscribed: a daily digest at {subscription.at} ({subscription.tz}). "
        f"Next one: {_local(subscription.next_due_at, subscription.tz)}."
    )


def render_import(results: Sequence[tuple[str, SourceReport | str]]) -> Reply:
    """What /import added, and why each failure failed."""
    items = tuple(
        (Text(url), Text(f" — added as #{result.source.id}"))
        if isinstance(result, SourceReport)
        else (Text(url), Text(f" — not added: {result}"))
        for url, result in results
    )
    added = sum(isinstance(result, SourceReport) for _, result in results)
    title = f"Imported {added} of {len(results)} sources"
    return Reply(sections=(Section((Heading((Bold(title),)), BulletList(items))),))


def _delivery_counts(stats: Stats) -> str:
    counts = [f"{stats.deliveries_sent} sent", f"{stats.deliveries_pending} pending"]
    if stats.deliveries_in_flight:
        counts.append(f"{stats.deliveries_in_flight} being sent")
    counts.append(f"{stats.deliveries_failed} failed")
    if stats.deliveries_unknown:
        counts.append(f"{stats.deliveries_unknown} unknown (interrupted mid-send, not resent)")
    if stats.deliveries_skipped:
        counts.append(f"{stats.deliveries_skipped} skipped (missed while the bot was down)")
    return ", ".join(counts)


def render_stats(stats: Stats) -> Reply:
    """Counts for admins."""
    rows = (
        (
            "Sources",
            f"{stats.sources} ({stats.failing_sources} failing, {stats.paused_sources} paused)",
        ),
        ("Articles", str(stats.articles)),
        ("Stories", str(stats.stories)),
        ("Chats", str(stats.chats)),
        ("Subscriptions", str(stats.subscriptions)),
        ("Deliveries", _delivery_counts(stats)),
    )
    items = tuple((Bold(f"{name}: "), Text(value)) for name, value in rows)
    return Reply(sections=(Section((Heading((Bold("Statistics"),)), BulletList(items))),))


def render_help(specs: Sequence[CommandSpec], *, is_admin: bool = False) -> Reply:
    """The command list; admin commands only for admins."""
    shown = [s for s in specs if is_admin or not s.admin_only]
    items = tuple((Code(spec.usage), Text(f" — {spec.description}")) for spec in shown)
    return Reply(sections=(Section((Heading((Bold("Commands"),)), BulletList(items))),))


def quote_text(text: str) -> str:
    """A quote as shown on its own: the comma that led into "…, he said" dropped."""
    return text.rstrip().rstrip(",;:").rstrip()


def _local(moment: datetime | None, tz: str) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %d %b %H:%M %Z")


def _is_web(url: str) -> bool:
    return url.startswith(("http://", "https://"))
