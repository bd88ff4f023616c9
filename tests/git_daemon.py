"""Git servers for the tests that fetch over ``git://`` (tests/git/ and tests/server/): the
git CLI in an environment of its own (:data:`GIT_ENV`, :func:`run_git`) to build the served
repositories, and a real ``git daemon`` on a free loopback port (:func:`git_daemon`).
examples/10-ci-pipeline starts its own, to stay self-contained. Importable from any test
folder: tests/ is on ``sys.path`` through its conftest.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["GIT_ENV", "free_port", "git_daemon", "run_git"]

#: git with no system or user configuration and a fixed identity: what the fixtures build
#: does not depend on the machine.
GIT_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": "/nonexistent",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "Fixture",
    "GIT_AUTHOR_EMAIL": "fixture@example.com",
    "GIT_COMMITTER_NAME": "Fixture",
    "GIT_COMMITTER_EMAIL": "fixture@example.com",
}


def run_git(*args: str | Path, cwd: Path | None = None, env: Mapping[str, str] = GIT_ENV) -> str:
    """Run the git CLI (fixtures only) and return its stdout, stripped."""
    git = shutil.which("git")
    assert git is not None, "the git CLI is needed to build fixture repositories"
    out = subprocess.run(
        [git, *map(str, args)],
        cwd=cwd,
        env=dict(env),
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out.stdout.strip()


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@contextmanager
def git_daemon(
    base: Path,
    *,
    env: Mapping[str, str] = GIT_ENV,
    options: Sequence[str] = (),
    timeout: float = 10.0,
) -> Iterator[int]:
    """``git daemon`` serving every repository under ``base`` (created if missing) as
    ``git://127.0.0.1:<port>/<path below base>``, with ``options`` added (e.g.
    ``--enable=receive-pack``); yields the port once it accepts connections, and stops the
    daemon after the block. An ``AssertionError`` when it does not start within ``timeout``
    seconds."""
    base.mkdir(parents=True, exist_ok=True)
    port = free_port()
    exec_path = run_git("--exec-path", env=env)
    # git-daemon itself: ``git daemon`` runs it as a child that killing ``git`` would orphan
    proc = subprocess.Popen(
        [
            str(Path(exec_path) / "git-daemon"),
            "--reuseaddr",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={base}",
            "--export-all",
            *options,
            str(base),
        ],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while not _connects(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"git daemon did not start (exit status {proc.poll()})")
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
