"""The workshop's exercises: each step's solution, kept as a patch, and the check that tells.

A solution applies to the repository as it is after the solutions of the steps before it
(catch_up applies them in order), and its check is a pytest file that passes with the
solution and fails without it. tests/docs/test_exercises.py proves both, in copies.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXERCISES_DIR = "docs/workshop/exercises"


@dataclass(frozen=True)
class Exercise:
    """One step's exercise: what to build, its solution (a patch) and its check (pytest)."""

    step: int
    title: str
    solution: str  # relative to the repository
    check: str


EXERCISES = (
    Exercise(6, "flask --app shop jobs delayed", f"{EXERCISES_DIR}/step6-delayed-command.patch",
             f"{EXERCISES_DIR}/test_step6_delayed_command.py"),
    Exercise(7, "a fourth job, notify_warehouse", f"{EXERCISES_DIR}/step7-warehouse.patch",
             f"{EXERCISES_DIR}/test_step7_warehouse.py"),
)


def exercise_of(step: int) -> Exercise:
    """The exercise of a step, or a ValueError naming the steps that have one."""
    for exercise in EXERCISES:
        if exercise.step == step:
            return exercise
    steps = ", ".join(str(exercise.step) for exercise in EXERCISES)
    raise ValueError(f"step {step} has no exercise; these do: {steps}")


def git_apply(root: Path, patch: str, *options: str) -> subprocess.CompletedProcess[str]:
    """Run `git apply` of a patch of the repository at root (a plain folder will do)."""
    return subprocess.run(["git", "apply", *options, str(root / patch)], cwd=root,
                          capture_output=True, text=True)


def is_applied(root: Path, exercise: Exercise) -> bool:
    """True if the solution is in the tree at root already (it would reverse cleanly)."""
    return git_apply(root, exercise.solution, "--reverse", "--check").returncode == 0


def catch_up(root: Path, step: int) -> list[str]:
    """Apply the solutions of every step up to `step` not applied yet; say what was done.

    Raise RuntimeError, with git's message, for a solution that does not apply (the
    learner's own changes are in the way).
    """
    done = []
    for exercise in EXERCISES:
        if exercise.step > step:
            break
        if is_applied(root, exercise):
            done.append(f"step {exercise.step}: already there ({exercise.title})")
            continue
        applied = git_apply(root, exercise.solution)
        if applied.returncode != 0:
            raise RuntimeError(f"step {exercise.step}'s solution does not apply to your "
                               f"files:\n{applied.stderr}")
        done.append(f"step {exercise.step}: applied {exercise.solution} ({exercise.title})")
    return done


def run_check(
    root: Path, exercise: Exercise, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the exercise's check with pytest on the tree at root; exit code 0 if it passes."""
    environment = {**(env if env is not None else os.environ), "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", exercise.check],
        cwd=root, env=environment, capture_output=True, text=True,
    )
