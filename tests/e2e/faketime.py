"""libfaketime (Debian's `faketime`): run a process whose clock is ahead of the host's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Where Debian and Ubuntu put it, for each architecture.
LIBRARY_GLOB = "/usr/lib/*/faketime/libfaketime.so.1"


def clock_ahead_env(seconds: int) -> dict[str, str]:
    """The environment that sets a process's clock `seconds` ahead; skip without
    libfaketime, except under CI, where `make test` must have installed it."""
    found = sorted(Path("/").glob(LIBRARY_GLOB.lstrip("/")))
    if not found:
        message = "libfaketime is not installed (apt-get install faketime; make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Only the wall clock, as on a host whose clock is off: a faked monotonic clock would
    # also stretch every timed wait (Python waits on absolute monotonic deadlines).
    return {"LD_PRELOAD": str(found[0]), "FAKETIME": f"+{seconds}s",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
