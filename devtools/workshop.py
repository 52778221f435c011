"""The workshop's commands: `python -m devtools.workshop catch-up STEP | check STEP | reset`."""

from __future__ import annotations

import argparse
import os
import sys

from devtools.exercises import ROOT, catch_up, exercise_of, run_check


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.workshop",
                                     description="The workshop's commands.")
    commands = parser.add_subparsers(dest="command", required=True)
    catch = commands.add_parser("catch-up", help="apply the solutions of the steps up to STEP")
    catch.add_argument("step", type=int, metavar="STEP")
    check = commands.add_parser("check", help="run the check of STEP's exercise")
    check.add_argument("step", type=int, metavar="STEP")
    commands.add_parser("reset", help="empty the shop's database and Redis keys")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "catch-up":
            for line in catch_up(ROOT, args.step):
                print(line)
            return 0
        if args.command == "check":
            return check(args.step)
    except (ValueError, RuntimeError) as error:
        print(f"workshop: {error}", file=sys.stderr)
        return 2
    return reset_shop()


def check(step: int) -> int:
    """Run a step's check; say whether it passed."""
    exercise = exercise_of(step)
    result = run_check(ROOT, exercise)
    print(result.stdout + result.stderr, end="")
    verdict = "passed: well done" if result.returncode == 0 else "failed: not yet"
    print(f"Step {step} ({exercise.title}): the check {verdict}.")
    return result.returncode


def reset_shop() -> int:
    """Empty the shop's database and Redis keys."""
    from devtools.reset import reset  # imports the shop: only for this command
    from shop import create_app

    for line in reset(create_app(), os.environ.get("REDIS_URL")):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
