"""The key that signs the session cookie: SECRET_KEY; in demo mode, else one kept in the
instance folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

KEY_FILE = "secret_key"


class MissingSecretKey(RuntimeError):
    """SECRET_KEY is unset outside demo mode; the message says what to do."""


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
    """Give app a SECRET_KEY: the configured one; in demo mode, else the instance folder's.

    Outside demo mode refuse to start without one: a key made on each host would differ
    from host to host, and behind a load balancer a session or CSRF token one host signed
    would be refused by the next.
    """
    if app.config["SECRET_KEY"]:
        return
    if not app.config["SHOP_DEMO"]:
        raise MissingSecretKey(
            "SECRET_KEY is not set. Outside demo mode the shop needs one, the same on every "
            "host and process: set SECRET_KEY to a long random string, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`. For the demo on one "
            "machine, set SHOP_DEMO=1 instead."
        )
    # One file rather than a key per process: every web process must accept the CSRF token
    # another one put in the session cookie.
    app.config["SECRET_KEY"] = read_or_create_key(Path(app.instance_path) / KEY_FILE)
