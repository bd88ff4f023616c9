"""Fixtures for the git adapter: bare repositories built with the git CLI and a real
``git daemon`` serving them on 127.0.0.1 (receive-pack enabled for write-back tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from git_daemon import git_daemon as run_git_daemon
from gitlib_fixtures import ENV, Daemon, Fixture, build_repo


@pytest.fixture
def fixture_repo(tmp_path: Path) -> Fixture:
    """A freshly built bare repository (see build_repo)."""
    return build_repo(tmp_path)


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[Daemon]:
    """A real ``git daemon`` on a free loopback port serving tmp_path/served, pushes
    allowed, with git's own reasons in the errors clients see."""
    base = tmp_path / "served"
    base.mkdir()
    options = ["--enable=receive-pack", "--informative-errors"]
    with run_git_daemon(base, env=ENV, options=options) as port:
        yield Daemon(base, port)


@pytest.fixture
def served(git_daemon: Daemon, tmp_path: Path) -> tuple[Daemon, Fixture]:
    """The fixture repository served by git daemon as ``repo.git``."""
    fx = build_repo(git_daemon.base)
    return git_daemon, fx
