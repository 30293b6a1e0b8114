"""Local folders: each .txt, .md or .html file under a folder is an article.

Plain-text and Markdown files keep their raw text (the digest engine takes the first line as
the headline); the title is that first line without Markdown's heading marks. HTML files go
through extract_page. A file that cannot be read, is binary, is not UTF-8 (or cp1252) text, is
larger than the cap or holds no article is skipped and logged, never fatal for the scan.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import SourceError
from bot.ingest.pages import extract_page
from bot.ingest.similarity import content_hash

logger = logging.getLogger(__name__)

ARTICLE_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm"})
MAX_FILE_BYTES = 5_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalArticle:
    """An article read from a local file; `url` is its file:// URL."""

    path: Path
    url: str
    title: str | None
    text: str
    modified: datetime
    content_hash: str


def scan_folder(path: Path | str, *, max_bytes: int = MAX_FILE_BYTES) -> tuple[LocalArticle, ...]:
    """Read every article file under `path` (recursively, hidden files excluded), oldest first."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise SourceError(folder.as_uri() if folder.is_absolute() else str(folder), "not a folder")
    articles = []
    for file in sorted(folder.rglob("*")):
        if _is_candidate(file, folder):
            try:
                articles.append(_read_article(file, max_bytes))
            except (OSError, SourceError) as exc:
                logger.warning("skipped %s: %s", file, getattr(exc, "reason", exc))
    return tuple(sorted(articles, key=lambda article: (article.modified, str(article.path))))


def _is_candidate(file: Path, folder: Path) -> bool:
    hidden = any(part.startswith(".") for part in file.relative_to(folder).parts)
    return not hidden and file.suffix.lower() in ARTICLE_SUFFIXES and file.is_file()


def _read_article(file: Path, max_bytes: int) -> LocalArticle:
    stat = file.stat()
    url = file.resolve().as_uri()
    if stat.st_size > max_bytes:
        raise SourceError(url, "file larger than the cap")
    content = file.read_bytes()
    if b"\x00" in content[:4096]:
        raise SourceError(url, "binary file")
    if file.suffix.lower() in (".html", ".htm"):
        page = extract_page(content, url=url)
        title, text = page.title, page.text
    else:
        text = _decode(content, url)
        title = _first_line(text)
    if not text.strip():
        raise SourceError(url, "empty file")
    return LocalArticle(
        path=file,
        url=url,
        title=title,
        text=text,
        modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
        content_hash=content_hash(text),
    )


def _decode(content: bytes, url: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SourceError(url, "not UTF-8 text")


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        title = line.strip().lstrip("#").strip()
        if title:
            return title
    return None
