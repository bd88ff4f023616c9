"""Timeouts, bounded retries, refused URLs and credentials that must not leak."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gitlib_fixtures import Daemon, Fixture, free_port

from gitopslib.errors import GitError, RevisionNotFoundError
from gitopslib.git import GitRepository, HTTPSCredentials


def test_unreachable_server_fails_fast(tmp_path: Path) -> None:
    """A closed port fails after the bounded retries, quickly, with a GitError."""
    url = f"git://127.0.0.1:{free_port()}/repo.git"
    repo = GitRepository(url, cache_dir=tmp_path, retries=3, backoff=0.01, timeout=2)
    start = time.monotonic()
    with pytest.raises(GitError, match="after 3 attempt"):
        repo.ls_remote()
    assert time.monotonic() - start < 5


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                held.append(conn)
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield int(srv.getsockname()[1])
    finally:
        stop.set()
        t.join(2)
        for c in held:
            c.close()
        srv.close()


def test_hanging_server_times_out(silent_server: int, tmp_path: Path) -> None:
    """A server that never answers hits the read timeout instead of hanging forever."""
    url = f"git://127.0.0.1:{silent_server}/repo.git"
    repo = GitRepository(url, cache_dir=tmp_path, retries=2, backoff=0.01, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(GitError):
        repo.ls_remote()
    assert time.monotonic() - start < 5


@pytest.mark.parametrize(
    "url",
    [
        "--upload-pack=touch /tmp/pwned",
        "-oProxyCommand=touch /tmp/pwned",
        "ext::sh -c touch% /tmp/pwned",
        "fd::17",
        "ssh://-oProxyCommand=touch%20x/repo",
        "-host:repo.git",
        "git@-oProxyCommand=x:repo.git",
        "ftp://example.com/repo.git",
    ],
)
def test_option_injection_is_refused(url: str, tmp_path: Path) -> None:
    """URLs that could inject options or run transport helpers are refused up front."""
    with pytest.raises(GitError, match=r"refusing|unsupported"):
        GitRepository(url, cache_dir=tmp_path)


TOKEN = "ghp_SuperSecretToken123456"


def test_token_not_in_repr_or_url(tmp_path: Path) -> None:
    """A token in the URL is masked in repr() and .url."""
    repo = GitRepository(f"https://{TOKEN}@127.0.0.1:1/o/r.git", cache_dir=tmp_path)
    assert TOKEN not in repr(repo)
    assert TOKEN not in repo.url
    assert TOKEN not in str(repo.cache_path)


def test_token_not_in_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A failing fetch with a token URL never shows the token (message, args, chain, logs)."""
    caplog.set_level(logging.DEBUG)
    url = f"https://user:{TOKEN}@127.0.0.1:{free_port()}/o/r.git"
    repo = GitRepository(url, cache_dir=tmp_path, retries=2, backoff=0.01, timeout=1)
    with pytest.raises(GitError) as info:
        repo.resolve("main")
    exc = info.value
    assert TOKEN not in str(exc)
    assert TOKEN not in repr(exc.args)
    assert TOKEN not in str(getattr(exc, "url", ""))
    assert exc.__cause__ is None and exc.__suppress_context__
    assert caplog.records  # urllib3 did log its retries...
    assert TOKEN not in caplog.text  # ...without the token


def test_explicit_credentials_not_in_error(tmp_path: Path) -> None:
    """Explicit credentials are masked in errors and in the credentials' repr."""
    creds = HTTPSCredentials("bot", TOKEN)
    repo = GitRepository(
        f"http://127.0.0.1:{free_port()}/o/r.git",
        cache_dir=tmp_path,
        credentials=creds,
        retries=1,
        timeout=1,
    )
    with pytest.raises(GitError) as info:
        repo.ls_remote()
    assert TOKEN not in str(info.value)
    assert TOKEN not in repr(creds) and TOKEN not in repr(repo)


def test_bad_revision_in_token_url_is_masked(
    served: tuple[Daemon, Fixture], tmp_path: Path
) -> None:
    """RevisionNotFoundError names the masked URL."""
    daemon, _fx = served
    with GitRepository(daemon.url("repo.git"), cache_dir=tmp_path) as repo:
        with pytest.raises(RevisionNotFoundError) as info:
            repo.resolve("nope")
        assert info.value.url == daemon.url("repo.git")


def test_missing_repository_on_daemon(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """Asking the daemon for a repository it does not serve is a clear GitError."""
    daemon, _fx = served
    repo = GitRepository(daemon.url("missing.git"), cache_dir=tmp_path, retries=2, backoff=0.01)
    with pytest.raises(GitError, match=r"missing\.git"):
        repo.ls_remote()


def test_permanent_error_is_not_retried(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """'No such repository' is not transient: one attempt, reported as such."""
    daemon, _fx = served
    repo = GitRepository(daemon.url("missing.git"), cache_dir=tmp_path, retries=5, backoff=1)
    start = time.monotonic()
    with pytest.raises(GitError, match=r"after 1 attempt"):
        repo.ls_remote()
    assert time.monotonic() - start < 1
