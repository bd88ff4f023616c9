"""Reading files and trees from the object store, and read-only cached checkouts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from gitlib_fixtures import Fixture, build_repo, git

from gitopslib.errors import PathEscapeError
from gitopslib.git import GitPathNotFoundError, GitRepository


@pytest.fixture
def repo(fixture_repo: Fixture, tmp_path: Path) -> Iterator[GitRepository]:
    with GitRepository(str(fixture_repo.bare), cache_dir=tmp_path / "cache") as r:
        yield r


def test_read_file(repo: GitRepository, fixture_repo: Fixture) -> None:
    """read_file returns the blob bytes git shows for that commit."""
    sha = fixture_repo.shas["c1"]
    shown = git("show", f"{sha}:README.md", cwd=fixture_repo.bare)  # stripped by git()
    assert repo.read_file(sha, "README.md") == shown.encode() + b"\n"


def test_read_file_follows_in_tree_symlink(repo: GitRepository, fixture_repo: Fixture) -> None:
    """A symlink that stays inside the repository is followed."""
    sha = fixture_repo.shas["c2"]
    assert repo.read_file(sha, "values-link.yaml") == repo.read_file(sha, "app/values.yaml")


def test_read_file_refuses_symlink_escape(repo: GitRepository, fixture_repo: Fixture) -> None:
    """A symlink pointing out of the repository is refused."""
    with pytest.raises(PathEscapeError):
        repo.read_file(fixture_repo.shas["c2"], "app/escape")


@pytest.mark.parametrize("path", ["../etc/passwd", "/etc/passwd", "app/../../x"])
def test_read_file_refuses_escaping_paths(
    repo: GitRepository, fixture_repo: Fixture, path: str
) -> None:
    """Absolute paths and '..' are refused before touching anything."""
    with pytest.raises(PathEscapeError):
        repo.read_file(fixture_repo.shas["c2"], path)


def test_missing_file(repo: GitRepository, fixture_repo: Fixture) -> None:
    """A missing path is GitPathNotFoundError (a FileNotFoundError) naming the path."""
    with pytest.raises(GitPathNotFoundError, match=r"nope\.yaml"):
        repo.read_file(fixture_repo.shas["c2"], "nope.yaml")


def test_list_tree(repo: GitRepository, fixture_repo: Fixture) -> None:
    """list_tree matches git ls-tree (names and kinds)."""
    sha = fixture_repo.shas["c2"]
    listed = {(e.path, e.kind) for e in repo.list_tree(sha)}
    kinds = {"blob": "file", "tree": "dir"}
    expected = set()
    for line in git("ls-tree", sha, cwd=fixture_repo.bare).splitlines():
        meta, name = line.split("\t")
        mode, typ, _ = meta.split()
        expected.add((name, "symlink" if mode == "120000" else kinds[typ]))
    assert listed == expected


def test_list_tree_recursive(repo: GitRepository, fixture_repo: Fixture) -> None:
    """Recursive listing matches git ls-tree -r."""
    sha = fixture_repo.shas["c2"]
    paths = [e.path for e in repo.list_tree(sha, recursive=True)]
    expected = git("ls-tree", "-r", "--name-only", sha, cwd=fixture_repo.bare).splitlines()
    assert paths == sorted(expected)


def test_list_subdirectory(repo: GitRepository, fixture_repo: Fixture) -> None:
    """list_tree of a sub-directory gives repository-relative paths."""
    paths = [e.path for e in repo.list_tree(fixture_repo.shas["c2"], "app")]
    assert paths == ["app/escape", "app/values.yaml"]


def test_checkout_is_read_only_and_complete(repo: GitRepository, fixture_repo: Fixture) -> None:
    """checkout materialises every file, read-only, with symlinks kept as symlinks."""
    sha = fixture_repo.shas["c2"]
    with repo.checkout(sha) as root:
        assert (root / "app" / "values.yaml").read_text().startswith("image:")
        assert (root / "values-link.yaml").is_symlink()
        assert os.readlink(root / "app" / "escape") == "../../etc/passwd"
        assert os.access(root / "run.sh", os.X_OK)
        # mode bits, not a write attempt: tests may run as root, which ignores them
        assert not (root / "README.md").stat().st_mode & 0o222
        assert not root.stat().st_mode & 0o222
        assert not (root / "app").stat().st_mode & 0o222


def test_checkout_is_reused(repo: GitRepository, fixture_repo: Fixture) -> None:
    """The same SHA is materialised once: the second checkout is the same directory."""
    sha = fixture_repo.shas["c2"]
    with repo.checkout(sha) as first:
        inode = (first / "README.md").stat().st_ino
    with repo.checkout(sha) as second:
        assert second == first
        assert (second / "README.md").stat().st_ino == inode


def test_checkout_lru_pruning(fixture_repo: Fixture, tmp_path: Path) -> None:
    """Only keep_trees trees stay on disk, the most recently used ones."""
    with GitRepository(str(fixture_repo.bare), cache_dir=tmp_path / "c", keep_trees=2) as repo:
        for name in ("c1", "c2", "c3"):
            with repo.checkout(fixture_repo.shas[name]):
                pass
        kept = {p.name for p in (repo.cache_path / "trees").iterdir() if p.is_dir()}
    assert kept == {fixture_repo.shas["c2"], fixture_repo.shas["c3"]}


def test_tree_in_use_is_not_pruned(fixture_repo: Fixture, tmp_path: Path) -> None:
    """A tree held by an open checkout survives pruning by another checkout."""
    repo = GitRepository(str(fixture_repo.bare), cache_dir=tmp_path / "c", keep_trees=1)
    with repo, repo.checkout(fixture_repo.shas["c1"]) as held:
        with repo.checkout(fixture_repo.shas["c2"]):
            pass
        with repo.checkout(fixture_repo.shas["c3"]):
            pass
        assert (held / "README.md").read_text() == "c1\n"


def test_new_commit_is_fetched_on_demand(tmp_path: Path) -> None:
    """A commit pushed after the first fetch is fetched when asked for."""
    fx = build_repo(tmp_path)
    with GitRepository(str(fx.bare), cache_dir=tmp_path / "c") as repo:
        repo.read_file(fx.shas["c2"], "README.md")
        (fx.work / "README.md").write_text("c4\n")
        git("commit", "-qam", "c4", cwd=fx.work)
        git("push", "-q", str(fx.bare), "main", cwd=fx.work)
        sha = repo.resolve("main")
        assert repo.read_file(sha, "README.md") == b"c4\n"
