"""``confined_path``: the quick descent (one lstat per component of a plain path) answers
exactly what ``Path.resolve`` does, and every way out of the root is still refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopslib.errors import PathEscapeError
from gitopslib.sources._base import confined_path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A repository with a plain app folder, an inside link, and links that leave."""
    repo = tmp_path / "repo"
    (repo / "apps" / "web").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (repo / "apps" / "inside-link").symlink_to("web")
    (repo / "apps" / "out-link").symlink_to(tmp_path / "outside")
    (repo / "up").symlink_to("..")
    return repo


@pytest.mark.parametrize(
    "rel", [".", "", "apps", "apps/web", "apps/./web/", "apps/inside-link", "apps/web/../web"]
)
def test_inside_paths_resolve_as_path_resolve_does(root: Path, rel: str) -> None:
    """Plain paths, links that stay inside and ``..`` that stays inside give the resolved
    path, with or without a resolved root from the caller."""
    expected = (root.resolve() / rel).resolve()
    assert confined_path(root, rel) == expected
    assert confined_path(root, rel, resolved_root=root.resolve()) == expected


def test_missing_path_resolves_without_error(root: Path) -> None:
    """A path that does not exist is returned resolved (the caller reports it missing)."""
    assert confined_path(root, "apps/nope") == root.resolve() / "apps" / "nope"


@pytest.mark.parametrize(
    "rel", ["..", "apps/../..", "apps/out-link", "apps/out-link/x", "up", "up/outside"]
)
def test_every_way_out_is_refused(root: Path, rel: str) -> None:
    """``..`` past the root and links (last or intermediate component) that leave raise."""
    with pytest.raises(PathEscapeError, match="leaves the repository root"):
        confined_path(root, rel, resolved_root=root.resolve())


def test_absolute_path_is_refused(root: Path) -> None:
    """An absolute path is refused before anything is looked at."""
    with pytest.raises(PathEscapeError, match="absolute"):
        confined_path(root, str(root / "apps"))


def test_root_behind_a_symlink(tmp_path: Path, root: Path) -> None:
    """A root reached through a symlink confines to its real location."""
    alias = tmp_path / "alias"
    alias.symlink_to(root)
    assert confined_path(alias, "apps/web") == root.resolve() / "apps" / "web"
    with pytest.raises(PathEscapeError):
        confined_path(alias, "apps/out-link")
