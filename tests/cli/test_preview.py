"""``gitopslib preview`` on a throwaway Git repository with two commits."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from git_daemon import run_git

ROOT_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: root, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://git.example.com/platform.git, path: apps, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: argocd}
"""
CHILD_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://git.example.com/platform.git, path: web, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: shop}
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.27}]}
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: db}
data: {password: VALUE}
"""
MIGRATION = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations: {argocd.argoproj.io/hook: PreSync}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: busybox, command: [sh, -c, 'true']}]
"""
OLD_PASSWORD = base64.b64encode(b"old-password").decode()
NEW_PASSWORD = base64.b64encode(b"new-password").decode()


@pytest.fixture(scope="module")
def two_commits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A repository: an app-of-apps whose child changes replicas and a Secret, and gains a
    PreSync hook, between its two commits."""
    repo = tmp_path_factory.mktemp("platform")
    run_git("-C", repo, "init", "-q", "-b", "main")
    (repo / "argocd").mkdir()
    (repo / "argocd" / "root.yaml").write_text(ROOT_APP)
    (repo / "apps").mkdir()
    (repo / "apps" / "web.yaml").write_text(CHILD_APP)
    (repo / "web").mkdir()
    (repo / "web" / "deployment.yaml").write_text(DEPLOYMENT.replace("REPLICAS", "1"))
    (repo / "web" / "secret.yaml").write_text(SECRET.replace("VALUE", OLD_PASSWORD))
    run_git("-C", repo, "add", ".")
    run_git("-C", repo, "commit", "-q", "-m", "first")
    base = run_git("-C", repo, "rev-parse", "HEAD")
    (repo / "web" / "deployment.yaml").write_text(DEPLOYMENT.replace("REPLICAS", "3"))
    (repo / "web" / "secret.yaml").write_text(SECRET.replace("VALUE", NEW_PASSWORD))
    (repo / "web" / "migrate.yaml").write_text(MIGRATION)
    run_git("-C", repo, "add", ".")
    run_git("-C", repo, "commit", "-q", "-m", "second")
    return repo, base, run_git("-C", repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def report(two_commits: tuple[Path, str, str], cli: Callable[..., Any], tmp_path_factory) -> str:
    """The preview report of base..main, written with --output-file."""
    repo, base, _ = two_commits
    out = tmp_path_factory.mktemp("report") / "preview.md"
    run = cli(
        "preview",
        "--repo",
        repo,
        "--base",
        base,
        "--head",
        "main",
        "--output-file",
        out,
        "--cache-dir",
        tmp_path_factory.mktemp("cache"),
    )
    assert run.code == 0, run.err
    assert run.out == ""
    return out.read_text()


def test_preview_title_names_both_commits(report: str, two_commits) -> None:
    """The title shows the short SHAs of base and head (head given as a branch name)."""
    _, base, head = two_commits
    assert report.splitlines()[0] == f"# gitopslib preview: `{base[:8]}` → `{head[:8]}`"


def test_preview_summarises_every_app_of_the_tree(report: str) -> None:
    """The root app and the child it renders are both listed; only the child changed."""
    assert "| `argocd/root` | unchanged | +0 ~0 -0 |" in report
    assert "| `argocd/web` | changed | +1 ~2 -0 |" in report
    assert "## `argocd/root`" not in report


def test_preview_shows_rendered_diff(report: str) -> None:
    """The child's section carries a unified diff of the rendered change."""
    assert "## `argocd/web`: changed" in report
    assert "-  replicas: 1\n+  replicas: 3" in report
    assert "+++ head/batch/Job/migrate" in report


def test_preview_masks_secret_values(report: str) -> None:
    """Neither the old nor the new Secret value appears; the masks differ, so the change shows."""
    assert OLD_PASSWORD not in report and NEW_PASSWORD not in report
    assert "-  password: '++++++++'" in report or "-  password: ++++++++" in report
    assert "+  password: '++++++++++++'" in report or "+  password: ++++++++++++" in report


def test_preview_plan_has_table_and_mermaid(report: str) -> None:
    """The plan of base -> head is a table (the new hook first) and a Mermaid diagram."""
    section = report.split("## `argocd/web`")[1]
    assert "### Sync plan" in section
    rows = [
        line
        for line in section.splitlines()
        if line.startswith("| Pre") or line.startswith("| Sync")
    ]
    assert rows[0].startswith("| PreSync | 0 | create | Job | shop/migrate |")
    assert "| Sync | 0 | apply | Deployment | shop/web |" in section
    assert "```mermaid\nflowchart" in section


def test_preview_with_app_selector_and_stdout(two_commits, cli) -> None:
    """An app path limits the report to that app (and its children); stdout by default."""
    repo, base, head = two_commits
    run = cli("preview", "--repo", repo, "--base", base, "--head", head, "apps/web.yaml")
    assert run.code == 0, run.err
    assert "`argocd/web`" in run.out and "argocd/root" not in run.out


