"""Revision resolution over a real git daemon, file:// and plain paths (section 13.1).

Expected SHAs come from the git CLI (``git rev-parse``) on the fixture repository.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gitlib_fixtures import Daemon, Fixture, git

from gitopslib.errors import GitError, RevisionNotFoundError
from gitopslib.git import GitRepository


@pytest.fixture
def remote(served: tuple[Daemon, Fixture], tmp_path: Path) -> Iterator[GitRepository]:
    daemon, _fx = served
    with GitRepository(daemon.url("repo.git"), cache_dir=tmp_path / "cache", backoff=0.01) as r:
        yield r


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        ("", "main"),
        ("HEAD", "main"),
        ("main", "main"),
        ("refs/heads/main", "main"),
        ("feature", "feature"),
        ("v1.0.0", "v1.0.0^{commit}"),
        ("v1.2.0", "v1.2.0^{commit}"),
        ("refs/tags/v1.2.0", "v1.2.0^{commit}"),
        ("refs/tags/release", "refs/tags/release^{commit}"),
        ("release", "refs/heads/release"),  # branch sorts before the tag of the same name
        ("~1.0", "v1.0.0^{commit}"),
        (">=1.0.0", "v1.2.0^{commit}"),  # rc tag excluded by the prerelease rule
        (">=2.0.0-0", "v2.0.0-rc.1^{commit}"),
    ],
)
def test_revision_forms(
    remote: GitRepository, served: tuple[Daemon, Fixture], revision: str, expected: str
) -> None:
    """Each revision form resolves to the commit git itself gives."""
    _daemon, fx = served
    assert remote.resolve(revision) == fx.rev_parse(expected)


def test_annotated_tag_is_peeled(remote: GitRepository, served: tuple[Daemon, Fixture]) -> None:
    """An annotated tag resolves to its commit, not to the tag object."""
    _daemon, fx = served
    sha = remote.resolve("v1.2.0")
    assert sha != fx.shas["v1.2.0-tagobj"]
    assert sha == fx.shas["c2"]


def test_full_sha_of_a_known_commit(remote: GitRepository, served: tuple[Daemon, Fixture]) -> None:
    """A 40-hex SHA of a commit the repository has resolves to itself, lower-cased."""
    _daemon, fx = served
    assert remote.resolve(fx.shas["c2"].upper()) == fx.shas["c2"]


def test_full_sha_nobody_has_is_not_found(remote: GitRepository) -> None:
    """A well-formed 40-hex SHA that names no commit raises RevisionNotFoundError."""
    with pytest.raises(RevisionNotFoundError, match="does not exist"):
        remote.resolve("0" * 40)


def test_full_sha_in_the_mirror_needs_no_fetch(
    remote: GitRepository, served: tuple[Daemon, Fixture], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the mirror has a commit, resolving its SHA does not fetch again."""
    _daemon, fx = served
    remote.fetch()

    def no_fetch(*_args: object, **_kw: object) -> None:
        raise AssertionError("resolve fetched although the mirror has the commit")

    monkeypatch.setattr(remote, "fetch", no_fetch)
    assert remote.resolve(fx.shas["c1"]) == fx.shas["c1"]


def test_abbreviated_sha(remote: GitRepository, served: tuple[Daemon, Fixture]) -> None:
    """A 7+ hex prefix expands to the full commit from the mirror."""
    _daemon, fx = served
    assert remote.resolve(fx.shas["c3"][:8]) == fx.shas["c3"]


def test_unknown_revision_names_revision_and_url(remote: GitRepository) -> None:
    """A bad revision raises RevisionNotFoundError naming it and the repository."""
    with pytest.raises(RevisionNotFoundError) as info:
        remote.resolve("no-such-branch")
    assert "no-such-branch" in str(info.value)
    assert remote.url in str(info.value)
    assert info.value.revision == "no-such-branch"


def test_unknown_short_sha(remote: GitRepository) -> None:
    """A hex string that matches no commit is not found either."""
    with pytest.raises(RevisionNotFoundError):
        remote.resolve("deadbeefdead")


def test_ls_remote_lists_refs(remote: GitRepository, served: tuple[Daemon, Fixture]) -> None:
    """ls_remote gives branches, tags, HEAD and peeled annotated tags like git ls-remote."""
    _daemon, fx = served
    refs = remote.ls_remote()
    assert refs["refs/heads/main"] == fx.shas["c2"]
    assert refs["HEAD"] == fx.shas["c2"]
    assert refs["refs/tags/v1.2.0"] == fx.shas["v1.2.0-tagobj"]
    assert refs["refs/tags/v1.2.0^{}"] == fx.shas["c2"]


def test_ls_remote_does_not_fetch(remote: GitRepository) -> None:
    """ls_remote is cheap: no mirror is created."""
    remote.ls_remote()
    assert not (remote.cache_path / "mirror.git").exists()


@pytest.mark.parametrize("form", ["path", "file-url"])
def test_local_repositories(fixture_repo: Fixture, tmp_path: Path, form: str) -> None:
    """Plain paths and file:// URLs work like remote URLs."""
    url = str(fixture_repo.bare) if form == "path" else f"file://{fixture_repo.bare}"
    with GitRepository(url, cache_dir=tmp_path / "c") as repo:
        assert repo.resolve("v1.2.0") == fixture_repo.shas["c2"]
        assert repo.resolve("feature") == fixture_repo.shas["c3"]
        sha = repo.resolve("main")
        assert repo.read_file(sha, "README.md") == b"c2\n"


def test_non_repository_path(tmp_path: Path) -> None:
    """A path that is not a repository is a GitError, not a traceback."""
    (tmp_path / "empty").mkdir()
    with pytest.raises(GitError, match="not a Git repository"):
        GitRepository(str(tmp_path / "empty"), cache_dir=tmp_path / "c").resolve("main")


def test_refs_ttl_reuses_ref_list(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """With refs_ttl, a branch moved on the server resolves to the cached tip until expiry."""
    daemon, fx = served
    with GitRepository(daemon.url("repo.git"), cache_dir=tmp_path, refs_ttl=300) as repo:
        assert repo.resolve("main") == fx.shas["c2"]
        git("update-ref", "refs/heads/main", fx.shas["c1"], cwd=fx.bare)
        assert repo.resolve("main") == fx.shas["c2"]  # cached ref list
        assert repo.ls_remote()["refs/heads/main"] == fx.shas["c1"]  # always live


def test_no_ttl_sees_moved_branch(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """Without refs_ttl every resolve asks the server."""
    daemon, fx = served
    with GitRepository(daemon.url("repo.git"), cache_dir=tmp_path) as repo:
        assert repo.resolve("main") == fx.shas["c2"]
        git("update-ref", "refs/heads/main", fx.shas["c1"], cwd=fx.bare)
        assert repo.resolve("main") == fx.shas["c1"]
