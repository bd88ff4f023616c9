"""The curated public API: `gitopslib.__all__` is sorted, complete and importable."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import gitopslib

ROOT = Path(__file__).resolve().parents[2]


def test_all_is_sorted() -> None:
    """`__all__` lists names in sorted order so additions are easy to review."""
    assert list(gitopslib.__all__) == sorted(gitopslib.__all__)


def test_all_names_resolve() -> None:
    """Every name in `__all__` is an attribute of the package."""
    missing = [n for n in gitopslib.__all__ if not hasattr(gitopslib, n)]
    assert missing == []


def test_public_names_are_in_all() -> None:
    """Every public attribute that is not a submodule is listed in `__all__`."""
    public = {
        n
        for n, v in vars(gitopslib).items()
        if not n.startswith("_") and not isinstance(v, type(importlib))
    }
    public.discard("annotations")
    assert public - set(gitopslib.__all__) == set()


def test_import_is_cheap_and_quiet() -> None:
    """`import gitopslib` loads no engine and no Kubernetes client."""
    code = (
        "import sys, gitopslib; "
        "heavy = [m for m in ('kubernetes', 'lupa', 'jq', '_gojsonnet', 'helm_python', 'dulwich')"
        " if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_sync_is_the_operation_function(tmp_path: object) -> None:
    """`gitopslib.sync(app, cluster=...)` runs design.md's sync, and the planning package of
    the same name stays importable by its dotted path."""
    import gitopslib.sync.plan
    from gitopslib.sync import plan_sync

    app = gitopslib.Application.from_yaml(ROOT / "examples/01-directory-app/application.yaml")
    cluster = gitopslib.MemoryCluster()
    op = gitopslib.sync(
        app, cluster=cluster, repo_root=ROOT / "examples/01-directory-app/repo", dry_run=True
    )
    assert op.phase == "Succeeded"
    assert cluster.objects() == []  # a dry run writes nothing
    assert gitopslib.sync.plan_sync is plan_sync
