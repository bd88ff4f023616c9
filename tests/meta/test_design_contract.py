"""design.md's public API block, line by line, on a real Git repository: the names external
checks call keep working."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest

import gitopslib as g

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """A one-commit Git repository holding example 01's manifests."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "01-directory-app" / "repo", repo)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    return repo


def test_design_api_end_to_end(git_repo: Path, tmp_path: Path) -> None:
    """Load, resolve, check out, render, compare, assess, plan, check policy and sync, with
    exactly the names and result fields design.md lists."""
    url = git_repo.as_uri()
    app = g.Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: guestbook, namespace: argocd}\n"
        "spec:\n  project: demo\n"
        f'  source: {{repoURL: "{url}", path: guestbook, targetRevision: main}}\n'
        "  destination: {server: https://kubernetes.default.svc, namespace: guestbook}\n"
    )
    proj = g.AppProject.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\n"
        "metadata: {name: demo, namespace: argocd}\n"
        'spec:\n  sourceRepos: ["*"]\n'
        '  destinations: [{server: https://kubernetes.default.svc, namespace: "*"}]\n'
        '  syncWindows: [{kind: deny, schedule: "0 22 * * *", duration: 1h, '
        'applications: ["*"]}]\n'
    )
    head = subprocess.run(
        ["git", "-C", str(git_repo), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()

    repo = g.GitRepository(url, cache_dir=tmp_path / "cache")
    sha = repo.resolve("main")
    assert sha == head
    with repo.checkout(sha) as root:
        assert (Path(root) / "guestbook" / "deployment.yaml").is_file()

    result = g.render(app, repository=repo)
    assert (result.revision, result.source_type) == (head, "Directory")
    kinds = sorted(o["kind"] for o in result.manifests)
    assert kinds == ["ConfigMap", "Deployment", "Service"]

    cmp = g.compare(result.manifests, [], app=app)
    assert cmp.sync_status == "OutOfSync"
    rd = next(r for r in cmp.resources if r.kind == "Deployment")
    assert (rd.group, rd.namespace, rd.name, rd.status) == (
        "apps",
        "guestbook",
        "guestbook-ui",
        "OutOfSync",
    )
    assert rd.requires_pruning is False and rd.diff and rd.patch

    hs = g.assess_health(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"restartPolicy": "Always"},
            "status": {"phase": "Pending"},
        }
    )
    assert hs is not None and hs.status == g.HealthStatusCode.PROGRESSING
    assert g.assess_health({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}) is None
    assert g.aggregate_health([hs]).status == "Progressing"

    plan = g.plan_sync(cmp, app=app, options=None)
    # Argo CD's kind order: ConfigMap, Service, Deployment; all created in Sync wave 0
    assert [(t.phase, t.wave, t.kind, t.action, t.is_hook) for t in plan.tasks] == [
        ("Sync", 0, "ConfigMap", "create", False),
        ("Sync", 0, "Service", "create", False),
        ("Sync", 0, "Deployment", "create", False),
    ]
    assert all(t.reason for t in plan.tasks)
    assert "Deployment" in plan.render_table()
    assert plan.to_mermaid().startswith("flowchart")

    assert proj.check(app) == []
    in_window = datetime.datetime(2026, 11, 26, 22, 30, tzinfo=datetime.UTC)
    outside = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
    assert len(proj.sync_windows.active(in_window)) == 1
    assert proj.can_sync(app, now=in_window, manual=False) is False
    assert proj.can_sync(app, now=outside, manual=False) is True

    cluster = g.MemoryCluster(objects=[])
    op = g.sync(app, cluster=cluster, repository=repo, dry_run=False)
    assert op.phase == "Succeeded"
    assert op.sync_result is not None and op.sync_result.revision == head
    assert sorted(o["kind"] for o in cluster.objects()) == kinds


def test_cluster_constructors_exist() -> None:
    """`SnapshotCluster(dir)` and `KubernetesCluster.from_kubeconfig(path, context)` are there
    and fail clearly on a missing input."""
    with pytest.raises(g.ClusterError, match="does not exist"):
        g.SnapshotCluster("/nonexistent/snapshot")
    with pytest.raises(g.ClusterError, match="file not found"):
        g.KubernetesCluster.from_kubeconfig(path="/nonexistent/kubeconfig", context=None)
