"""`python -m bench.peers.worker NAME`: run a peer's worker (its module's `work()`).

A launcher, so the peer's module is imported once, by its own name, and the task the
worker finds is the one whose recorder writes the result.
"""

from __future__ import annotations

import importlib
import sys


def main(argv: list[str] | None = None) -> int:
    (name,) = sys.argv[1:] if argv is None else argv
    importlib.import_module(f"bench.peers.{name}_peer").work()
    return 0


if __name__ == "__main__":
    sys.exit(main())
