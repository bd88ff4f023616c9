"""Write-back over git daemon: commit on top of the remote branch, push, retry lost races."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from gitlib_fixtures import Daemon, Fixture, git

from gitopslib.errors import GitError, PushRejectedError
from gitopslib.git import GitRepository, set_yaml_value

AUTHOR = "Pipeline Bot <bot@example.com>"


def test_commit_change_pushes_on_top_of_branch(
    served: tuple[Daemon, Fixture], tmp_path: Path
) -> None:
    """A value edit becomes one commit whose parent is the old tip; git sees the new text."""
    daemon, fx = served
    with GitRepository(daemon.url("repo.git"), cache_dir=tmp_path / "c") as repo:
        result = repo.commit_change(
            "main",
            {"app/values.yaml": lambda text: set_yaml_value(text or "", "image.tag", "v2")},
            "bump image",
            AUTHOR,
        )
    assert result.changed and result.parent == fx.shas["c2"]
    assert git("rev-parse", "main", cwd=fx.bare) == result.sha
    assert git("rev-parse", "main^", cwd=fx.bare) == fx.shas["c2"]
    shown = git("show", "main:app/values.yaml", cwd=fx.bare)
    assert shown == "image:\n  repository: nginx  # upstream\n  tag: v2"
    assert git("log", "-1", "--format=%an <%ae>|%s", "main", cwd=fx.bare) == f"{AUTHOR}|bump image"


def test_new_and_deleted_files(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """Plain text creates a file (and directories); None deletes one."""
    daemon, fx = served
    with GitRepository(daemon.url("repo.git"), cache_dir=tmp_path / "c") as repo:
        repo.commit_change("main", {"new/dir/f.txt": "x\n", "README.md": None}, "m", AUTHOR)
    files = git("ls-tree", "-r", "--name-only", "main", cwd=fx.bare).splitlines()
    assert "new/dir/f.txt" in files and "README.md" not in files


def test_no_change_makes_no_commit(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """Writing the text already there makes no commit."""
    daemon, fx = served
    with GitRepository(daemon.url("repo.git"), cache_dir=tmp_path / "c") as repo:
        result = repo.commit_change("main", {"README.md": "c2\n"}, "noop", AUTHOR)
    assert not result.changed
    assert git("rev-parse", "main", cwd=fx.bare) == fx.shas["c2"]


def test_lost_race_is_rebased_and_retried(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """When another writer pushes first, the edit is re-applied to the new tip and pushed."""
    daemon, fx = served
    url = daemon.url("repo.git")
    other = GitRepository(url, cache_dir=tmp_path / "other")
    seen: list[str | None] = []

    def edit(text: str | None) -> str:
        seen.append(text)
        if len(seen) == 1:  # the other writer gets in between our fetch and our push
            other.commit_change("main", {"README.md": "c2\nfrom-other\n"}, "other", AUTHOR)
        return (text or "") + "from-us\n"

    with GitRepository(url, cache_dir=tmp_path / "us") as repo, other:
        result = repo.commit_change("main", {"README.md": edit}, "ours", AUTHOR)
    assert result.attempts == 2
    assert seen == ["c2\n", "c2\nfrom-other\n"]
    assert git("show", "main:README.md", cwd=fx.bare) == "c2\nfrom-other\nfrom-us"
    assert git("log", "--format=%s", "main", cwd=fx.bare).splitlines()[:3] == [
        "ours",
        "other",
        "c2",
    ]


def test_two_concurrent_writers(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """Two threads with separate caches each append three lines; none is lost."""
    daemon, fx = served
    url = daemon.url("repo.git")
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            with GitRepository(url, cache_dir=tmp_path / name, backoff=0.01) as repo:
                for i in range(3):
                    line = f"{name}-{i}\n"
                    repo.commit_change(
                        "main",
                        {"log.txt": lambda t, line=line: (t or "") + line},
                        line,
                        AUTHOR,
                        max_attempts=20,
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    lines = git("show", "main:log.txt", cwd=fx.bare).splitlines()
    assert sorted(lines) == ["a-0", "a-1", "a-2", "b-0", "b-1", "b-2"]


def test_push_rejected_after_bounded_attempts(
    served: tuple[Daemon, Fixture], tmp_path: Path
) -> None:
    """If every attempt loses the race, PushRejectedError is raised after max_attempts."""
    daemon, _fx = served
    url = daemon.url("repo.git")
    other = GitRepository(url, cache_dir=tmp_path / "other")
    calls = 0

    def edit(text: str | None) -> str:
        nonlocal calls
        calls += 1
        other.commit_change("main", {"other.txt": f"{calls}\n"}, "other", AUTHOR)
        return (text or "") + "us\n"

    with (
        GitRepository(url, cache_dir=tmp_path / "us") as repo,
        other,
        pytest.raises(PushRejectedError, match="rejected 2 time"),
    ):
        repo.commit_change("main", {"README.md": edit}, "ours", AUTHOR, max_attempts=2)
    assert calls == 2


def test_unknown_branch(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """Writing to a branch that does not exist is a clear error."""
    daemon, _fx = served
    with (
        GitRepository(daemon.url("repo.git"), cache_dir=tmp_path / "c") as repo,
        pytest.raises(GitError, match="not found"),
    ):
        repo.commit_change("nope", {"a": "b"}, "m", AUTHOR)


def test_local_path_write_back(fixture_repo: Fixture, tmp_path: Path) -> None:
    """Write-back also works to a plain local bare repository."""
    with GitRepository(str(fixture_repo.bare), cache_dir=tmp_path / "c") as repo:
        result = repo.commit_change("feature", {"feature.txt": "changed\n"}, "m", AUTHOR)
    assert git("rev-parse", "feature", cwd=fixture_repo.bare) == result.sha


def test_repository_hooks_never_run(fixture_repo: Fixture, tmp_path: Path) -> None:
    """Hooks in the target repository are not executed by our fetch or push."""
    marker = tmp_path / "hook-ran"
    for hook in ("pre-receive", "update", "post-receive", "post-update", "reference-transaction"):
        path = fixture_repo.bare / "hooks" / hook
        path.write_text(f"#!/bin/sh\ntouch {marker}\n")
        path.chmod(0o755)
    with GitRepository(str(fixture_repo.bare), cache_dir=tmp_path / "c") as repo:
        repo.resolve("main")
        repo.commit_change("main", {"README.md": "hooked?\n"}, "m", AUTHOR)
    assert git("show", "main:README.md", cwd=fixture_repo.bare) == "hooked?"
    assert not marker.exists()
