"""Run wrk (github.com/wg/wrk; Debian's package `wrk`) with a Lua script that posts the request.

One wrk thread drives every connection through epoll: at a thousand requests a second it
uses a few percent of a core, where Python clients would use a large share of one.
The script's done() prints what the report needs on one line, latencies in microseconds.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.load_generator import LoadRequest

RESULT_TAG = "wrk-result"
# wrk counts a response as an error only by socket errors and statuses >= 400; this script
# also counts every status other than the expected one (a 200 where 201 was due is wrong).
SCRIPT = """
wrk.method = "POST"
wrk.path = {path}
wrk.body = {body}
{headers}
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) unexpected = 0 end
function response(status, headers, body)
  if status ~= {expected} then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local unexpected_total = 0
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + thread:get("unexpected")
  end
  local e = summary.errors
  io.write(string.format("{tag} %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, unexpected_total))
end
"""


def lua_string(text: str | bytes) -> str:
    """text as a Lua string literal: printable ASCII as is, every other byte as \\ddd."""
    data = text.encode("latin-1") if isinstance(text, str) else text
    return '"' + "".join(
        chr(byte) if 32 <= byte < 127 and chr(byte) not in '"\\' else f"\\{byte:03d}"
        for byte in data
    ) + '"'


def wrk_script(request: LoadRequest) -> str:
    """The Lua script that makes wrk send request and check each answer's status."""
    headers = "\n".join(f"wrk.headers[{lua_string(name)}] = {lua_string(value)}"
                        for name, value in request.headers.items())
    return SCRIPT.format(path=lua_string(request.path), body=lua_string(request.body),
                         headers=headers, expected=request.expected_status, tag=RESULT_TAG)


def run_wrk(
    wrk: str, port: int, request: LoadRequest, seconds: float, clients: int,
    timeout_seconds: float,
) -> dict[str, Any]:
    """Run wrk with one thread and clients connections for seconds; what it measured."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        script = Path(folder) / "post.lua"
        script.write_text(wrk_script(request), encoding="utf-8")
        command = [wrk, "--threads", "1", "--connections", str(clients),
                   "--duration", f"{max(1, round(seconds))}s",
                   "--timeout", f"{max(1, round(timeout_seconds))}s",
                   "--script", str(script), f"http://127.0.0.1:{port}{request.path}"]
        done = subprocess.run(command, capture_output=True, text=True, check=True,
                              timeout=seconds + timeout_seconds + 30)
    line = next(line for line in done.stdout.splitlines() if line.startswith(RESULT_TAG))
    completed, duration_us, p50_us, p99_us, socket_errors, unexpected = map(
        int, line.split()[1:])
    return {
        "generator": f"wrk ({version(wrk)}, 1 thread)",
        "requests": completed + socket_errors,
        "requests_per_second": (completed + socket_errors) / (duration_us / 1e6),
        "p50_ms": p50_us / 1000, "p99_ms": p99_us / 1000, "samples": completed,
        "errors": socket_errors + unexpected,
        "error_kinds": [kind for kind, count in (("socket errors or timeouts", socket_errors),
                                                 ("unexpected status", unexpected)) if count],
    }


def version(wrk: str) -> str:
    """wrk's version, as `wrk -v` prints it first."""
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True)
    words = (done.stdout or done.stderr).split()
    return words[1] if len(words) > 1 else "version unknown"
