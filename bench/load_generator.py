"""Closed-loop HTTP load: clients each send one request after another, as fast as answered.

wrk (a C program, bench/wrk.py) when it is on PATH, as it takes the least CPU from the server
it shares the cores with; else this module's asyncio clients on raw sockets, which send one
prebuilt request and read each answer by its Content-Length, in the benchmark's process.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from bench.latency import percentiles
from bench.wrk import run_wrk

CONNECT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class LoadRequest:
    """The one request every client sends, and the status that counts as a success."""

    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    expected_status: int = 200

    def encode(self, port: int) -> bytes:
        """The request as bytes on the wire."""
        head = [f"POST {self.path} HTTP/1.1", f"Host: 127.0.0.1:{port}",
                f"Content-Length: {len(self.body)}",
                *(f"{name}: {value}" for name, value in self.headers.items())]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + self.body


def generate_load(
    port: int, request: LoadRequest, seconds: float, clients: int, timeout_seconds: float,
) -> dict[str, Any]:
    """Load the server with wrk if installed, else with asyncio; what the chosen one measured.

    BENCH_LOAD_GENERATOR=asyncio chooses the fallback even where wrk is installed.
    """
    wrk = shutil.which("wrk")
    if wrk is not None and os.environ.get("BENCH_LOAD_GENERATOR", "wrk") == "wrk":
        return run_wrk(wrk, port, request, seconds, clients, timeout_seconds)
    return asyncio.run(asyncio_load(port, request, seconds, clients, timeout_seconds))


async def asyncio_load(
    port: int, request: LoadRequest, seconds: float, clients: int, timeout_seconds: float,
) -> dict[str, Any]:
    """Run clients coroutines until seconds have passed; count, latencies, errors."""
    wire = request.encode(port)
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(
        client(port, wire, request.expected_status, deadline, timeout_seconds, latencies, errors)
        for _ in range(clients)
    ))
    elapsed = time.monotonic() - started
    done = len(latencies) + len(errors)
    return {
        "generator": "asyncio clients on raw sockets (in the benchmark's process)",
        "requests": done, "requests_per_second": done / elapsed, **percentiles(latencies),
        "errors": len(errors), "error_kinds": sorted(set(errors))[:5],
    }


async def client(
    port: int, wire: bytes, expected_status: int, deadline: float, timeout_seconds: float,
    latencies: list[float], errors: list[str],
) -> None:
    """Send wire again and again on one connection, reconnecting when the server closes it."""
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            if connection is None:
                connection = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port), CONNECT_TIMEOUT_SECONDS)
            reader, writer = connection
            writer.write(wire)
            status, keep_alive = await asyncio.wait_for(read_response(reader), timeout_seconds)
        except (OSError, EOFError, ValueError, TimeoutError) as error:
            errors.append(type(error).__name__)
            await close(connection)
            connection = None
            continue
        if status == expected_status:
            latencies.append(time.perf_counter() - started)
        else:
            errors.append(f"HTTP {status}")
        if not keep_alive:  # gunicorn's sync workers close every connection after one answer
            await close(connection)
            connection = None
    await close(connection)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response with a Content-Length; its status and whether the connection stays."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = dict(line.lower().split(": ", 1) for line in head[1:] if ": " in line)
    if "content-length" not in headers:
        raise ValueError("a response without Content-Length")
    await reader.readexactly(int(headers["content-length"]))
    return status, headers.get("connection") != "close"


async def close(
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None,
) -> None:
    """Close the connection, if any."""
    if connection is not None:
        connection[1].close()
        with suppress(OSError):  # the server had closed it already: closed either way
            await connection[1].wait_closed()
