"""The load generators count answers, latencies and errors: asyncio always, wrk where installed."""

from __future__ import annotations

import asyncio
import http.server
import shutil
import threading
from collections.abc import Iterator

import pytest

from bench.load_generator import LoadRequest, asyncio_load
from bench.wrk import lua_string, run_wrk

BODY = b'{"ok": true}'


class Answer(http.server.BaseHTTPRequestHandler):
    """201 to POST /orders on a kept connection; /close closes it; /wrong answers 200."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200 if self.path == "/wrong" else 201)
        self.send_header("Content-Length", str(len(BODY)))
        if self.path == "/close":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet


@pytest.fixture
def port() -> Iterator[int]:
    """The port of a small HTTP server answering as Answer does."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join()


def order(path: str) -> LoadRequest:
    return LoadRequest(path, b'{"sku": "TEA-SENCHA"}', {"Content-Type": "application/json"}, 201)


@pytest.mark.parametrize("path", ["/orders", "/close"])
def test_asyncio_clients_count_every_answer_on_kept_and_closed_connections(
    port: int, path: str
) -> None:
    result = asyncio.run(asyncio_load(port, order(path), 0.3, 4, 5.0))

    assert result["requests"] > 0 and result["errors"] == 0
    assert result["samples"] == result["requests"]
    assert 0 < result["p50_ms"] <= result["p99_ms"]


def test_asyncio_clients_count_an_unexpected_status_as_an_error(port: int) -> None:
    result = asyncio.run(asyncio_load(port, order("/wrong"), 0.3, 4, 5.0))

    assert result["requests"] > 0 and result["errors"] == result["requests"]
    assert result["error_kinds"] == ["HTTP 200"]


def test_a_lua_string_escapes_quotes_backslashes_and_control_bytes() -> None:
    assert lua_string('a"b\\\n') == '"a\\034b\\092\\010"'


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_posts_the_request_and_counts_unexpected_statuses(port: int) -> None:
    wrk = shutil.which("wrk") or "wrk"

    good = run_wrk(wrk, port, order("/close"), 1.0, 4, 5.0)
    wrong = run_wrk(wrk, port, order("/wrong"), 1.0, 4, 5.0)

    assert good["requests"] > 0 and good["errors"] == 0
    assert 0 < good["p50_ms"] <= good["p99_ms"]
    assert wrong["requests"] > 0 and wrong["errors"] == wrong["requests"]
    assert good["generator"].startswith("wrk")
