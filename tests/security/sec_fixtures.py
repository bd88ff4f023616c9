"""Helpers shared by the security tests (imported by name; conftest holds the fixtures)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gitopslib.models import Application

#: The marker every "stolen" file carries: it must never show up in a render or a message.
STOLEN = "STOLEN-OUTSIDE-CONTENT"

#: The ``app_for`` fixture: an Application around one source (or several).
AppFor = Callable[..., Application]


def app_file(repo_url: str = "https://example.com/r.git", path: str = "app") -> str:
    """An Application file for the CLI: app ``a`` in argocd, deploying ``path`` of
    ``repo_url`` to the default namespace of the local cluster."""
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: a, namespace: argocd}\nspec:\n  project: default\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: default}\n"
        f"  source: {{repoURL: '{repo_url}', path: {path}}}\n"
    )


def write_chart(where: Path, template: str | None = None) -> Path:
    """A minimal Helm chart at ``where`` whose one template is ``template``."""
    (where / "templates").mkdir(parents=True)
    (where / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (where / "templates" / "cm.yaml").write_text(
        template
        or "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
        'data:\n  v: {{ .Values.leak | default "none" | quote }}\n'
    )
    return where
