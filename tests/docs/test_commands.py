"""Every command a page tells a reader to run is run by a test.

A page shows the commands to run in ```sh blocks, one command a line. Each must be either
- run, as written, by tests/docs/test_live_commands.py against a shop it starts (LIVE), or
- run by the test named for it in RUN_ELSEWHERE, the one table of commands run elsewhere, or
- listed in NOT_RUN, with the reason no test can run it: a reader sees the list here, and
  nowhere else may a command escape.
No entry of these tables may outlive the command in the pages.
"""

from __future__ import annotations

import re

from tests.docs.live_commands import LIVE
from tests.docs.pages import ROOT, shell_commands
from tests.docs.workshop_commands import WORKSHOP

WORKSHOP_TEST = (
    "tests/docs/test_workshop.py::test_the_workshop_steps_run_and_print_what_they_show"
)
WHEELHOUSE_TEST = (
    "tests/workshop/test_wheelhouse.py::"
    "test_the_project_and_its_test_tools_install_from_the_wheelhouse_with_no_index"
)

# command -> "path/to/test_file.py::test_name" (or a CI script) that runs it.
RUN_ELSEWHERE: dict[str, str] = {
    # CI's whole job is this command, in a fresh clone.
    "make test": ".ci/run",
    # `make run` installs the run extra, then runs `python run.py`, which this test runs.
    "make run": "tests/e2e/test_run_command.py::"
    "test_run_command_serves_an_order_then_stops_cleanly_on_ctrl_c",
    # `make bench` installs the bench extra, then runs `python -m bench.run`: this test runs
    # that with tiny counts.
    "make bench": "tests/bench/test_bench_smoke.py::test_bench_runs_and_writes_its_report",
    # `make bench-failover` runs `python -m bench.failover`: this test runs it, one failover.
    "make bench-failover": "tests/bench/test_failover.py::test_the_failover_benchmark_runs",
    # docs/scaling.md: this test runs it with a few orders, on the tests' Redis.
    "python -m bench.memory": "tests/bench/test_memory.py::"
    "test_the_memory_benchmark_prints_bytes_per_job",
    # The workshop: `make run WORKERS=0` and `make reset` run `python run.py` with WORKERS=0
    # and `python -m devtools.workshop reset`, which its test runs as it follows the steps.
    "make run WORKERS=0": WORKSHOP_TEST,
    "make reset": WORKSHOP_TEST,
    # `make catch-up` and `make check` run `python -m devtools.workshop catch-up|check`.
    "make catch-up STEP=7": "tests/workshop/test_exercises.py::"
    "test_catch_up_applies_each_solution_once_and_says_so",
    "make check STEP=6": "tests/workshop/test_exercises.py::"
    "test_the_check_fails_without_the_solution_and_passes_with_it",
    # `make wheelhouse` runs `python -m devtools.wheelhouse wheelhouse`; this test runs that,
    # then installs with pip's --no-index --find-links, as the PIP_* settings make `make` do.
    "make wheelhouse": WHEELHOUSE_TEST,
    "PIP_NO_INDEX=1 PIP_FIND_LINKS=wheelhouse make test": WHEELHOUSE_TEST,
}

# command -> why no test runs it.
NOT_RUN: dict[str, str] = {
    "make bench-peers": "installs six other job queues in throwaway virtualenvs; 25 minutes",
    # deploy/README.md: installing on a server, as root, with supervisor and PostgreSQL.
    "git clone <this repo> /srv/shop && cd /srv/shop": "a server's setup",
    "python3 -m venv .venv && .venv/bin/pip install '.[deploy]'": "a server's setup",
    "sudo install -d -o www-data instance": "a server's setup (root)",
    "SECRET_KEY='CHANGE_ME' DATABASE_URL='postgresql+psycopg://shop:CHANGE_ME@127.0.0.1:5432/shop' "
    ".venv/bin/flask --app shop init-db": "a server's PostgreSQL",
    "sudo apt-get install redis-server": "a server's setup (root)",
    "sudo install -d -o www-data /var/lib/shop/redis": "a server's setup (root)",
    "sudo mkdir -p /var/log/shop": "a server's setup (root)",
    "sudo cp deploy/supervisor/worker.conf /etc/supervisor/conf.d/shop.conf": "supervisor (root)",
    "sudo supervisorctl reread && sudo supervisorctl update": "supervisor (root)",
    "sudo supervisorctl status shop:*": "supervisor (root)",
    # The workshop's setup of a terminal: its test's terminals have the virtualenv's python
    # first on PATH instead.
    ". .venv/bin/activate": "changes the reader's own shell",
}


def test_every_command_in_the_pages_is_run_by_a_test() -> None:
    # Given every command of every ```sh block
    shown = shell_commands()

    # Then each is run live, run elsewhere, or listed as not run, with why
    accounted = set(LIVE) | set(WORKSHOP) | set(RUN_ELSEWHERE) | set(NOT_RUN)
    unaccounted = {command: where for command, where in shown.items() if command not in accounted}
    assert not unaccounted, (
        "commands no test runs (add them to tests/docs/live_commands.py, or to a table in "
        f"tests/docs/test_commands.py): {unaccounted}"
    )


def test_every_command_a_test_runs_is_still_in_the_pages() -> None:
    shown = shell_commands()
    stale = [c for c in [*LIVE, *WORKSHOP, *RUN_ELSEWHERE, *NOT_RUN] if c not in shown]
    assert not stale, f"commands no page shows any more: {stale}"


def test_each_test_named_for_a_command_exists() -> None:
    for command, runner in RUN_ELSEWHERE.items():
        path, _, test_name = runner.partition("::")
        assert (ROOT / path).is_file(), (command, runner)
        if test_name:
            source = (ROOT / path).read_text(encoding="utf-8")
            assert re.search(rf"^def {test_name}\(", source, re.MULTILINE), (command, runner)


def test_a_command_is_run_one_way_only() -> None:
    tables = [set(LIVE), set(WORKSHOP), set(RUN_ELSEWHERE), set(NOT_RUN)]
    for index, table in enumerate(tables):
        for other in tables[index + 1 :]:
            assert not table & other, table & other
