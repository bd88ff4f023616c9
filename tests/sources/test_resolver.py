"""Resolving repoURLs to folders or Git repositories, and app-of-apps trees."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitopslib.errors import RenderError
from gitopslib.models import Application
from gitopslib.sources import Resolver, render, render_tree

UPSTREAM = "https://github.com/argoproj/argocd-example-apps"


def test_apps_chart_yields_applications(make_app, example_apps, helm_engine, sort_objs):
    """The apps chart renders one Application per entry, as the engine renders it."""
    result = render(make_app("apps", name="apps"), repo_root=example_apps)
    expected = helm_engine(example_apps / "apps", name="apps", namespace="demo-ns")
    assert sort_objs(result.manifests) == sort_objs(expected)
    assert {o["kind"] for o in result.manifests} == {"Application"}
    assert len(result.manifests) == 14  # the 14 entries of apps/values.yaml


def test_app_of_apps_renders_recursively(make_app, example_apps):
    """render_tree renders each child Application through the same resolver."""
    tree = render_tree(make_app("apps", name="apps"), Resolver({UPSTREAM: example_apps}))
    children = {c.app.metadata.name: c for c in tree.children}
    assert len(children) == 14
    guestbook = children["example.guestbook"]
    assert guestbook.error is None and guestbook.result is not None
    # each child equals a direct render of the same Application
    direct = render(guestbook.app, repo_root=example_apps)
    assert guestbook.result.manifests == direct.manifests
    assert children["example.helm-guestbook"].result.source_type == "Helm"
    assert children["example.sync-waves"].result.source_type == "Directory"


def test_app_of_apps_children_use_their_own_helm_settings(make_app, example_apps):
    """A child's helm.releaseName from the parent chart reaches its render."""
    tree = render_tree(make_app("apps", name="apps"), Resolver({UPSTREAM: example_apps}))
    child = next(c for c in tree.children if c.app.metadata.name == "example.helm-guestbook")
    deploy = next(o for o in child.result.manifests if o["kind"] == "Deployment")
    assert deploy["metadata"]["name"] == "helm-guestbook"  # release "helm-guestbook"


def test_failing_children_keep_their_error(make_app, example_apps):
    """Children that cannot render offline (remote deps, missing plugins) carry an error."""
    tree = render_tree(make_app("apps", name="apps"), Resolver({UPSTREAM: example_apps}))
    errors = {c.app.metadata.name: c.error for c in tree.walk() if c.error}
    assert "example.helm-dependency" in errors
    assert "remote charts" in str(errors["example.helm-dependency"])
    with pytest.raises(RenderError):
        render_tree(make_app("apps", name="apps"), Resolver({UPSTREAM: example_apps}), strict=True)


def test_cycles_are_not_followed(tmp_path):
    """An Application that yields itself is rendered once."""
    self_app = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: loop, namespace: argocd}\n"
        "spec:\n  project: default\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: x}\n"
        "  source: {repoURL: 'https://example.com/r.git', path: loop}\n"
    )
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "app.yaml").write_text(self_app)
    tree = render_tree(Application.from_yaml(self_app), Resolver(default=tmp_path))
    assert len(list(tree.walk())) == 1


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@x",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@x",
            "HOME": str(cwd),
            "PATH": "/usr/bin:/bin",
        },
    ).stdout.strip()


def test_render_from_git_repository(make_app, tmp_path):
    """With a GitRepository, the resolved commit is the result's revision and the build env's
    ARGOCD_APP_REVISION."""
    from gitopslib.git import GitRepository

    origin = tmp_path / "origin"
    (origin / "app").mkdir(parents=True)
    (origin / "app" / "cm.jsonnet").write_text(
        "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'},"
        " data: {rev: std.extVar('rev')}}"
    )
    _git(origin, "init", "-q", "-b", "main")
    _git(origin, "add", ".")
    _git(origin, "commit", "-q", "-m", "one")
    sha = _git(origin, "rev-parse", "HEAD")
    repo = GitRepository(f"file://{origin}", cache_dir=tmp_path / "cache")
    spec = (
        "targetRevision: main\ndirectory:\n  jsonnet:\n"
        "    extVars: [{name: rev, value: $ARGOCD_APP_REVISION}]\n"
    )
    result = render(make_app("app", spec, repo_url=f"file://{origin}"), repository=repo)
    assert result.revision == sha
    assert result.manifests[0]["data"]["rev"] == sha
