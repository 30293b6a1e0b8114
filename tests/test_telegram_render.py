"""Rendering replies as Telegram HTML: escaping, tags, and splitting at the 4,096-unit limit.

Every rendered message is checked with the stand-in's strict parser of Telegram's HTML subset.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.telegram.render import (
    render_plain_fallback,
    render_reply,
    split_plain_text,
    utf16_length,
)
from bot.replies import (
    Bold,
    BulletList,
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
from tests.telegram_rules import parse_telegram_html

HOSTILE = "<script>alert(1)</script> a < b & c <b>unclosed &amp; \"quoted\" 'single'"


def _story(n: int, body: str = "A council vote on the bridge went ahead. " * 3) -> Section:
    return Section(
        (
            Heading((Link(f"Story {n}: the bridge", f"https://news.example/{n}?a=1&b=2"),)),
            Paragraph((Text(body),)),
            Quote("We will build it", "Mayor Jane Roe"),
            Paragraph((Italic("Sources: "), Text("Example News"))),
        )
    )


def test_hostile_text_is_escaped_and_accepted() -> None:
    reply = Reply(sections=(Section((Heading((Text(HOSTILE),)), Paragraph((Text(HOSTILE),)))),))
    [message] = render_reply(reply)
    assert "<script>" not in message
    assert parse_telegram_html(message) == f"{HOSTILE}\n{HOSTILE}"


def test_every_block_kind_renders_to_accepted_html() -> None:
    section = Section(
        (
            Heading((Text("Head "), Bold("bold"), Link("link", 'https://x.example/?q="1"&r'))),
            Paragraph((Text("t "), Bold("b"), Italic("i"), Code("/latest 5"))),
            Quote("Hello <world>", "O'Brien & Sons"),
            Quote("No speaker"),
            BulletList(((Text("one"),), (Bold("two"), Text(" & more")))),
        )
    )
    [message] = render_reply(Reply(sections=(section,)))
    assert parse_telegram_html(message) == (
        "Head boldlink\nt bi/latest 5\n“Hello <world>”\n— O'Brien & Sons\n“No speaker”\n"
        "• one\n• two & more"
    )
    assert '<a href="https://x.example/?q=&quot;1&quot;&amp;r">' in message
    assert message.startswith("<b>Head bold<a href=")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.example/f", "data:text/html,hi"])
def test_links_other_than_http_are_plain_text(url: str) -> None:
    [message] = render_reply(Reply(sections=(Section((Paragraph((Link("click", url),)),)),)))
    assert message == "click"


def test_long_reply_splits_between_sections_in_order() -> None:
    reply = Reply(sections=tuple(_story(n) for n in range(40)))
    messages = render_reply(reply)
    assert len(messages) > 1
    texts = [parse_telegram_html(m) for m in messages]
    assert all(utf16_length(m) <= 4096 for m in messages)
    story_order = [
        int(line.split()[1].rstrip(":"))
        for t in texts
        for line in t.split("\n")
        if line.startswith("Story ")
    ]
    assert story_order == list(range(40))
    assert all(t.startswith("Story ") for t in texts)


def test_an_oversized_section_splits_between_blocks_then_words() -> None:
    long_paragraph = "word " * 1500 + "<&> " * 400
    section = Section((Heading((Text("Title"),)), Paragraph((Bold(long_paragraph),))))
    messages = render_reply(Reply(sections=(section,)), limit=1000)
    assert len(messages) > 5
    visible = [parse_telegram_html(m) for m in messages]
    assert all(utf16_length(m) <= 1000 for m in messages)
    assert " ".join(visible).split() == ["Title", *long_paragraph.split()]
    assert all(m.startswith("<b>") and m.endswith("</b>") for m in messages[1:])


def test_a_single_huge_word_is_cut_without_breaking_entities() -> None:
    word = "&<>é😀" * 3000
    messages = render_reply(plain_reply(word))
    assert all(utf16_length(m) <= 4096 for m in messages)
    assert "".join(parse_telegram_html(m) for m in messages) == word


def test_counting_is_in_utf16_units() -> None:
    emoji = "😀" * 3000  # 6,000 UTF-16 units though only 3,000 characters
    messages = render_reply(plain_reply(emoji))
    assert len(messages) == 2
    assert all(utf16_length(m) <= 4096 for m in messages)


def test_empty_reply_renders_no_message() -> None:
    assert render_reply(Reply(sections=())) == []
    assert render_reply(plain_reply("   ")) == []


def test_plain_fallback_keeps_link_targets_and_unescapes() -> None:
    [message] = render_reply(
        Reply(sections=(Section((Heading((Link("a < b", "https://x.example/?a=1&b=2"),)),)),))
    )
    assert render_plain_fallback(message) == ["a < b (https://x.example/?a=1&b=2)"]


def test_split_plain_text_prefers_paragraphs() -> None:
    pieces = split_plain_text("first para\n\nsecond para\n\n" + "x " * 30, limit=30)
    assert pieces[:2] == ["first para\n\nsecond para", "x x x x x x x x x x x x x x x"]
    assert all(len(p) <= 30 for p in pieces)


@given(
    st.lists(
        st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=4), min_size=1, max_size=8
    ),
    st.integers(min_value=40, max_value=600),
)
def test_any_text_renders_to_valid_messages_within_the_limit(
    sections: list[list[str]], limit: int
) -> None:
    reply = Reply(
        sections=tuple(
            Section(tuple(Paragraph((Text(t), Bold(t[:5]))) for t in blocks))
            for blocks in sections
        )
    )
    messages = render_reply(reply, limit=limit)
    for message in messages:
        assert utf16_length(message) <= limit
        assert parse_telegram_html(message).strip()
    expected = "".join("".join(t + t[:5] for t in blocks) for blocks in sections)
    got = "".join(parse_telegram_html(m) for m in messages)
    assert "".join(got.split()) == "".join(expected.split())
