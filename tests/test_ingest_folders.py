"""Local folders: scan_folder() and read_source() over a folder."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.config import SourcesConfig
from bot.errors import BlockedAddressError, SourceError
from bot.ingest.fetch import Fetcher
from bot.ingest.folders import scan_folder
from bot.ingest.sources import read_source

PAGE = """<html><head><title>Library hours</title></head><body><article><h1>Library hours</h1>
<p>The town library will open on Sundays from next month, the council said on Friday, after a
petition signed by more than two thousand residents asked for weekend opening hours.</p>
<p>"Reading rooms should be open when people are free," said librarian Tom Berg, who led the
campaign, adding that volunteers would help staff the extra shifts at no cost.</p>
</article></body></html>"""


def make_folder(root: Path) -> Path:
    folder = root / "news"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Market day moved\n\nThe market moves to Thursday.\n")
    (folder / "b.md").write_text("# Road works\n\nThe bridge road closes for a week.\n")
    (folder / "sub" / "c.html").write_text(PAGE)
    (folder / "latin.txt").write_bytes("Café opens\nThe café opens at eight.".encode("cp1252"))
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    (folder / "empty.md").write_text("  \n")
    (folder / "notes.csv").write_text("not,an,article\n")
    (folder / ".hidden.txt").write_text("Secret draft\nnot for publishing\n")
    for offset, name in enumerate(["a.txt", "b.md", "sub/c.html", "latin.txt"]):
        os.utime(folder / name, (1_700_000_000 + offset, 1_700_000_000 + offset))
    return folder


def test_scan_folder_reads_articles_and_skips_bad_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = make_folder(tmp_path)
    with caplog.at_level(logging.WARNING, logger="bot.ingest.folders"):
        articles = scan_folder(folder)
    assert [a.path.name for a in articles] == ["a.txt", "b.md", "c.html", "latin.txt"]
    assert [a.title for a in articles] == [
        "Market day moved",
        "Road works",
        "Library hours",
        "Café opens",
    ]
    assert articles[0].text.startswith("Market day moved\n")
    assert "Tom Berg" in articles[2].text
    assert articles[0].url == (folder / "a.txt").resolve().as_uri()
    assert articles[0].modified.timestamp() == 1_700_000_000
    skipped = " ".join(record.getMessage() for record in caplog.records)
    assert "image.txt: binary file" in skipped
    assert "empty.md: empty file" in skipped


async def test_read_source_reads_a_listed_folder(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    config = SourcesConfig(folders=(str(tmp_path),))
    async with Fetcher(config) as fetcher:
        read = await read_source(fetcher, folder.as_uri())
        again = await read_source(
            fetcher, str(folder), known_guids={(folder / "a.txt").resolve().as_uri()}
        )
    assert read.kind == "folder"
    assert read.url == folder.resolve().as_uri()
    assert len(read.items) == 4
    assert all(item.is_full_text and item.published for item in read.items)
    assert len(again.items) == 3


async def test_folder_not_listed_in_config_is_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    async with Fetcher(SourcesConfig(folders=(str(tmp_path / "elsewhere"),))) as fetcher:
        with pytest.raises(BlockedAddressError, match="folders"):
            await read_source(fetcher, folder.as_uri())


async def test_a_file_url_urlsplit_cannot_read_is_a_source_error(tmp_path: Path) -> None:
    async with Fetcher(SourcesConfig(folders=(str(tmp_path),))) as fetcher:
        with pytest.raises(SourceError, match="invalid URL"):
            await read_source(fetcher, "file://[::1/articles")
