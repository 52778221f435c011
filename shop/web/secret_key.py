"""The key that signs the session cookie: SECRET_KEY, else one kept in the instance folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

KEY_FILE = "secret_key"


def read_or_create_key(path: Path) -> str:
    """Return the key stored at path, creating it (readable by its owner only) if missing."""
    if not path.exists():
        # Written aside, then linked into place: of several processes starting at once
        # (gunicorn's workers) one link wins, and no process reads a half-written file.
        draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(32) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()


def init_app(app: Flask) -> None:
    """Give app a SECRET_KEY: the configured one, else the instance folder's."""
    if not app.config["SECRET_KEY"]:
        # One file rather than a key per process: every web process must accept the
        # CSRF token another one put in the session cookie.
        app.config["SECRET_KEY"] = read_or_create_key(Path(app.instance_path) / KEY_FILE)
