"""`newsdigest digest` run as a real command, with pages served over HTTP on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.digest_command import extract_html_article

ARTICLE = """Night ferry approved after long debate - Harbour Gazette

The service will run every hour from May, the transport committee said

The harbour council voted 30 to 10 on Tuesday to fund a night ferry, Mayor Elena Ruiz said.

“People have waited long enough,” Ruiz said. “We will run it on time.”

Tickets will cost the same as day fares, the operator said.

Related Articles
"""

PAGE = """<!DOCTYPE html><html><head><title>Night ferry approved | Harbour Gazette</title>
<meta name="date" content="2024-03-05"></head><body><nav>Home News Sport</nav><article>
<h1>Night ferry approved</h1>
<p>The harbour council voted 30 to 10 on Tuesday to fund a night ferry service for the islands,
Mayor Elena Ruiz said after a long debate in the old town hall.</p>
<p>“People have waited long enough for a way home after the late shift,” Ruiz said.</p>
<p>Tickets will cost the same as day fares, the operator said on Wednesday, and the first
sailings will leave the old quay at midnight on the first Friday of May.</p>
</article><footer>Contact us</footer></body></html>"""

BIG_PAGE_BYTES = 6 * 1024 * 1024


def _run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "digest", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/article":
            self._send(200, "text/html; charset=utf-8", PAGE.encode())
        elif self.path == "/plain":
            self._send(200, "text/plain; charset=utf-8", ARTICLE.encode())
        elif self.path == "/image":
            self._send(200, "image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big":
            self._send(200, "text/plain", b"a" * BIG_PAGE_BYTES)
        else:
            self._send(404, "text/plain", b"not found")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)  # the client may stop reading: the size cap at work

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def article_file(tmp_path: Path) -> Path:
    path = tmp_path / "ferry.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def _one_line_error(result: subprocess.CompletedProcess[bytes], expected: str) -> None:
    assert result.returncode == 1
    assert result.stdout == b""
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert expected in lines[0]


def test_text_output_for_a_person(article_file: Path) -> None:
    result = _run(str(article_file))
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert out.startswith("Night ferry approved after long debate\n")
    assert "The service will run every hour from May" in out
    assert "Summary:\n  • The harbour council voted 30 to 10" in out
    assert re.search(r"\nKey quotes:\n(  “[^\n]+[^,]” — [^\n]+\n)+\Z", out)
    assert "Harbour Gazette" not in out
    assert "Related Articles" not in out


def test_json_output(article_file: Path) -> None:
    result = _run(str(article_file), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["headline", "standfirst", "text", "summary", "quotes", "key_quotes"]
    assert data["headline"] == "Night ferry approved after long debate"
    for item in data["summary"] + data["quotes"]:
        assert data["text"][item["start"] : item["end"]] == item["text"]


def test_standard_input() -> None:
    result = _run("-", "--format", "json", stdin=ARTICLE.encode())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["headline"] == "Night ferry approved after long debate"


def test_html_file_is_extracted(tmp_path: Path) -> None:
    page = tmp_path / "ferry.html"
    page.write_text(PAGE, encoding="utf-8")
    result = _run(str(page), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["headline"] == "Night ferry approved"
    assert "voted 30 to 10" in data["text"]
    assert "Contact us" not in data["text"]
    assert "<p>" not in data["text"]


def test_url_is_fetched_and_extracted(server: str) -> None:
    result = _run(f"{server}/article", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["headline"] == "Night ferry approved"
    assert "Tickets will cost the same as day fares" in data["text"]


def test_plain_text_url_is_used_as_it_is(server: str) -> None:
    result = _run(f"{server}/plain", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["headline"] == "Night ferry approved after long debate"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/missing", "HTTP 404"),
        ("/loop", "redirects"),
        ("/image", "not an article page (image/png)"),
        ("/big", "larger than 5 MB"),
    ],
)
def test_bad_url_is_a_one_line_error(server: str, path: str, expected: str) -> None:
    _one_line_error(_run(f"{server}{path}"), expected)


def test_unreachable_url_is_a_one_line_error() -> None:
    _one_line_error(_run("http://127.0.0.1:9/article"), "cannot fetch")


def test_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    _one_line_error(_run(str(tmp_path / "nope.txt")), "no such file")


def test_binary_file_is_a_one_line_error(tmp_path: Path) -> None:
    image = tmp_path / "photo.txt"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    _one_line_error(_run(str(image)), "binary data")


def test_directory_is_a_one_line_error(tmp_path: Path) -> None:
    _one_line_error(_run(str(tmp_path)), "is a directory")


def test_legacy_encoded_text_file_is_read(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes(
        "Café owners welcome the night ferry\n\nThe café opened at dawn.".encode("cp1252")
    )
    result = _run(str(legacy), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["headline"] == "Café owners welcome the night ferry"


def test_no_source_is_a_usage_error() -> None:
    result = _run()
    assert result.returncode == 2
    assert b"give a FILE, a URL" in result.stderr


def test_batch_reports_bad_lines_and_processes_the_rest(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a1", "text": ARTICLE, "title": "Night ferry approved"}),
        "{not json",
        json.dumps({"id": 7, "text": "The council met. It voted."}),
        json.dumps({"id": "a4", "title": "no text"}),
        "",
        json.dumps(["not", "an", "object"]),
    ]
    batch = tmp_path / "articles.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run("--input", str(batch), "--format", "jsonl")
    assert result.returncode == 1
    outputs = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [o["id"] for o in outputs] == ["a1", 7]
    assert outputs[0]["headline"] == "Night ferry approved"
    assert set(outputs[1]) == {"id", "headline", "standfirst", "text", "summary", "quotes"} | {
        "key_quotes"
    }
    errors = result.stderr.decode()
    assert "line 2:" in errors
    assert "line 4:" in errors
    assert "line 6:" in errors
    assert "line 1:" not in errors
    assert "line 3:" not in errors


def test_batch_of_good_lines_succeeds(tmp_path: Path) -> None:
    batch = tmp_path / "articles.jsonl"
    batch.write_text(json.dumps({"id": "x", "text": ARTICLE}) + "\n", encoding="utf-8")
    result = _run("--input", str(batch))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "x"


def test_a_lone_surrogate_in_a_batch_line_becomes_a_question_mark(tmp_path: Path) -> None:
    batch = tmp_path / "articles.jsonl"
    line = '{"id": "s", "title": "Ferry \\ud800 plan", "text": "The council met \\ud800 today."}'
    batch.write_text(line + "\n", encoding="utf-8")
    result = _run("--input", str(batch), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["text"] == "The council met ? today."


def test_batch_refuses_another_output_format(tmp_path: Path) -> None:
    result = _run("--input", str(tmp_path / "any.jsonl"), "--format", "json")
    assert result.returncode == 2
    assert b"use --format jsonl" in result.stderr


def test_batch_with_a_missing_input_file(tmp_path: Path) -> None:
    _one_line_error(_run("--input", str(tmp_path / "none.jsonl")), "no such file")


def test_html_extraction_keeps_title_and_date() -> None:
    article = extract_html_article(PAGE.encode(), "https://example.org/ferry")
    assert article.title is not None
    assert article.title.startswith("Night ferry approved")
    assert article.published == datetime(2024, 3, 5, tzinfo=UTC)
    assert article.url == "https://example.org/ferry"
    assert "voted 30 to 10" in article.text
