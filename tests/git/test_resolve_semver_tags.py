"""Semver revisions resolve to tags, not to same-named branches (section 13.1 step 3).

Argo CD's semver step looks its result up among the remote's tags; only when no tag of that
name exists does the revision fall through to general ref matching (where a branch can win).
Expected SHAs come from the git CLI on the fixture repository.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gitlib_fixtures import Daemon, git

from gitopslib.git import GitRepository


@pytest.fixture
def clash(git_daemon: Daemon, tmp_path: Path) -> Iterator[tuple[GitRepository, dict[str, str]]]:
    """Tags v1.0.0 (light) and v1.1.0 (annotated) on t1; branches v1.0.0 / v1.1.0 on b1."""
    work = tmp_path / "clash-work"
    git("init", "-q", "-b", "main", work)
    (work / "f").write_text("t1\n")
    git("add", ".", cwd=work)
    git("commit", "-qm", "t1", cwd=work)
    t1 = git("rev-parse", "HEAD", cwd=work)
    git("tag", "v1.0.0", cwd=work)
    git("tag", "-a", "v1.1.0", "-m", "annotated", cwd=work)
    (work / "f").write_text("b1\n")
    git("commit", "-qam", "b1", cwd=work)
    b1 = git("rev-parse", "HEAD", cwd=work)
    git("branch", "v1.0.0", b1, cwd=work)
    git("branch", "v1.1.0", b1, cwd=work)
    bare = git_daemon.base / "clash.git"
    git("clone", "-q", "--bare", work, bare)
    (bare / "git-daemon-export-ok").touch()
    url = git_daemon.url("clash.git")
    with GitRepository(url, cache_dir=tmp_path / "cache", backoff=0.01) as repo:
        yield repo, {"t1": t1, "b1": b1}


@pytest.mark.parametrize("revision", ["~1.0", "1.1.*", "^1.0", "v1.0.0", "v1.1.0"])
def test_semver_revision_prefers_the_tag(
    clash: tuple[GitRepository, dict[str, str]], revision: str
) -> None:
    """A constraint or exact version resolves to the tag even when a branch shares its name."""
    repo, shas = clash
    assert repo.resolve(revision) == shas["t1"]


def test_full_branch_ref_still_reaches_the_branch(
    clash: tuple[GitRepository, dict[str, str]],
) -> None:
    """refs/heads/v1.0.0 is not a version: it names the branch."""
    repo, shas = clash
    assert repo.resolve("refs/heads/v1.0.0") == shas["b1"]
