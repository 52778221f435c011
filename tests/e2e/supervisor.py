"""The shipped supervisor configuration, run for real: rendered with the test's paths and ports,
under a supervisord of the test's own (the `supervisor` package of the test extra)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from devtools.embedded_redis import find_redis_server, free_port
from tests.e2e.support import ROOT, Http, wait_for

SHIPPED = ROOT / "deploy" / "supervisor" / "worker.conf"
SHIPPED_REDIS = ROOT / "deploy" / "redis" / "redis.conf"
BIN = Path(sys.executable).parent
SECRET_KEY = "the-supervisor-tests-secret"

MAIN_CONF = """\
[inet_http_server]
port=127.0.0.1:{control_port}
[supervisord]
logfile={folder}/supervisord.log
pidfile={folder}/supervisord.pid
childlogdir={folder}/log
nodaemon=true
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=http://127.0.0.1:{control_port}
[include]
files = shop.conf
"""


def render(text: str, substitutions: dict[str, str], source: Path) -> str:
    """Make each substitution; fail if the shipped file no longer has what it replaces."""
    for old, new in substitutions.items():
        assert old in text, f"{source.name} no longer has {old!r}: update tests/e2e/supervisor.py"
        text = text.replace(old, new)
    return text


@dataclass
class Deployment:
    """The shipped configuration under a supervisord of the test's own, in folder."""

    folder: Path
    database_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    redis_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    control_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def http(self) -> Http:
        return Http(f"http://127.0.0.1:{self.web_port}")

    @property
    def env(self) -> dict[str, str]:
        """What every program of the shop gets, beyond the shipped environment."""
        return {"SHOP_INSTANCE_PATH": str(self.folder / "instance"), **self.extra_env}

    def write(self) -> None:
        """Render the shipped files into folder, pointed at this checkout and the test's ports."""
        (self.folder / "log").mkdir(parents=True)
        (self.folder / "redis").mkdir()
        redis_conf = render(SHIPPED_REDIS.read_text(), {
            "port 6380": f"port {self.redis_port}",
            "dir /var/lib/shop/redis": f"dir {self.folder / 'redis'}",
        }, SHIPPED_REDIS)
        (self.folder / "redis.conf").write_text(redis_conf)
        # supervisor expands %(name)s in values: a URL's own % must be doubled.
        database_url = self.database_url.replace("%", "%%")
        extra = "".join(f',\n    {name}="{value}"' for name, value in self.env.items())
        shop_conf = render(SHIPPED.read_text(), {
            "redis-server /srv/shop/deploy/redis/redis.conf":
                f"{find_redis_server()} {self.folder / 'redis.conf'}",
            "/srv/shop/.venv/bin/": f"{BIN}/",
            "/srv/shop": str(ROOT),
            "/var/log/shop": str(self.folder / "log"),
            "user=www-data\n": "",  # the test's own user runs everything
            "redis://127.0.0.1:6380/0": self.redis_url,
            "postgresql+psycopg://shop:CHANGE_ME@127.0.0.1:5432/shop": database_url,
            'SHOP_SMTP_HOST="127.0.0.1"': 'SHOP_SMTP_HOST=""',  # mail to the instance folder
            'SECRET_KEY="CHANGE_ME"': f'SECRET_KEY="{SECRET_KEY}"',
            'SHOP_DASHBOARD_TOKEN="CHANGE_ME"': 'SHOP_DASHBOARD_TOKEN="a-token"',
            '"shop:create_app()"': f'--bind 127.0.0.1:{self.web_port} "shop:create_app()"',
            'PYTHONUNBUFFERED="1"': f'PYTHONUNBUFFERED="1"{extra}',
        }, SHIPPED)
        (self.folder / "shop.conf").write_text(shop_conf)
        (self.folder / "supervisord.conf").write_text(
            MAIN_CONF.format(folder=self.folder, control_port=self.control_port)
        )

    def init_db(self) -> None:
        """Migrate and seed the database, as deploy/README.md has the reader do."""
        env = {"PATH": f"{BIN}:/usr/bin:/bin", "DATABASE_URL": self.database_url,
               "SECRET_KEY": SECRET_KEY, **self.env}
        subprocess.run([sys.executable, "-m", "flask", "--app", "shop", "init-db"], cwd=ROOT,
                       env=env, check=True, capture_output=True)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [BIN / "supervisord", "-c", self.folder / "supervisord.conf"], cwd=self.folder,
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )

    def ctl(self, *args: str) -> str:
        """Run supervisorctl on this supervisord; return what it printed."""
        done = subprocess.run(
            [BIN / "supervisorctl", "-c", self.folder / "supervisord.conf", *args],
            capture_output=True, text=True, timeout=120,
        )
        return done.stdout + done.stderr

    def statuses(self) -> dict[str, str]:
        """Each program's state (RUNNING, STOPPED...), by name, as supervisorctl shows it."""
        lines = self.ctl("status").splitlines()
        return {line.split()[0]: line.split()[1] for line in lines if line.startswith("shop")}

    def wait_running(self) -> dict[str, str]:
        def all_running() -> dict[str, str] | None:
            statuses = self.statuses()
            running = len(statuses) > 1 and set(statuses.values()) == {"RUNNING"}
            return statuses if running else None

        return wait_for(all_running, "every program to run", seconds=60)

    def log(self, name: str) -> str:
        return (self.folder / "log" / name).read_text(errors="replace")

    def supervisord_log(self) -> str:
        return (self.folder / "supervisord.log").read_text(errors="replace")

    def stop(self) -> None:
        """Shut supervisord down with everything it runs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
