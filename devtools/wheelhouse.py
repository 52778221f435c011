"""Download every wheel `make run` and `make test` need into one folder: `python -m
devtools.wheelhouse FOLDER`. Copied to a USB stick, it installs the project with no network:
`pip install --no-index --find-links FOLDER -e '.[test,embedded]'` (docs/workshop/setup.md).

The wheels are this machine's (its OS, CPU and Python): run it on a laptop of each kind the
room has, into the same folder.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = ("test", "embedded")
# What a fresh virtualenv needs besides: the build backend that installs the project itself.
TOOLS = ("pip", "wheel")


def requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """Every requirement of the project with the extras `make run` and `make test` install,
    and of building it."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    found = list(project["project"]["dependencies"])
    for extra in EXTRAS:
        found += project["project"]["optional-dependencies"][extra]
    return [*found, *project["build-system"]["requires"], *TOOLS]


def download(folder: Path) -> int:
    """Download the wheels (and anything they need) into folder; return pip's exit code."""
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--dest", str(folder),
               "--only-binary", ":all:", *requirements()]
    return subprocess.run(command).returncode


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m devtools.wheelhouse FOLDER", file=sys.stderr)
        return 2
    code = download(Path(argv[0]))
    if code == 0:
        print(f"Wheels for this machine are in {argv[0]}/: copy the folder next to the project.")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
