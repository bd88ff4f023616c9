"""Fixtures for the sources tests: Applications built from YAML, writable corpus copies, and
expected outputs produced by the real engines directly (so goldens cannot drift)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitopslib.models import Application

AppFactory = Callable[..., Application]


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else line for line in text.splitlines())


@pytest.fixture
def make_app() -> AppFactory:
    """Build an Application whose single source is ``path`` plus extra source YAML."""

    def make(
        path: str = ".",
        source_extra: str = "",
        *,
        name: str = "demo",
        namespace: str = "argocd",
        dest_namespace: str = "demo-ns",
        repo_url: str = "https://github.com/argoproj/argocd-example-apps",
        sources: str | None = None,
    ) -> Application:
        if sources is None:
            src = f"  source:\n    repoURL: {repo_url}\n    path: {path}\n"
            if source_extra:
                src += _indent(source_extra, 4) + "\n"
        else:
            src = "  sources:\n" + _indent(sources, 4) + "\n"
        text = (
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
            f"metadata: {{name: {name}, namespace: {namespace}}}\n"
            "spec:\n  project: default\n"
            "  destination: {server: https://kubernetes.default.svc, "
            f"namespace: {dest_namespace}}}\n" + src
        )
        return Application.from_yaml(text)

    return make


@pytest.fixture
def repo_copy(tmp_path: Path, example_apps: Path) -> Path:
    """A writable copy of argocd-example-apps (the corpus itself stays untouched)."""
    dest = tmp_path / "repo"
    shutil.copytree(example_apps, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dest


def _yaml_docs(*paths: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in paths:
        out.extend(d for d in yaml.safe_load_all(path.read_text()) if d is not None)
    return out


@pytest.fixture
def yaml_docs() -> Callable[..., list[dict[str, Any]]]:
    """Every non-empty document of the given files, read with PyYAML directly."""
    return _yaml_docs


def _helm_engine_render(
    chart: Path,
    values: dict[str, Any] | None = None,
    *,
    name: str,
    namespace: str,
) -> list[dict[str, Any]]:
    """The chart rendered by helm-python-sdk directly: every template's documents (NOTES.txt
    dropped), sorted by template path, no ordering logic of ours involved."""
    import helm_python

    with helm_python.Chart.load(str(chart)) as c:
        files = c.render(values or {}, name=name, namespace=namespace)
    out: list[dict[str, Any]] = []
    for path in sorted(files):
        if path.endswith("NOTES.txt"):
            continue
        out.extend(d for d in yaml.safe_load_all(files[path]) if d is not None)
    return out


@pytest.fixture
def helm_engine() -> Callable[..., list[dict[str, Any]]]:
    """helm-python-sdk called directly (see ``_helm_engine_render``)."""
    return _helm_engine_render


def by_key(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Objects sorted by kind and name, to compare sets regardless of order."""

    def key(obj: dict[str, Any]) -> tuple[str, str]:
        meta = obj.get("metadata") or {}
        return (str(obj.get("kind")), str(meta.get("name") or meta.get("generateName")))

    return sorted(objs, key=key)


@pytest.fixture
def sort_objs() -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """Sort objects by kind and name (order-insensitive comparisons)."""
    return by_key
