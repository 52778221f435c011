"""Open-loop HTTP load: requests sent on a fixed schedule, each timed from when it was due.

Clients that wait for one answer before sending the next (a closed loop, as wrk does) slow
down with the server, so a stall delays the requests that would have measured it and the
percentiles hide it (coordinated omission). Here request i is due at start + i / rate,
whatever the server does, each on a connection of its own (gunicorn's sync workers close
every connection after one answer), and its latency runs from that due time to its answer's
last byte. If this process itself sends a request late, that lateness counts in the
request's latency too, and the result says how late the generator was, so it is never hidden.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from bench.latency import percentiles

# Whatever connections the answers have not freed by then wait for one, and their due time
# keeps running; a limit only so a stalled server cannot exhaust this process's descriptors.
MAX_IN_FLIGHT = 2000
START_LEAD_SECONDS = 0.05  # the schedule starts this far ahead, so request 0 is not late


@dataclass(frozen=True)
class LoadRequest:
    """The one request the load sends, and the status that counts as a success."""

    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    expected_status: int = 200

    def encode(self, port: int) -> bytes:
        """The request as bytes on the wire."""
        head = [f"POST {self.path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
                f"Content-Length: {len(self.body)}", "Connection: close",
                *(f"{name}: {value}" for name, value in self.headers.items())]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + self.body


class Exchange(asyncio.Protocol):
    """One request on a new connection: send it, read the answer, resolve `done` with its status.

    A Protocol rather than asyncio's streams: it costs this process about half the CPU per
    request, which the server it shares the cores with gets instead.
    """

    def __init__(self, wire: bytes, done: asyncio.Future[int]) -> None:
        self.wire = wire
        self.done = done
        self.received = bytearray()
        self.status = 0
        self.expected_length = -1  # the whole answer's length, once its head has arrived

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(self.wire)

    def data_received(self, data: bytes) -> None:
        self.received += data
        if self.expected_length < 0:
            self.read_head()
        if 0 <= self.expected_length <= len(self.received) and not self.done.done():
            self.done.set_result(self.status)

    def read_head(self) -> None:
        """Find the status and Content-Length once the head is in; fail without the latter."""
        end = self.received.find(b"\r\n\r\n")
        if end < 0:
            return
        lines = self.received[:end].decode("latin-1").split("\r\n")
        self.status = int(lines[0].split(" ", 2)[1])
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        if "content-length" not in headers and not self.done.done():
            self.done.set_exception(ValueError("a response without Content-Length"))
            return
        self.expected_length = end + 4 + int(headers["content-length"])

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(exc or EOFError("closed before the whole answer"))


@dataclass
class Tally:
    """What the requests of one load did: latencies from due time, lateness, errors."""

    latencies: list[float] = field(default_factory=list)
    late: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def generate_load(port: int, request: LoadRequest, rate: float, seconds: float,
                  timeout_seconds: float) -> dict[str, Any]:
    """Send rate requests a second for seconds, wait for the answers; what was measured."""
    return asyncio.run(open_loop(port, request, rate, seconds, timeout_seconds))


async def open_loop(port: int, request: LoadRequest, rate: float, seconds: float,
                    timeout_seconds: float) -> dict[str, Any]:
    """Send request number i at start + i / rate; then wait for every answer or its timeout."""
    loop = asyncio.get_running_loop()
    wire, tally = request.encode(port), Tally()
    slots = asyncio.Semaphore(MAX_IN_FLIGHT)
    count = max(1, round(rate * seconds))
    cpu_started = time.process_time()
    start = loop.time() + START_LEAD_SECONDS
    sent = []
    for i in range(count):
        due = start + i / rate
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        tally.late.append(loop.time() - due)
        sent.append(loop.create_task(exchange(port, wire, request.expected_status, due,
                                              timeout_seconds, slots, tally)))
    await asyncio.gather(*sent)
    elapsed = loop.time() - start
    return {
        "offered_per_second": rate, "requests": count,
        "answered_per_second": len(tally.latencies) / elapsed,
        **percentiles(tally.latencies),
        "max_ms": max(tally.latencies, default=float("nan")) * 1000,
        "late_p99_ms": percentiles(tally.late)["p99_ms"],
        "errors": len(tally.errors), "error_kinds": sorted(set(tally.errors))[:5],
        "generator_cpu_ms_per_request": (time.process_time() - cpu_started) * 1000 / count,
    }


async def exchange(port: int, wire: bytes, expected_status: int, due: float,
                   timeout_seconds: float, slots: asyncio.Semaphore, tally: Tally) -> None:
    """Send wire on a new connection; add its latency from due, or its error, to tally."""
    loop = asyncio.get_running_loop()
    transport: asyncio.BaseTransport | None = None
    async with slots:
        try:
            done: asyncio.Future[int] = loop.create_future()
            async with asyncio.timeout(timeout_seconds):
                transport, _ = await loop.create_connection(
                    lambda: Exchange(wire, done), "127.0.0.1", port)
                status = await done
        except (OSError, EOFError, ValueError, TimeoutError) as error:
            tally.errors.append(type(error).__name__)
            return
        finally:
            if transport is not None:
                transport.close()
    if status == expected_status:
        tally.latencies.append(loop.time() - due)
    else:
        tally.errors.append(f"HTTP {status}")
