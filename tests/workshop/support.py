"""A copy of the repository for a test to change: the exercises' solutions are applied there."""

from __future__ import annotations

import shutil
from pathlib import Path

from devtools.exercises import ROOT

NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "instance", "wheelhouse", "__pycache__", ".*_cache", "*.egg-info", "build",
)


def copy_repository(destination: Path) -> Path:
    """Copy the repository's files (not its virtualenv, data or caches) to destination."""
    shutil.copytree(ROOT, destination, ignore=NOT_COPIED)
    return destination
