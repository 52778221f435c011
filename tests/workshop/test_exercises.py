"""Every exercise of the workshop can be solved, and its check can tell: in a copy of the
repository, the check fails before the solution is applied and passes after."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.exercises import EXERCISES, Exercise, catch_up, run_check
from tests.workshop.support import copy_repository


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda exercise: f"step{exercise.step}")
def test_the_check_fails_without_the_solution_and_passes_with_it(
    exercise: Exercise, tmp_path: Path, redis_url: str
) -> None:
    # Given a copy of the repository as a learner has it at the start of the step
    copy = copy_repository(tmp_path / "repo")
    catch_up(copy, exercise.step - 1)
    env = {**os.environ, "REDIS_URL": redis_url}

    # When the step's check runs, it fails on an assertion
    before = run_check(copy, exercise, env)
    assert before.returncode == 1, before.stdout + before.stderr
    assert " failed" in before.stdout, before.stdout

    # And once the solution is applied, it passes
    catch_up(copy, exercise.step)
    after = run_check(copy, exercise, env)
    assert after.returncode == 0, after.stdout + after.stderr


def test_catch_up_applies_each_solution_once_and_says_so(tmp_path: Path) -> None:
    # Given a fresh copy
    copy = copy_repository(tmp_path / "repo")
    last = EXERCISES[-1].step

    def catch_up_command() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "devtools.workshop", "catch-up", str(last)],
                              cwd=copy, env={**os.environ, "PYTHONPATH": str(copy)},
                              capture_output=True, text=True)

    # When a learner catches up to the last step, twice
    first, second = catch_up_command(), catch_up_command()

    # Then the first run applies every solution, the second finds them there
    assert first.returncode == 0, first.stderr
    assert [line.split(":")[1].split()[0] for line in first.stdout.splitlines()] == (
        ["applied"] * len(EXERCISES))
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("already there") == len(EXERCISES)


def test_a_step_without_an_exercise_gets_a_clear_message(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "devtools.workshop", "check", "1"],
                          cwd=copy_repository(tmp_path / "repo"), capture_output=True, text=True)

    assert done.returncode == 2
    assert "step 1 has no exercise; these do: 6, 7" in done.stderr
