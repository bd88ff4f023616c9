"""Fixtures for the git adapter: bare repositories built with the git CLI and a real
``git daemon`` serving them on 127.0.0.1 (receive-pack enabled for write-back tests)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gitlib_fixtures import ENV, Daemon, Fixture, build_repo, free_port, git


@pytest.fixture
def fixture_repo(tmp_path: Path) -> Fixture:
    """A freshly built bare repository (see build_repo)."""
    return build_repo(tmp_path)


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[Daemon]:
    """A real ``git daemon`` on a free loopback port serving tmp_path/served."""
    base = tmp_path / "served"
    base.mkdir()
    port = free_port()
    # Run git-daemon itself (``git daemon`` forks it as a child that a kill would orphan).
    daemon = str(Path(git("--exec-path")) / "git-daemon")
    proc = subprocess.Popen(
        [
            daemon,
            "--reuseaddr",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={base}",
            "--export-all",
            "--enable=receive-pack",
            "--informative-errors",
            str(base),
        ],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("git daemon did not start")
            time.sleep(0.05)
    try:
        yield Daemon(base, port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def served(git_daemon: Daemon, tmp_path: Path) -> tuple[Daemon, Fixture]:
    """The fixture repository served by git daemon as ``repo.git``."""
    fx = build_repo(git_daemon.base)
    return git_daemon, fx
