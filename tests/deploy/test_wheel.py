"""The built wheel, installed into a fresh virtual environment, runs from another directory.

The wheel is built from a copy of the packages (nothing is written into the repository),
without build isolation (setuptools comes from the dev extras: no network needed). The
fresh environment has only the wheel installed; its dependencies are those already in the
project's .venv, reached through a .pth line. A .pth line adds a directory to sys.path but
runs none of the .pth files in it, so the project's editable install stays out: the test
checks that `rules` is imported from the wheel.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: The top-level packages the wheel ships, as pyproject.toml names them.
PACKAGES = tuple(p.rstrip("*") for p in tomllib.loads((REPO / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"]["find"]["include"])


def run(*args, cwd, env=None, check=True) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=check)


def package_data_files() -> set[str]:
    """Every non-Python file inside the packages, as the repository tracks them."""
    out = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*"):
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" \
                    not in path.parts:
                out.add(path.relative_to(REPO).as_posix())
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    shutil.copy(REPO / "pyproject.toml", src)
    for package in PACKAGES:
        shutil.copytree(REPO / package, src / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "--disable-pip-version-check", "-q", "-w", dist, src, cwd=src)
    (built,) = dist.glob("casewatch-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--without-pip", root, cwd=root)
    python = root / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "--disable-pip-version-check", "-q", wheel, cwd=root)
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                    cwd=root).stdout.strip())
    (site / "casewatch_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return root


@pytest.fixture
def elsewhere(tmp_path) -> tuple[Path, dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return tmp_path, env


def test_wheel_holds_every_file_the_packages_read(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    data = package_data_files()
    assert {"rules/calendar.toml", "rules/measures.toml",
            "sinks/clickhouse/migrations/0001_events.sql",
            "rules/catalogue/custody_limit.toml"} <= data
    assert data - names == set()


def test_installed_package_comes_from_the_wheel(venv, elsewhere):
    cwd, env = elsewhere
    shown = run(venv / "bin" / "python", "-c", "import rules, cli; print(rules.__file__)",
                cwd=cwd, env=env).stdout
    assert shown.startswith(str(venv)), shown


def test_generate_and_evaluate_from_another_directory(venv, elsewhere):
    cwd, env = elsewhere
    casewatch = venv / "bin" / "casewatch"
    run(casewatch, "generate", "--events", "300", "--seed", "3", "--out", "events.jsonl",
        cwd=cwd, env=env)
    result = run(casewatch, "evaluate", "events.jsonl", "--at", "2026-11-01T00:00:00+08:00",
                 cwd=cwd, env=env)
    lines = result.stdout.splitlines()
    assert lines and all(line.startswith('{"warning_id":') for line in lines)
    (cwd / "bad.jsonl").write_text('{"event_id": "E1"}\n')
    bad = run(casewatch, "evaluate", "bad.jsonl", cwd=cwd, env=env, check=False)
    assert (bad.returncode, bad.stdout) == (3, "")
    assert bad.stderr.startswith("line 1: ")


def test_worker_help_from_another_directory(venv, elsewhere):
    cwd, env = elsewhere
    result = run(venv / "bin" / "casewatch", "worker", "--help", cwd=cwd, env=env)
    assert "usage: casewatch worker" in result.stdout
    assert not (cwd / ".state").exists()  # --help starts nothing
