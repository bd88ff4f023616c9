"""Fixtures for the CLI tests: the real console script and small Application files that
point at the corpus apps."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Run:
    """One finished run of the console script."""

    code: int
    out: str
    err: str


@pytest.fixture(scope="session")
def gitopslib_bin() -> str:
    """Path of the installed ``gitopslib`` console script."""
    beside = Path(sys.executable).parent / "gitopslib"
    found = str(beside) if beside.exists() else shutil.which("gitopslib")
    if found is None:
        pytest.fail("the gitopslib console script is not installed (pip install -e .)")
    return found


@pytest.fixture(scope="session")
def cli(gitopslib_bin: str) -> Callable[..., Run]:
    """Run the console script with arguments; returns exit code, stdout and stderr."""

    def run(*args: str | Path, cwd: Path | None = None) -> Run:
        proc = subprocess.run(
            [gitopslib_bin, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=cwd,
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


APP_TEMPLATE = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: {project}
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps.git
    targetRevision: HEAD
    path: {path}
{extra}  destination:
    server: https://kubernetes.default.svc
    namespace: {namespace}
"""


def write_app_file(
    folder: Path,
    name: str,
    path: str,
    *,
    extra: str = "",
    namespace: str = "demo",
    project: str = "default",
) -> Path:
    """Write an Application named ``name`` for the corpus folder ``path`` into ``folder``."""
    file = folder / f"{name}.yaml"
    file.write_text(
        APP_TEMPLATE.format(name=name, path=path, extra=extra, namespace=namespace, project=project)
    )
    return file


@pytest.fixture(scope="session")
def app_file() -> Callable[..., Path]:
    """``app_file(folder, name, path, ...)``: write an Application into ``folder``."""
    return write_app_file


@pytest.fixture
def write_app(tmp_path: Path) -> Callable[..., Path]:
    """Write an Application pointing at a corpus app folder into tmp_path; returns the file."""

    def write(name: str, path: str, **kwargs: str) -> Path:
        return write_app_file(tmp_path, name, path, **kwargs)

    return write
