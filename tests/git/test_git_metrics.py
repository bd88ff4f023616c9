"""GitRepository(metrics=...) counts and times ls-remote and fetch against a real git daemon."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitlib_fixtures import Daemon, Fixture, free_port

import gitopslib as g
from gitopslib.metrics import GitOpsMetrics


def test_resolve_and_fetch_are_counted(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """A resolve (ls-remote) and a read (fetch) each add one request with its duration."""
    daemon, _fx = served
    m = GitOpsMetrics()
    url = daemon.url("repo.git")
    repo = g.GitRepository(url, cache_dir=tmp_path / "cache", metrics=m)
    sha = repo.resolve("main")
    assert repo.read_file(sha, "README.md") == b"c2\n"
    for kind in ("ls-remote", "fetch"):
        labels = {"repo": url, "request_type": kind}
        assert m.value("argocd_git_request_total", labels) == 1.0
        assert m.value("argocd_git_request_duration_seconds_count", labels) == 1.0
        assert (m.value("argocd_git_request_duration_seconds_sum", labels) or 0) > 0


def test_failed_fetch_is_counted(tmp_path: Path) -> None:
    """A fetch from a port nobody listens on counts as a request and a fetch failure."""
    m = GitOpsMetrics()
    url = f"git://127.0.0.1:{free_port()}/none.git"
    repo = g.GitRepository(url, cache_dir=tmp_path / "cache", metrics=m, retries=1, timeout=2)
    with pytest.raises(g.GitError):
        repo.fetch()
    assert m.value("argocd_git_request_total", {"repo": url, "request_type": "fetch"}) == 1.0
    assert m.value("argocd_git_fetch_fail_total", {"repo": url, "revision": ""}) == 1.0


def test_credentials_never_reach_labels(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """The repo label is the masked URL."""
    m = GitOpsMetrics()
    repo = g.GitRepository(
        f"http://user:hunter2@127.0.0.1:{free_port()}/r.git",
        cache_dir=tmp_path / "c",
        metrics=m,
        retries=1,
        timeout=2,
    )
    with pytest.raises(g.GitError):
        repo.ls_remote()
    assert b"hunter2" not in m.exposition()
    assert b"argocd_git_request_total" in m.exposition()
