"""The open-loop generator sends on schedule, times from due time, and counts every error."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bench.load_generator import LoadRequest, generate_load

BODY = b'{"ok": true}'
STALL_SECONDS = 0.3


class Answer(http.server.BaseHTTPRequestHandler):
    """201 to POST /orders; /wrong answers 200; /stall answers the first request late."""

    protocol_version = "HTTP/1.1"
    stalled = threading.Event()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/stall" and not Answer.stalled.is_set():
            Answer.stalled.set()
            time.sleep(STALL_SECONDS)  # the server stalls: what the test measures
        self.send_response(200 if self.path == "/wrong" else 201)
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet


@contextmanager
def serving(server_class: type[http.server.HTTPServer]) -> Iterator[int]:
    """The port of a small HTTP server answering as Answer does, for the block."""
    Answer.stalled.clear()
    server = server_class(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def port() -> Iterator[int]:
    """A server answering many requests at once."""
    with serving(http.server.ThreadingHTTPServer) as port:
        yield port


@pytest.fixture
def serial_port() -> Iterator[int]:
    """A server answering one request after another, as a single busy worker does."""
    with serving(http.server.HTTPServer) as port:
        yield port


def order(path: str) -> LoadRequest:
    return LoadRequest(path, b'{"sku": "TEA-SENCHA"}', {"Content-Type": "application/json"}, 201)


def test_it_sends_rate_times_seconds_requests_and_times_each_answer(port: int) -> None:
    result = generate_load(port, order("/orders"), 50.0, 0.4, 5.0)

    assert result["requests"] == 20 and result["samples"] == 20 and result["errors"] == 0
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert result["late_p99_ms"] >= 0


def test_a_stall_counts_against_every_request_due_during_it(serial_port: int) -> None:
    # Given a server that answers one request at a time and stalls STALL_SECONDS on the
    # first: the requests due meanwhile wait in its backlog
    result = generate_load(serial_port, order("/stall"), 20.0, 0.5, 5.0)

    # Then their waits count, from their due times: at 20 a second, the 6 requests due in
    # the stall's 0.3 s waited 0.3, 0.25, ... 0.05 s, so the median of the 10 is over 50 ms
    # (where clients that wait for each answer before sending would record one slow
    # request and nine fast ones)
    assert result["errors"] == 0 and result["samples"] == 10
    assert result["max_ms"] >= STALL_SECONDS * 1000
    assert result["p50_ms"] >= 50


def test_an_unexpected_status_is_an_error(port: int) -> None:
    result = generate_load(port, order("/wrong"), 50.0, 0.2, 5.0)

    assert result["requests"] == 10 and result["errors"] == 10
    assert result["error_kinds"] == ["HTTP 200"]


def test_a_refused_connection_is_an_error() -> None:
    # Given a port nothing listens on (bound, so no one else takes it meanwhile)
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        result = generate_load(bound.getsockname()[1], order("/orders"), 50.0, 0.1, 1.0)

    assert result["errors"] == result["requests"] == 5
    assert result["samples"] == 0
