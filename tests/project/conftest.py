"""Builders for AppProject and Application objects (real models, built from plain data)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gitopslib.models import Application
from gitopslib.project import AppProject


def _make_project(name: str = "demo", **spec: Any) -> AppProject:
    """An AppProject named ``name`` whose spec is ``spec`` (camelCase keys, as in YAML)."""
    return AppProject.from_dict(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": name, "namespace": "argocd"},
            "spec": spec,
        }
    )


def _make_app(
    name: str = "guestbook",
    *,
    namespace: str | None = "argocd",
    project: str = "demo",
    repo: str | None = "https://github.com/argoproj/argocd-example-apps",
    sources: list[str] | None = None,
    server: str | None = "https://kubernetes.default.svc",
    cluster_name: str | None = None,
    dest_namespace: str | None = "default",
) -> Application:
    """An Application with one source (or several ``sources``) and a destination."""
    spec: dict[str, Any] = {"project": project}
    if sources is not None:
        spec["sources"] = [{"repoURL": url, "path": "."} for url in sources]
    elif repo is not None:
        spec["source"] = {"repoURL": repo, "path": "."}
    dest: dict[str, Any] = {}
    if server is not None:
        dest["server"] = server
    if cluster_name is not None:
        dest["name"] = cluster_name
    if dest_namespace is not None:
        dest["namespace"] = dest_namespace
    spec["destination"] = dest
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return Application.from_dict(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": meta,
            "spec": spec,
        }
    )


@pytest.fixture
def make_project() -> Callable[..., AppProject]:
    """Factory: ``make_project(name="demo", **spec)``."""
    return _make_project


@pytest.fixture
def make_app() -> Callable[..., Application]:
    """Factory: ``make_app(name, repo=..., server=..., dest_namespace=...)``."""
    return _make_app
