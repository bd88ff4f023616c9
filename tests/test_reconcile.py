"""sync() and reconcile(): the whole loop on corpus apps against MemoryCluster, with the real
renderers and the real diff. Expected outcomes follow argocd-semantics.md §1.7, §4.2-§4.3."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from git_daemon import run_git

from gitopslib.cluster import MemoryCluster
from gitopslib.manifest import ResourceKey
from gitopslib.models import Application, ApplicationStatus, OperationState
from gitopslib.project import AppProject
from gitopslib.reconcile import reconcile, sync

DEPLOY = ResourceKey("apps", "Deployment", "demo", "guestbook-ui")
SERVICE = ResourceKey("", "Service", "demo", "guestbook-ui")


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def make_app(path: str = "guestbook", policy: str = "", name: str = "guestbook") -> Application:
    return Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        f"metadata: {{name: {name}, namespace: argocd}}\n"
        "spec:\n  project: default\n"
        "  source: {repoURL: 'https://github.com/argoproj/argocd-example-apps.git',"
        f" path: {path}, targetRevision: HEAD}}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: demo}\n" + policy
    )


def fast(**kw: Any) -> dict[str, Any]:
    clock = Clock()
    return {"clock": clock, "sleep": clock.sleep, **kw}


@pytest.fixture
def repo(example_apps: Path, tmp_path: Path) -> Path:
    """A writable copy of the guestbook and pre-post-sync apps."""
    root = tmp_path / "repo"
    for name in ("guestbook", "pre-post-sync", "kustomize-guestbook"):
        shutil.copytree(example_apps / name, root / name)
    return root


def test_sync_guestbook_creates_objects(repo: Path) -> None:
    """A first sync of guestbook creates its Service and Deployment, tracked, in the
    destination namespace; single wave: "successfully synced (all tasks run)"."""
    cluster = MemoryCluster(simulate=True)
    op = sync(make_app(), cluster=cluster, repo_root=repo, **fast())
    assert (op.phase, op.message) == ("Succeeded", "successfully synced (all tasks run)")
    assert cluster.writes == [
        ("create", "Service", "guestbook-ui"),
        ("create", "Deployment", "guestbook-ui"),
    ]
    deploy = cluster.get(DEPLOY)
    assert deploy is not None
    assert deploy["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == (
        "guestbook:apps/Deployment:demo/guestbook-ui"
    )
    assert op.sync_result is not None and op.sync_result.source is not None
    assert op.sync_result.source["path"] == "guestbook"


def test_after_sync_reconcile_is_synced_and_healthy(repo: Path) -> None:
    """After a sync the comparison is Synced and the simulated app Healthy."""
    cluster = MemoryCluster(simulate=True)
    app = make_app()
    sync(app, cluster=cluster, repo_root=repo, **fast())
    result = reconcile(app, cluster, repo_root=repo, **fast())
    assert result.sync_status == "Synced"
    assert result.health.status == "Healthy"
    assert result.operation is None
    assert result.auto_sync.reason == "automated sync is not enabled"


def test_second_sync_changes_nothing(repo: Path) -> None:
    """Syncing an unchanged app again writes nothing (client-side apply: unchanged)."""
    cluster = MemoryCluster(simulate=True)
    app = make_app()
    sync(app, cluster=cluster, repo_root=repo, **fast())
    before = list(cluster.writes)
    op = sync(app, cluster=cluster, repo_root=repo, **fast())
    assert op.phase == "Succeeded"
    assert cluster.writes == before


def test_dry_run_sync_writes_nothing(repo: Path) -> None:
    """sync(dry_run=True) reports what would happen and leaves the cluster empty."""
    cluster = MemoryCluster()
    op = sync(make_app(), cluster=cluster, repo_root=repo, dry_run=True, **fast())
    assert op.phase == "Succeeded"
    assert cluster.objects() == []
    rows = op.sync_result.resources if op.sync_result else None
    assert rows and all((r.message or "").endswith("(dry run)") for r in rows)


def test_prune_follows_the_operation(repo: Path) -> None:
    """A file removed from Git: without prune the Service stays ("ignored (requires
    pruning)"); with prune=True it is deleted ("pruned")."""
    cluster = MemoryCluster(simulate=True)
    app = make_app()
    sync(app, cluster=cluster, repo_root=repo, **fast())
    (repo / "guestbook" / "guestbook-ui-svc.yaml").unlink()
    op = sync(app, cluster=cluster, repo_root=repo, **fast())
    rows = {r.kind: r for r in op.sync_result.resources or []} if op.sync_result else {}
    assert rows["Service"].message == "ignored (requires pruning)"
    assert cluster.get(SERVICE) is not None
    op = sync(app, cluster=cluster, repo_root=repo, prune=True, **fast())
    rows = {r.kind: r for r in op.sync_result.resources or []} if op.sync_result else {}
    assert (rows["Service"].status, rows["Service"].message) == ("Pruned", "pruned")
    assert cluster.get(SERVICE) is None


