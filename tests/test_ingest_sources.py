"""read_source() over real HTTP on 127.0.0.1: feed kinds, bad input, discovery, full text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime

import pytest

from bot.config import SourcesConfig
from bot.errors import SourceError
from bot.ingest.fetch import Fetcher
from bot.ingest.sources import read_source
from tests.feedserver import FeedServer

CONFIG = SourcesConfig(allow_private_addresses=True, timeout_seconds=5.0)
RSS_TYPE = "application/rss+xml"

RSS20 = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour Gazette</title><link>{base}/</link><ttl>45</ttl>
<item><title>Ferry timetable changes</title><link>{base}/ferry?utm_source=rss</link>
<guid isPermaLink="false">ferry-1</guid><pubDate>Tue, 05 Mar 2024 09:30:00 +0100</pubDate>
<description>{body}</description></item>
</channel></rss>"""

RSS091 = """<?xml version="1.0"?>
<rss version="0.91"><channel><title>Old Wire</title><link>{base}/</link>
<description>old</description><language>en</language>
<item><title>Bridge reopens</title><link>{base}/bridge</link>
<description>{body}</description></item>
</channel></rss>"""

RDF = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="{base}/rdf"><title>Valley Post</title><link>{base}/</link>
<description>v</description></channel>
<item rdf:about="{base}/mill"><title>Mill to close</title><link>{base}/mill</link>
<description>{body}</description><dc:date>2024-03-05T08:00:00Z</dc:date></item>
</rdf:RDF>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Coast Herald</title>
<link href="{base}/"/><id>urn:coast</id><updated>2024-03-05T10:00:00Z</updated>
<entry><title>Storm warning</title><link href="{base}/storm"/><id>urn:coast:storm</id>
<updated>2024-03-05T10:00:00Z</updated>
<content type="html">&lt;p&gt;{body}&lt;/p&gt;&lt;p&gt;Second paragraph.&lt;/p&gt;</content>
</entry></feed>"""

LONG = " ".join(
    f"Sentence {n} of the council report describes the harbour works in some detail."
    for n in range(12)
)

ARTICLE_PAGE = """<html><head><title>Ferry timetable changes | Harbour Gazette</title></head>
<body><nav>Home | Sport | Weather</nav><article><h1>Ferry timetable changes</h1>
<p>The island ferry will run every forty minutes from Monday, the operator announced on Tuesday,
after months of complaints from commuters about crowded morning crossings.</p>
<p>"We listened to our passengers and added two boats to the route," said Maria Lund, the
operator's director, adding that fares would stay the same until the end of the year.</p>
<p>Commuter groups welcomed the change but said the evening service was still too thin and
asked the council to fund a later crossing for shift workers at the hospital.</p>
</article><footer>Copyright Harbour Gazette</footer></body></html>"""


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(CONFIG) as open_fetcher:
        yield open_fetcher


def serve(
    server: FeedServer,
    path: str,
    template: str,
    body: str = LONG,
    *,
    content_type: str = "text/xml",
    etag: str | None = None,
) -> str:
    text = template.format(base=server.url(""), body=body)
    server.add(path, text, content_type=content_type, etag=etag)
    return server.url(path)


@pytest.mark.parametrize(("template", "title"), [(RSS20, "Harbour Gazette"), (RSS091, "Old Wire")])
async def test_rss_feed(server: FeedServer, fetcher: Fetcher, template: str, title: str) -> None:
    url = serve(server, "/rss", template, content_type=RSS_TYPE)
    read = await read_source(fetcher, url, full_text=False)
    assert (read.kind, read.title) == ("feed", title)
    [item] = read.items
    assert item.text == LONG
    assert item.is_full_text
    assert item.url is not None
    assert item.canonical_url is not None
    assert "utm_source" not in item.canonical_url


async def test_rss20_ttl_guid_and_date(server: FeedServer, fetcher: Fetcher) -> None:
    read = await read_source(fetcher, serve(server, "/rss", RSS20), full_text=False)
    [item] = read.items
    assert read.ttl_minutes == 45
    assert item.guid == "ferry-1"
    assert item.published == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)


async def test_rss10_rdf_feed(server: FeedServer, fetcher: Fetcher) -> None:
    read = await read_source(fetcher, serve(server, "/rdf", RDF), full_text=False)
    [item] = read.items
    assert read.title == "Valley Post"
    assert item.title == "Mill to close"
    assert item.url == server.url("/mill")
    assert item.published == datetime(2024, 3, 5, 8, 0, tzinfo=UTC)


async def test_atom_feed_html_content_becomes_text(server: FeedServer, fetcher: Fetcher) -> None:
    read = await read_source(fetcher, serve(server, "/atom", ATOM), full_text=False)
    [item] = read.items
    assert read.title == "Coast Herald"
    assert item.guid == "urn:coast:storm"
    assert item.text == LONG + "\nSecond paragraph."


async def test_malformed_xml_keeps_recovered_entries(server: FeedServer, fetcher: Fetcher) -> None:
    broken = RSS20.replace("<title>Harbour Gazette</title>", "<title>Harbour & Gazette</title>")
    broken = broken.replace("</channel></rss>", "")
    read = await read_source(fetcher, serve(server, "/bad", broken), full_text=False)
    assert [item.title for item in read.items] == ["Ferry timetable changes"]


CAFE = """<?xml version="1.0"{decl}?><rss version="2.0"><channel><title>Café Nouvelles</title>
<item><title>Crème brûlée wins the fair</title><link>{base}/fair</link>
<description>{body}</description></item></channel></rss>"""


@pytest.mark.parametrize(
    ("declaration", "content_type"),
    [
        (' encoding="utf-8"', "application/rss+xml; charset=utf-8"),  # both say UTF-8: wrong
        ("", "application/rss+xml"),  # nothing says anything
    ],
)
async def test_wrong_or_missing_encoding_is_recovered(
    server: FeedServer, fetcher: Fetcher, declaration: str, content_type: str
) -> None:
    text = CAFE.format(decl=declaration, base=server.url(""), body="Le café a gagné.")
    server.add("/cafe", text.encode("cp1252"), content_type=content_type)
    read = await read_source(fetcher, server.url("/cafe"), full_text=False)
    assert read.title == "Café Nouvelles"
    assert read.items[0].title == "Crème brûlée wins the fair"


async def test_html_served_as_a_feed_is_not_a_feed(server: FeedServer, fetcher: Fetcher) -> None:
    server.add("/feed", "<html><body><p>Sorry, moved.</p></body></html>", content_type=RSS_TYPE)
    with pytest.raises(SourceError) as caught:
        await read_source(fetcher, server.url("/feed"), kind="feed")
    assert caught.value.reason == "not a feed"


async def test_garbage_is_not_a_feed(server: FeedServer, fetcher: Fetcher) -> None:
    server.add("/feed", "%%% \x7f not xml at all {{{", content_type="text/plain")
    with pytest.raises(SourceError, match="not a feed"):
        await read_source(fetcher, server.url("/feed"), kind="feed")


async def test_feeds_parsed_in_an_executor(server: FeedServer, fetcher: Fetcher) -> None:
    server.add("/html", "<html><body><p>Sorry, moved.</p></body></html>", content_type=RSS_TYPE)
    with ProcessPoolExecutor(1) as executor:
        url = serve(server, "/rss", RSS20, content_type=RSS_TYPE)
        read = await read_source(fetcher, url, full_text=False, executor=executor)
        with pytest.raises(SourceError) as caught:
            await read_source(fetcher, server.url("/html"), kind="feed", executor=executor)
    assert read.title == "Harbour Gazette"
    assert [item.guid for item in read.items] == ["ferry-1"]
    assert caught.value.reason == "not a feed"


async def test_empty_feed_has_no_items(server: FeedServer, fetcher: Fetcher) -> None:
    empty = '<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    server.add("/empty", empty, content_type=RSS_TYPE)
    read = await read_source(fetcher, server.url("/empty"))
    assert read.title == "Quiet"
    assert read.items == ()


PARTIAL = """<?xml version="1.0"?><rss version="2.0"><channel><title>Patchy</title>
<item><description>{body}</description><guid isPermaLink="false">no-link-1</guid></item>
<item><link>{base}/untitled</link>
<description>Short words about the untitled item here.</description>
<pubDate>not a date at all</pubDate></item>
<item><title>Nothing dated</title><link>{base}/undated</link>
<description>{body}</description></item>
<item></item>
</channel></rss>"""


async def test_entries_without_link_title_or_date(server: FeedServer, fetcher: Fetcher) -> None:
    read = await read_source(fetcher, serve(server, "/partial", PARTIAL), full_text=False)
    no_link, no_title, no_date = read.items
    assert (no_link.url, no_link.canonical_url, no_link.guid) == (None, None, "no-link-1")
    assert no_link.title == " ".join(LONG.split()[:12]) + "…"
    assert no_title.title == "Short words about the untitled item here."
    assert no_title.guid == server.url("/untitled")
    assert no_title.published is None
    assert no_date.published is None
    assert no_date.title == "Nothing dated"


async def test_snippet_entries_get_their_full_text(server: FeedServer, fetcher: Fetcher) -> None:
    snippet = "The island ferry will run more often from Monday… Read more"
    url = serve(server, "/rss", RSS20, body=snippet)
    server.add("/ferry", ARTICLE_PAGE)
    [item] = (await read_source(fetcher, url)).items
    assert item.is_full_text
    assert '"We listened to our passengers' in item.text
    assert "Copyright" not in item.text
    assert item.title == "Ferry timetable changes"
    assert item.canonical_url == server.url("/ferry")


async def test_failed_full_text_fetch_keeps_the_snippet(
    server: FeedServer, fetcher: Fetcher
) -> None:
    snippet = "The island ferry will run more often from Monday…"
    url = serve(server, "/rss", RSS20, body=snippet)  # /ferry is not served: 404
    [item] = (await read_source(fetcher, url)).items
    assert not item.is_full_text
    assert item.text == snippet
    assert server.requests["/ferry"] == 1


async def test_known_entries_are_skipped_without_fetching(
    server: FeedServer, fetcher: Fetcher
) -> None:
    url = serve(server, "/rss", RSS20, body="Short snippet…")
    read = await read_source(fetcher, url, known_guids={"ferry-1"})
    assert read.items == ()
    assert server.requests["/ferry"] == 0


async def test_not_modified_feed_has_no_items(server: FeedServer, fetcher: Fetcher) -> None:
    url = serve(server, "/rss", RSS20, etag='"abc"')
    first = await read_source(fetcher, url, full_text=False)
    again = await read_source(fetcher, url, etag=first.etag)
    assert first.etag == '"abc"'
    assert len(first.items) == 1
    assert again.not_modified
    assert again.items == ()


async def test_feed_is_discovered_from_a_page(server: FeedServer, fetcher: Fetcher) -> None:
    serve(server, "/feeds/main.xml", ATOM, content_type="application/atom+xml")
    home = """<html><head><title>Coast Herald</title>
    <link rel="stylesheet" href="/style.css">
    <link rel="alternate" type="application/atom+xml" title="Main" href="feeds/main.xml">
    </head><body><p>Welcome</p></body></html>"""
    server.add("/", home)
    read = await read_source(fetcher, server.url("/"), full_text=False)
    assert read.kind == "feed"
    assert read.url == server.url("/feeds/main.xml")
    assert [item.title for item in read.items] == ["Storm warning"]


async def test_page_without_feed_is_a_one_article_source(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/ferry", ARTICLE_PAGE)
    read = await read_source(fetcher, server.url("/ferry"))
    assert read.kind == "page"
    [item] = read.items
    assert item.url == server.url("/ferry")
    assert item.title == "Ferry timetable changes"
    assert "Maria Lund" in item.text
    assert "Sport | Weather" not in item.text


async def test_page_without_article_text_is_a_source_error(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/blank", "<html><head><title>x</title></head><body></body></html>")
    with pytest.raises(SourceError, match="no article text"):
        await read_source(fetcher, server.url("/blank"))


async def test_items_that_change_guid_every_fetch_keep_their_dedup_keys(
    server: FeedServer, fetcher: Fetcher
) -> None:
    reads = []
    for fetch in range(2):
        changing = RSS20.replace("ferry-1", f"ferry-{fetch}-{fetch * 7919}")
        serve(server, "/rss", changing)
        reads.append(await read_source(fetcher, server.url("/rss"), full_text=False))
    first, second = (read.items[0] for read in reads)
    assert first.guid != second.guid
    assert first.canonical_url == second.canonical_url == server.url("/ferry")
    assert first.text == second.text


async def test_entry_without_guid_or_link_gets_a_content_guid(
    server: FeedServer, fetcher: Fetcher
) -> None:
    bare = PARTIAL.replace('<guid isPermaLink="false">no-link-1</guid>', "")
    read = await read_source(fetcher, serve(server, "/bare", bare), full_text=False)
    again = await read_source(fetcher, server.url("/bare"), full_text=False)
    assert read.items[0].guid.startswith("sha256:")
    assert read.items[0].guid == again.items[0].guid
