"""`newsdigest digest`: print the digest of a file, a URL, standard input, or a JSONL batch.

The URL fetch here is deliberately small and self-contained (httpx with a timeout, a redirect
limit and a 5 MB cap while streaming, trafilatura for the article); it is meant to be pointed
at the shared fetcher of bot/ingest later. trafilatura and httpx are imported only when a page
is fetched or an HTML file read, so plain text and batch runs start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Any

from bot.errors import NewsdigestError, SourceError, UsageError
from bot.ingest.markup import replace_surrogates
from digests import Digest, Quote, build_digest, digest_to_dict

MAX_ARTICLE_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 15.0
MAX_REDIRECTS = 5
_SNIFF_BYTES = 8192
_HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
_QUOTE_TRAILER = " ,;:"
_USER_AGENT = "newsdigest/0.1 (+https://github.com/newsdigest)"


@dataclass(frozen=True, slots=True)
class ArticleText:
    """An article as read from a file, a page or standard input, before digesting."""

    text: str
    title: str | None = None
    url: str | None = None
    published: datetime | None = None


def run_digest_command(args: argparse.Namespace) -> int:
    """Run `newsdigest digest`; one-line errors on stderr, non-zero exit on failure."""
    try:
        if args.input is not None:
            _check_batch_arguments(args)
            return _run_batch(args.input, sys.stdout.buffer, sys.stderr)
        if not args.source:
            raise UsageError("give a FILE, a URL, or - for standard input (or --input FILE)")
        article = load_article(args.source)
    except UsageError as error:
        print(f"newsdigest digest: {error}", file=sys.stderr)
        return 2
    except NewsdigestError as error:
        print(f"newsdigest digest: {error}", file=sys.stderr)
        return 1
    digest = build_digest(
        article.text, title=article.title, url=article.url, published=article.published
    )
    _write_digest(digest, args.format or "text")
    return 0


def _check_batch_arguments(args: argparse.Namespace) -> None:
    if args.source:
        raise UsageError("give either a source or --input, not both")
    if args.format not in (None, "jsonl"):
        raise UsageError("--input writes JSON lines: use --format jsonl")


def _write_digest(digest: Digest, output_format: str) -> None:
    if output_format == "text":
        sys.stdout.write(render_digest_text(digest))
        return
    data = digest_to_dict(digest)
    indent = 2 if output_format == "json" else None
    sys.stdout.buffer.write(json.dumps(data, ensure_ascii=False, indent=indent).encode() + b"\n")


def render_digest_text(digest: Digest) -> str:
    """The digest for a person: headline, standfirst, summary, key quotes with speakers."""
    lines = [digest.headline or "(no headline)"]
    if digest.standfirst:
        lines.append(digest.standfirst)
    if digest.summary:
        lines += ["", "Summary:", *(f"  • {s.text}" for s in digest.summary)]
    if digest.key_quotes:
        lines += ["", "Key quotes:", *(_render_quote(q) for q in digest.key_quotes)]
    if not digest.summary and not digest.key_quotes:
        lines += ["", "(no summary: the article has no usable sentences)"]
    return "\n".join(lines) + "\n"


def _render_quote(quote: Quote) -> str:
    # A quote cut before its attribution keeps the comma of "...inflation," he said: not shown.
    return f"  “{quote.text.rstrip(_QUOTE_TRAILER)}” — {quote.speaker}"


def load_article(source: str) -> ArticleText:
    """Read an article from a path, an http(s) URL, or `-` (standard input)."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_ARTICLE_BYTES + 1)
        return _article_from_bytes(_capped(data, "standard input"), "standard input")
    if source.startswith(("http://", "https://")):
        return fetch_article(source)
    return _article_from_bytes(_read_file(Path(source)), source)