def test_sync_pre_post_sync_hooks(repo: Path) -> None:
    """pre-post-sync through sync(): PreSync Job, resources, PostSync Job, both Jobs deleted
    at the end (HookSucceeded)."""
    cluster = MemoryCluster(simulate=True)
    op = sync(make_app("pre-post-sync", name="pps"), cluster=cluster, repo_root=repo, **fast())
    assert op.phase == "Succeeded"
    creates = [w for w in cluster.writes if w[0] == "create"]
    assert [w[2] for w in creates] == [
        "pre-post-sync-before",
        "pre-post-sync-kustomize-guestbook-ui",
        "pre-post-sync-kustomize-guestbook-ui",
        "pre-post-sync-after",
    ]
    assert [o["kind"] for o in cluster.objects()] == ["Service", "Deployment"]


AUTO = "  syncPolicy:\n    automated: {prune: true}\n"


def test_auto_sync_fires_when_out_of_sync(repo: Path) -> None:
    """automated + OutOfSync: reconcile syncs, initiated automatically."""
    cluster = MemoryCluster(simulate=True)
    result = reconcile(make_app(policy=AUTO), cluster, repo_root=repo, **fast())
    assert result.sync_status == "OutOfSync"
    assert result.auto_sync.sync
    assert result.operation is not None and result.operation.phase == "Succeeded"
    assert result.operation.operation is not None
    assert result.operation.operation.initiated_by is not None
    assert result.operation.operation.initiated_by.automated is True
    assert cluster.get(DEPLOY) is not None


def test_auto_sync_refuses_to_wipe_out(repo: Path) -> None:
    """prune without allowEmpty and every resource to prune: refused with SyncError."""
    cluster = MemoryCluster(simulate=True)
    app = make_app(policy=AUTO)
    reconcile(app, cluster, repo_root=repo, **fast())
    for f in (repo / "guestbook").iterdir():
        f.unlink()
    result = reconcile(app, cluster, repo_root=repo, **fast())
    assert result.operation is None
    assert result.conditions == [
        {"type": "SyncError", "message": "auto-sync will wipe out all resources"}
    ]
    assert cluster.get(DEPLOY) is not None


def test_allow_empty_prunes_everything(repo: Path) -> None:
    """With allowEmpty the same reconcile prunes every resource."""
    cluster = MemoryCluster(simulate=True)
    app = make_app(policy="  syncPolicy:\n    automated: {prune: true, allowEmpty: true}\n")
    reconcile(app, cluster, repo_root=repo, **fast())
    for f in (repo / "guestbook").iterdir():
        f.unlink()
    result = reconcile(app, cluster, repo_root=repo, **fast())
    assert result.operation is not None and result.operation.phase == "Succeeded"
    assert cluster.objects() == []


