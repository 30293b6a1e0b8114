"""Rendering for Discord: every message within its limits; text never formats or pings."""

from __future__ import annotations

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.render import (
    DiscordMessage,
    escape_text,
    fit_text,
    render_plain,
    render_reply,
    split_text,
)
from bot.replies import (
    Bold,
    BulletList,
    Button,
    Code,
    Heading,
    Italic,
    Link,
    Paragraph,
    Quote,
    Reply,
    Section,
    Text,
    plain_reply,
)
from tests.discord_payloads import message_errors


def _story(number: int, summary_words: int = 200) -> Section:
    summary = " ".join(f"word{number}-{i}" for i in range(summary_words))
    return Section(
        (
            Heading(
                (Link(f"Story {number}: the council votes", f"https://news.example/{number}"),)
            ),
            Paragraph((Text(summary),)),
            Quote("We will build the bridge", "Mayor Ana Ruiz"),
            BulletList(((Text("Sources: "), Bold("Example News")),)),
        )
    )


def _payload(message: DiscordMessage) -> dict[str, object]:
    return {"content": message.content, "embeds": [e.to_dict() for e in message.embeds]}


def _all_text(messages: list[DiscordMessage]) -> str:
    parts = [m.content for m in messages]
    parts += [f"{e.title or ''}\n{e.description or ''}" for m in messages for e in m.embeds]
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("raw", "absent"),
    [
        ("@everyone look", "@everyone"),
        ("hi @here", "@here"),
        ("<@123456789012345678> said", "<@1"),
        ("<@42> and <#42> and <t:1700000000:R>", "<@4"),
        ("run </digest:1234>", "</"),
        ("**bold** and __under__", "**bold**"),
        ("||spoiler||", "||spoiler"),
        ("[click](https://evil.example)", "\n[click]("),
        ("1. first\n2. second", "1. first"),
        ("> not a quote", "\n> not"),
        ("# not a heading", "\n# not"),
    ],
)
def test_escape_neutralises_markdown_and_mentions(raw: str, absent: str) -> None:
    assert absent not in "\n" + escape_text(raw)


def test_escape_keeps_the_words() -> None:
    escaped = escape_text("Ana_Ruiz said *yes* at 10:00")
    assert escaped.replace("\\", "") == "Ana_Ruiz said *yes* at 10:00"


def test_a_story_becomes_one_embed_with_a_linked_title() -> None:
    [message] = render_reply(Reply(sections=(_story(1, 10),)))
    [embed] = message.embeds
    assert embed.title == "Story 1: the council votes"
    assert embed.url == "https://news.example/1"
    assert embed.description is not None
    assert "> “We will build the bridge” — Mayor Ana Ruiz" in embed.description
    assert "**Example News**" in embed.description


def test_a_long_digest_spans_several_messages_each_within_every_limit() -> None:
    reply = Reply(sections=tuple(_story(n) for n in range(30)))
    messages = render_reply(reply)
    assert len(messages) > 3
    for message in messages:
        assert message_errors(_payload(message)) == {}
        assert sum(len(e) for e in message.embeds) <= 6000
        assert len(message.embeds) <= 10
    titles = [e.title for m in messages for e in m.embeds]
    assert titles == [f"Story {n}: the council votes" for n in range(30)]


def test_a_section_over_the_description_limit_is_split_into_embeds() -> None:
    words = " ".join(f"w{i}" for i in range(3000))
    messages = render_reply(Reply(sections=(Section((Paragraph((Text(words),)),)),)))
    embeds = [e for m in messages for e in m.embeds]
    assert len(embeds) > 1
    assert all(len(e.description or "") <= 4096 for e in embeds)
    joined = " ".join((e.description or "").replace("\n", " ") for e in embeds)
    assert joined.split() == words.split()


def test_a_long_title_is_shortened_at_a_word() -> None:
    title = fit_text("The committee " * 40, 256)
    assert len(title) <= 256
    assert title.endswith("committee…")


def test_only_http_links_are_linked() -> None:
    section = Section(
        (
            Heading((Link("Bad", "javascript:alert(1)"),)),
            Paragraph((Link("ok", "https://a.example/x_(y)"), Link("no", "ftp://x"))),
        )
    )
    [message] = render_reply(Reply(sections=(section,)))
    [embed] = message.embeds
    assert embed.url is None
    assert embed.description == "[ok](https://a.example/x_%28y%29)no"


def test_inline_styles() -> None:
    paragraph = Paragraph((Bold("b"), Italic("i"), Code("x`y"), Text(" @everyone")))
    [message] = render_reply(Reply(sections=(Section((paragraph,)),)))
    assert message.embeds[0].description == "**b***i*`xˋy` @\u200beveryone"


def test_an_empty_reply_is_still_a_message() -> None:
    messages = render_reply(Reply(sections=()))
    assert messages == [DiscordMessage(content="\u200b")]


def test_plain_fallback_is_split_at_2000() -> None:
    messages = render_plain(plain_reply("x " * 3000))
    assert len(messages) == 3
    assert all(len(m.content) <= 2000 and not m.embeds for m in messages)


def test_split_text_cuts_words_longer_than_the_limit() -> None:
    assert split_text("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]


_inline_text = st.text(min_size=1, max_size=600)
_inline = st.one_of(
    st.builds(Text, _inline_text),
    st.builds(Bold, _inline_text),
    st.builds(Link, _inline_text, st.just("https://example.com/a")),
)
_block = st.one_of(
    st.builds(Paragraph, st.lists(_inline, min_size=1, max_size=8).map(tuple)),
    st.builds(Heading, st.lists(_inline, min_size=1, max_size=3).map(tuple)),
    st.builds(Quote, st.text(max_size=900), st.one_of(st.none(), st.text(max_size=40))),
)
_section = st.builds(Section, st.lists(_block, max_size=12).map(tuple))


@settings(max_examples=60, deadline=None)
@given(st.lists(_section, max_size=14))
def test_any_reply_renders_within_discord_limits(sections: list[Section]) -> None:
    messages = render_reply(Reply(sections=tuple(sections)))
    assert messages
    for message in messages:
        assert message_errors(_payload(message)) == {}
        assert message.content or message.embeds
        for embed in message.embeds:
            assert isinstance(embed, discord.Embed)
            assert "@everyone" not in (embed.description or "") + (embed.title or "")


def test_buttons_go_on_the_last_message_and_long_commands_become_hints() -> None:
    long_command = "/search " + "word " * 30
    reply = Reply(
        sections=tuple(_story(n) for n in range(30)),
        buttons=(Button("More", "/latest 5 +5"), Button("All", long_command)),
    )
    messages = render_reply(reply)
    assert [m.buttons for m in messages[:-1]] == [()] * (len(messages) - 1)
    assert messages[-1].buttons == (Button("More", "/latest 5 +5"),)
    assert messages[-1].content.startswith("All: `/search word")
