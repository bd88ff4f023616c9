"""Scratch copies of a repository tree that never follow a symlink out of the repository
(:func:`scratch_copy`): where Kustomize overrides are written and plugins run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from gitopslib.errors import PathEscapeError
from gitopslib.sources._base import is_inside

__all__ = ["SymlinkLeavesSubtreeError", "scratch_copy"]


class SymlinkLeavesSubtreeError(Exception):
    """A symlink in a partial copy points elsewhere in the repository (copy more)."""


def scratch_copy(
    src: Path,
    dest: Path,
    *,
    link: bool = False,
    preserve_mode: bool = True,
    exclude: Sequence[str] = (".git",),
    repo_root: Path | None = None,
) -> None:
    """Copy the tree ``src`` to ``dest`` (created), never following a symlink out of the
    repository ``repo_root`` (default: ``src``).

    Symlinks are recreated pointing at the same place inside the copy; one that resolves outside
    the repository raises :class:`~gitopslib.errors.PathEscapeError` naming it (one that leaves
    ``src`` but stays in the repository raises :class:`SymlinkLeavesSubtreeError`). Top-level
    names in ``exclude`` are skipped. ``link=True`` hard-links files when it can (the caller must
    then replace, not rewrite, any file it changes); ``preserve_mode=False`` drops file modes, as
    Argo CD does when it streams a repository to a plugin without ``preserveFileMode``.
    """
    root = src.resolve()
    boundary = repo_root.resolve() if repo_root is not None else root
    dest.mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel = here.relative_to(root)
        out_dir = dest / rel
        out_dir.mkdir(exist_ok=True)
        if rel == Path():
            dirnames[:] = [d for d in dirnames if d not in exclude]
            filenames = [f for f in filenames if f not in exclude]
        for name in [*dirnames, *filenames]:
            path = here / name
            if not path.is_symlink():
                continue
            shown = path.relative_to(boundary).as_posix()
            try:
                target = path.resolve()
            except (OSError, RuntimeError):
                raise PathEscapeError(
                    f"symlink {shown!r} cannot be resolved (a loop?)",
                    file=shown,
                    source_type=None,
                    path=shown,
                ) from None
            if not is_inside(target, boundary):
                raise PathEscapeError(
                    f"symlink {shown!r} points outside the repository ({str(path.readlink())!r})",
                    file=shown,
                    source_type=None,
                    path=shown,
                )
            if not is_inside(target, root):
                raise SymlinkLeavesSubtreeError(shown)
            (out_dir / name).symlink_to(os.path.relpath(dest / target.relative_to(root), out_dir))
        dirnames[:] = [d for d in dirnames if not (here / d).is_symlink()]
        for name in filenames:
            path = here / name
            if path.is_symlink():
                continue
            out = out_dir / name
            if link:
                try:
                    os.link(path, out)
                    continue
                except OSError:
                    pass
            shutil.copyfile(path, out)
            if preserve_mode:
                shutil.copymode(path, out)