def test_failed_revision_is_not_retried(repo: Path) -> None:
    """A revision whose last automated sync failed is not synced again (SyncError)."""
    cluster = MemoryCluster(simulate=True)
    app = make_app(policy=AUTO)
    op = sync(app, cluster=cluster, repo_root=repo, dry_run=True, **fast())
    op.phase, op.message = "Failed", "one or more objects failed to apply"
    app.status = ApplicationStatus(operation_state=op)
    result = reconcile(app, cluster, repo_root=repo, **fast())
    assert result.operation is None
    # a local checkout has no revision: "to " + "" (Argo CD formats the revision there)
    assert result.conditions == [
        {
            "type": "SyncError",
            "message": "Failed last sync attempt to : one or more objects failed to apply",
        }
    ]


def _drift(cluster: MemoryCluster) -> None:
    cluster.patch(DEPLOY, {"spec": {"replicas": 5}})


def test_self_heal_restores_drift(repo: Path) -> None:
    """selfHeal: after a successful sync of this revision, drift is undone by a selective
    sync of the drifted resources only."""
    cluster = MemoryCluster(simulate=True)
    app = make_app(policy="  syncPolicy:\n    automated: {prune: true, selfHeal: true}\n")
    first = reconcile(app, cluster, repo_root=repo, **fast())
    app.status = ApplicationStatus(operation_state=first.operation)
    _drift(cluster)
    writes = len(cluster.writes)
    result = reconcile(app, cluster, repo_root=repo, **fast())
    assert result.auto_sync.self_heal
    assert result.auto_sync.resources == (("apps", "Deployment", "demo", "guestbook-ui"),)
    assert cluster.get(DEPLOY)["spec"]["replicas"] == 1  # type: ignore[index]
    assert cluster.writes[writes:] == [("update", "Deployment", "guestbook-ui")]


def test_no_self_heal_leaves_drift(repo: Path) -> None:
    """Without selfHeal an already-synced revision is not synced again."""
    cluster = MemoryCluster(simulate=True)
    app = make_app(policy=AUTO)
    first = reconcile(app, cluster, repo_root=repo, **fast())
    app.status = ApplicationStatus(operation_state=first.operation)
    _drift(cluster)
    result = reconcile(app, cluster, repo_root=repo, **fast())
    assert result.sync_status == "OutOfSync"
    assert result.operation is None
    assert result.auto_sync.reason == "already synced this revision; selfHeal is off"
    assert cluster.get(DEPLOY)["spec"]["replicas"] == 5  # type: ignore[index]


def test_sync_window_blocks_auto_sync(repo: Path) -> None:
    """An active deny window stops auto-sync."""
    project = AppProject.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: default}\n"
        "spec:\n  sourceRepos: ['*']\n  destinations: [{server: '*', namespace: '*'}]\n"
        "  syncWindows:\n  - {kind: deny, schedule: '* * * * *', duration: 1h,"
        " applications: ['*']}\n"
    )
    cluster = MemoryCluster(simulate=True)
    result = reconcile(
        make_app(policy=AUTO),
        cluster,
        repo_root=repo,
        project=project,
        now=lambda: datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
        **fast(),
    )
    assert result.operation is None
    assert result.auto_sync.reason.startswith("blocked by sync window")
    assert cluster.objects() == []


def test_project_denied_kind_fails_sync(repo: Path) -> None:
    """A project that denies Services makes the sync fail before anything is applied."""
    project = AppProject.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: default}\n"
        "spec:\n  sourceRepos: ['*']\n  destinations: [{server: '*', namespace: '*'}]\n"
        "  namespaceResourceBlacklist: [{group: '', kind: Service}]\n"
    )
    cluster = MemoryCluster()
    op = sync(make_app(), cluster=cluster, repo_root=repo, project=project, **fast())
    assert (op.phase, op.message) == ("Failed", "one or more synchronization tasks are not valid")
    assert cluster.writes == []  # the status record aside, nothing written


