"""The session's signing key: SECRET_KEY if set, else one file every process shares."""

from __future__ import annotations

import stat
from pathlib import Path

from shop.web.secret_key import read_or_create_key


def test_the_key_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"

    first = read_or_create_key(path)

    assert len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_create_key(path) == first  # another process reads the same key
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no draft left behind
