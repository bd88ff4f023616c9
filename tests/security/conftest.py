"""Fixtures for the security tests: a folder outside the repository holding files an attacker
would like to read, and Applications built around one source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sec_fixtures import STOLEN, AppFor

from gitopslib.models import Application


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the repository with a manifest, a values file, a Jsonnet library, a
    kustomization and a chart, each holding :data:`STOLEN`."""
    out = tmp_path / "outside"
    (out / "dir").mkdir(parents=True)
    manifest = (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: stolen}}\ndata: {{k: {STOLEN}}}\n"
    )
    (out / "secret.yaml").write_text(manifest)
    (out / "dir" / "s.yaml").write_text(manifest)
    (out / "values.yaml").write_text(f"leak: {STOLEN}\n")
    (out / "lib.libsonnet").write_text(f"{{ leak: '{STOLEN}' }}\n")
    (out / "kustomization.yaml").write_text("resources: [secret.yaml]\n")
    chart = out / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: out\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(manifest.replace("stolen", "outchart"))
    return out


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty repository folder (a sibling of ``outside``)."""
    root = tmp_path / "repo"
    root.mkdir()
    return root


@pytest.fixture
def app_for() -> AppFor:
    """An Application whose single source is ``source`` (a dict in Argo CD's YAML form)."""

    def make(
        source: dict[str, Any] | None = None,
        *,
        sources: list[dict[str, Any]] | None = None,
        name: str = "probe",
    ) -> Application:
        spec: dict[str, Any] = {
            "project": "default",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
        }
        base = {"repoURL": "https://example.com/repo.git", "targetRevision": "HEAD"}
        if sources is not None:
            spec["sources"] = [{**base, **s} for s in sources]
        else:
            spec["source"] = {**base, **(source or {})}
        doc = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd"},
            "spec": spec,
        }
        return Application.from_yaml(yaml.safe_dump(doc))

    return make
