"""Where serve's Applications and AppProjects come from: files and folders, or the cluster."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitopslib.errors import ClusterError, ValidationError

__all__ = ["app_key", "load_from_cluster", "load_from_paths"]

YAML_SUFFIXES = (".yaml", ".yml")


def app_key(app: Any, default_namespace: str = "argocd") -> tuple[str, str]:
    """``(namespace, name)`` of an Application (its namespace defaults to Argo CD's)."""
    meta = app.metadata
    return str(meta.namespace or default_namespace), str(meta.name)


def _files(paths: Sequence[str]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(
                f
                for f in sorted(path.rglob("*"))
                if f.suffix in YAML_SUFFIXES
                and f.is_file()
                and not any(p.startswith(".") for p in f.relative_to(path).parts)
            )
        else:
            out.append(path)
    return out


def load_from_paths(paths: Sequence[str]) -> tuple[list[Any], list[Any]]:
    """Every Application and AppProject in the files and folders (other kinds skipped; a
    malformed document is a :class:`~gitopslib.errors.ValidationError` naming file:line)."""
    from gitopslib.models import Application, load_documents
    from gitopslib.models import AppProject as ProjectData
    from gitopslib.project import AppProject

    apps: list[Any] = []
    projects: list[Any] = []
    for file in _files(paths):
        for doc in load_documents(file, skip_other_kinds=True):
            if isinstance(doc, Application):
                apps.append(doc)
            elif isinstance(doc, ProjectData):
                projects.append(AppProject.from_dict(doc.to_dict(), file=str(file)))
    seen: dict[tuple[str, str], Any] = {}
    for app in apps:
        key = app_key(app)
        if key in seen:
            raise ValidationError(
                f"Application {key[0]}/{key[1]} is defined twice", field="metadata.name"
            )
        seen[key] = app
    if not apps:
        raise ValidationError(f"no Application found in {', '.join(paths)}")
    return apps, projects


def load_from_cluster(cluster: Any, namespace: str) -> tuple[list[Any], list[Any]]:
    """The ``argoproj.io/v1alpha1`` Applications and AppProjects in ``namespace``."""
    from gitopslib.models import Application
    from gitopslib.project import AppProject

    def listed(kind: str) -> list[dict[str, Any]]:
        lister = getattr(cluster, "list_objects", None)
        if callable(lister):  # KubernetesCluster
            try:
                return list(lister("argoproj.io/v1alpha1", kind, namespace=namespace))
            except ClusterError as exc:
                if getattr(exc, "status", None) != 404:
                    raise
            if kind == "AppProject":  # projects are optional: apps fall back to the default
                return []
            raise ClusterError(
                f"the cluster serves no argoproj.io/v1alpha1 {kind} (is Argo CD's "
                f"{kind} CRD installed?)"
            )
        if hasattr(cluster, "objects"):  # MemoryCluster
            return [
                o
                for o in cluster.objects()
                if o.get("kind") == kind
                and o.get("apiVersion", "").startswith("argoproj.io/")
                and (o.get("metadata") or {}).get("namespace") == namespace
            ]
        raise ValidationError("this cluster cannot list Applications")

    apps = [Application.from_dict(o, file=f"cluster:{namespace}") for o in listed("Application")]
    projects = [AppProject.from_dict(o) for o in listed("AppProject")]
    return apps, projects