def test_operation_state_model_round_trips(repo: Path) -> None:
    """The returned OperationState serialises as Argo CD's status.operationState."""
    op = sync(make_app(), cluster=MemoryCluster(), repo_root=repo, **fast())
    data = op.to_dict()
    assert data["phase"] == "Succeeded"
    assert data["syncResult"]["resources"][0]["kind"] == "Service"
    assert OperationState.model_validate(data).phase == "Succeeded"


def test_project_refusing_destination_fails_before_render(repo: Path) -> None:
    """An app whose destination the project does not permit: Failed with the violation."""
    project = AppProject.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: default}\n"
        "spec:\n  sourceRepos: ['*']\n"
        "  destinations: [{server: 'https://kubernetes.default.svc', namespace: other}]\n"
    )
    cluster = MemoryCluster()
    op = sync(make_app(), cluster=cluster, repo_root=repo, project=project, **fast())
    assert op.phase == "Failed"
    assert op.message is not None and op.message.startswith("spec.destination")
    assert cluster.writes == []  # the status record aside, nothing written


def test_sync_from_git_records_revision_and_stops_after_failure(
    example_apps: Path, tmp_path: Path
) -> None:
    """From a real Git repository the synced commit is recorded; a failed automated sync of
    that commit is not retried, a new commit is synced."""
    from gitopslib.git import GitRepository

    origin = tmp_path / "origin"
    shutil.copytree(example_apps / "guestbook", origin / "guestbook")
    run_git("init", "-q", "-b", "main", cwd=origin)
    run_git("add", ".", cwd=origin)
    run_git("commit", "-qm", "guestbook", cwd=origin)
    first_sha = run_git("rev-parse", "HEAD", cwd=origin)
    url = origin.as_uri()
    repository = GitRepository(url, cache_dir=tmp_path / "cache")
    app = Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: guestbook, namespace: argocd}\n"
        f"spec:\n  source: {{repoURL: '{url}', path: guestbook, targetRevision: main}}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: demo}\n" + AUTO
    )
    cluster = MemoryCluster(simulate=True)
    result = reconcile(app, cluster, repository=repository, **fast())
    assert result.operation is not None
    assert result.operation.sync_result is not None
    assert result.operation.sync_result.revision == first_sha
    # pretend that sync failed: the same commit is not tried again
    result.operation.phase = "Failed"
    result.operation.message = "boom"
    app.status = ApplicationStatus(operation_state=result.operation)
    cluster.patch(DEPLOY, {"spec": {"replicas": 3}})
    again = reconcile(app, cluster, repository=repository, **fast())
    assert again.operation is None
    assert again.conditions == [
        {"type": "SyncError", "message": f"Failed last sync attempt to {first_sha}: boom"}
    ]
    # a new commit is a new revision: auto-sync fires again
    (origin / "guestbook" / "guestbook-ui-deployment.yaml").write_text(
        (origin / "guestbook" / "guestbook-ui-deployment.yaml")
        .read_text()
        .replace("replicas: 1", "replicas: 2")
    )
    run_git("commit", "-qam", "two replicas", cwd=origin)
    newer = reconcile(app, cluster, repository=repository, **fast())
    assert newer.operation is not None and newer.operation.phase == "Succeeded"
    assert cluster.get(DEPLOY)["spec"]["replicas"] == 2  # type: ignore[index]


def test_reconcile_records_the_source_type_without_a_sync(repo: Path) -> None:
    """A refresh records what the render detected (Argo CD's comparison sets
    status.sourceType on every refresh, not only after a sync)."""
    from gitopslib import app_status

    cluster = MemoryCluster(simulate=True)
    app = make_app(path="kustomize-guestbook", name="kg")
    result = reconcile(app, cluster, repo_root=repo, **fast())
    assert result.operation is None
    status = app_status(app, cluster=cluster)
    assert (status.source_type, status.source_types) == ("Kustomize", None)
    assert status.sync is not None and status.sync.status == "OutOfSync"