def _read_file(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise SourceError(str(path), "is a directory, not an article file")
        with path.open("rb") as file:
            return _capped(file.read(MAX_ARTICLE_BYTES + 1), str(path))
    except FileNotFoundError:
        raise SourceError(str(path), "no such file") from None
    except OSError as error:
        raise SourceError(str(path), error.strerror or "cannot be read") from None


def _capped(data: bytes, name: str) -> bytes:
    if len(data) > MAX_ARTICLE_BYTES:
        raise SourceError(name, "larger than 5 MB")
    return data


def _article_from_bytes(data: bytes, name: str, content_type: str = "") -> ArticleText:
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head:
        raise SourceError(name, "binary data, not an article")
    if "html" in content_type or Path(name).suffix.lower() in _HTML_SUFFIXES or _looks_html(head):
        return extract_html_article(data, name if "://" in name else None)
    return ArticleText(text=_decode(data))


def _looks_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:100].lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def extract_html_article(html: bytes, url: str | None) -> ArticleText:
    """Title, text and date of an HTML page, extracted with trafilatura."""
    import trafilatura

    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    found = _as_mapping(document)
    text = found.get("text") or ""
    if not text.strip():
        raise SourceError(url or "HTML file", "no article text found in the page")
    return ArticleText(
        text=text, title=found.get("title"), url=url, published=_parse_date(found.get("date"))
    )


def _as_mapping(document: object) -> dict[str, Any]:
    if document is None:
        return {}
    if isinstance(document, dict):
        return document
    return {key: getattr(document, key, None) for key in ("text", "title", "date")}


def _parse_date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.combine(date.fromisoformat(value[:10]), time(), tzinfo=UTC)
    except ValueError:
        return None


def fetch_article(url: str) -> ArticleText:
    """Fetch a page (timeout, redirect limit, 5 MB cap) and extract its article."""
    import httpx

    try:
        with (
            httpx.Client(
                timeout=FETCH_TIMEOUT_SECONDS,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                headers={"User-Agent": _USER_AGENT},
                trust_env=False,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise SourceError(url, f"HTTP {response.status_code}")
            body = _read_capped(response.iter_bytes(), url)
            content_type = response.headers.get("content-type", "").lower()
    except httpx.TooManyRedirects:
        raise SourceError(url, f"more than {MAX_REDIRECTS} redirects") from None
    except httpx.HTTPError as error:
        raise SourceError(url, f"cannot fetch: {error or type(error).__name__}") from None
    if content_type and not content_type.startswith("text/") and "html" not in content_type:
        raise SourceError(url, f"not an article page ({content_type.split(';')[0]})")
    article = _article_from_bytes(body, url, content_type)
    return ArticleText(article.text, article.title, url, article.published)


def _read_capped(chunks: Iterable[bytes], url: str) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > MAX_ARTICLE_BYTES:
            raise SourceError(url, "larger than 5 MB")
    return bytes(body)


def _run_batch(path: str, out: IO[bytes], err: IO[str]) -> int:
    """Digest every line of a JSONL file; a bad line is reported and the rest still processed."""
    failed = 0
    with _open_batch(path) as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = _parse_record(line)
            except ValueError as error:
                print(f"newsdigest digest: {path}: line {number}: {error}", file=err)
                failed += 1
                continue
            digest = build_digest(record["text"], title=record.get("title"))
            data = {"id": record.get("id"), **digest_to_dict(digest)}
            out.write(json.dumps(data, ensure_ascii=False).encode() + b"\n")
    out.flush()
    if failed:
        print(f"newsdigest digest: {failed} line(s) failed", file=err)
    return 1 if failed else 0


def _open_batch(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return Path(path).open("rb")
    except FileNotFoundError:
        raise SourceError(path, "no such file") from None
    except OSError as error:
        raise SourceError(path, error.strerror or "cannot be read") from None


def _parse_record(line: bytes) -> dict[str, Any]:
    """One batch line: a JSON object with a string `text`, an `id` and an optional `title`."""
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not a JSON line ({error})") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    if not isinstance(record.get("text"), str):
        raise ValueError('no "text" string')
    if record.get("title") is not None and not isinstance(record["title"], str):
        raise ValueError('"title" is not a string')
    for key in ("text", "title"):
        if isinstance(record.get(key), str):
            record[key] = replace_surrogates(record[key])
    return record