def test_preview_unknown_revision_is_an_error(two_commits, cli) -> None:
    """A base that does not resolve is one error line, exit 2."""
    repo, _, _ = two_commits
    run = cli("preview", "--repo", repo, "--base", "no-such-branch", "--head", "main")
    assert run.code == 2
    assert len(run.err.strip().splitlines()) == 1 and "no-such-branch" in run.err


def test_render_clones_when_no_repo_root(two_commits, cli, tmp_path) -> None:
    """Without --repo-root the source's repoURL is fetched into the Git cache; --revision
    picks the commit (the base commit still has 1 replica, main has 3)."""
    repo, base, _ = two_commits
    app = tmp_path / "web.yaml"
    app.write_text(CHILD_APP.replace("https://git.example.com/platform.git", str(repo)))
    cache = tmp_path / "cache"
    head = cli("render", app, "--cache-dir", cache)
    old = cli("render", app, "--cache-dir", cache, "--revision", base)
    assert head.code == 0 and old.code == 0, head.err + old.err
    assert "replicas: 3" in head.out and "replicas: 1" in old.out
    assert "kind: Job" in head.out and "kind: Job" not in old.out


CHART = "apiVersion: v2\nname: apps\nversion: 0.1.0\n"
TEMPLATED_APPS = """\
{{- range .Values.apps }}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: {{ . }}, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://git.example.com/platform.git, path: {{ . }}, targetRevision: main}
  destination: {server: https://kubernetes.default.svc, namespace: shop}
{{- end }}
"""
CHART_ROOT_APP = ROOT_APP.replace("name: root", "name: charted").replace(
    "path: apps", "path: chart"
)


@pytest.fixture(scope="module")
def charted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A repository whose app-of-apps is a Helm chart templating its Applications (as the
    corpus ``apps`` chart does); the second commit changes the child and breaks a file."""
    repo = tmp_path_factory.mktemp("charted")
    run_git("-C", repo, "init", "-q", "-b", "main")
    (repo / "argocd").mkdir()
    (repo / "argocd" / "root.yaml").write_text(CHART_ROOT_APP)
    (repo / "chart" / "templates").mkdir(parents=True)
    (repo / "chart" / "Chart.yaml").write_text(CHART)
    (repo / "chart" / "values.yaml").write_text("apps: [web]\n")
    (repo / "chart" / "templates" / "apps.yaml").write_text(TEMPLATED_APPS)
    (repo / "web").mkdir()
    (repo / "web" / "deployment.yaml").write_text(DEPLOYMENT.replace("REPLICAS", "1"))
    run_git("-C", repo, "add", ".")
    run_git("-C", repo, "commit", "-q", "-m", "first")
    base = run_git("-C", repo, "rev-parse", "HEAD")
    (repo / "web" / "deployment.yaml").write_text(DEPLOYMENT.replace("REPLICAS", "2"))
    (repo / "argocd" / "broken.yaml").write_text(CHILD_APP.replace("  project:", "  projct:"))
    lost = CHILD_APP.replace("name: web", "name: lost").replace("path: web", "path: no-such-dir")
    (repo / "argocd" / "lost.yaml").write_text(lost)
    run_git("-C", repo, "add", ".")
    run_git("-C", repo, "commit", "-q", "-m", "second")
    return repo, base, run_git("-C", repo, "rev-parse", "HEAD")


def test_preview_of_a_repo_with_a_chart_of_applications(charted, cli) -> None:
    """Chart templates are not read as Application files: the chart's children are found
    through the root app's render, and the report shows the child's change."""
    repo, base, head = charted
    run = cli("preview", "--repo", repo, "--base", base, "--head", head)
    assert run.code == 0, run.err
    assert "| `argocd/charted` | unchanged |" in run.out
    assert "| `argocd/web` | changed | +0 ~1 -0 |" in run.out
    assert "-  replicas: 1\n+  replicas: 2" in run.out


def test_preview_reports_a_broken_app_file_and_goes_on(charted, cli) -> None:
    """An Application file that does not load at head is a report row naming the file
    relative to the repository, its line (5, ``projct``) and the field; the rest still runs."""
    repo, base, head = charted
    run = cli("preview", "--repo", repo, "--base", base, "--head", head)
    assert run.code == 0, run.err
    assert "| `argocd/broken.yaml` | error |" in run.out
    assert "> **error:** argocd/broken.yaml:5:3: spec.projct: unknown field 'projct'" in run.out
    assert str(repo) not in run.out and "/trees/" not in run.out


def test_preview_render_error_names_the_app_file_and_field(charted, cli) -> None:
    """An app whose path does not exist at head is an error row naming its file (relative to
    the repository), line 6 and column 65 (counted by hand in the flow mapping) and the field."""
    repo, base, head = charted
    run = cli("preview", "--repo", repo, "--base", base, "--head", head)
    assert run.code == 0, run.err
    assert "| `argocd/lost` | error |" in run.out
    assert (
        "> **error:** argocd/lost.yaml:6:65: spec.source.path: app path 'no-such-dir' does not "
        "exist in https://git.example.com/platform.git"
    ) in run.out
