"""Throwaway virtualenvs for the peers, outside the project (default /tmp/bench-peers-venv).

Each peer gets `<root>/<name>/`, made with `python -m venv` and pip, and reused while its
requirements are unchanged. hiredis is removed where a peer pulls it in (arq does), so
every system parses replies with redis-py's own Python parser, as the project does.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.peers import REQUIREMENTS

DEFAULT_ROOT = Path("/tmp/bench-peers-venv")
STAMP = "bench-requirements.txt"


class VenvFailed(RuntimeError):
    """A peer's virtualenv could not be made; the message says why, in a line."""


def python_of(root: Path, name: str) -> Path:
    """The interpreter of a peer's virtualenv."""
    return root / name / "bin" / "python"


def ensure_venv(root: Path, name: str) -> Path:
    """Make (or reuse) the virtualenv of one peer; return its python."""
    venv = root / name
    wanted = "\n".join(REQUIREMENTS[name]) + "\n"
    stamp = venv / STAMP
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return python_of(root, name)
    _run([sys.executable, "-m", "venv", "--clear", str(venv)], name)
    pip = [str(python_of(root, name)), "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "install", "--quiet", *REQUIREMENTS[name]], name)
    _run([*pip, "uninstall", "--yes", "--quiet", "hiredis"], name, check=False)
    stamp.write_text(wanted, encoding="utf-8")
    return python_of(root, name)


def ensure_venvs(root: Path, names: list[str]) -> dict[str, Path | VenvFailed]:
    """Make the virtualenvs of these peers, three at a time; a failure is returned, not raised."""

    def make(name: str) -> Path | VenvFailed:
        try:
            return ensure_venv(root, name)
        except VenvFailed as error:
            return error

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(names, pool.map(make, names), strict=True))


def _run(command: list[str], name: str, check: bool = True) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if check and done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise VenvFailed(f"{name}: {' '.join(command[-2:])} failed: "
                         f"{lines[-1] if lines else done.returncode}")
