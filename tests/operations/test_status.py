"""Recorded operations: sync() keeps operationState, sync, health, resources and history in
the cluster as Argo CD keeps them in an Application's status (argocd-semantics.md §9.5), and
app_status() reads them back, from another process's point of view too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ops_helpers import FakeTime, make_app, write_repo

import gitopslib as g
from gitopslib.cluster import MemoryCluster
from gitopslib.cluster.status import ANNOTATION_DEADLINE, StatusStore
from gitopslib.errors import OperationError, OperationInProgressError
from gitopslib.manifest import ResourceKey
from gitopslib.models import Application, OperationState
from gitopslib.operations import OperationContext

RECORD = ResourceKey("", "ConfigMap", "argocd", "gitopslib.app.web")
LATE = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n"
    "  annotations: {argocd.argoproj.io/sync-wave: '5'}\n"
)


def test_sync_records_operation_sync_health_and_history(
    app: Application, repo: Path, ctx: OperationContext
) -> None:
    """After a sync the status says Succeeded, Synced, Healthy, lists both resources, and
    holds one history entry with id 0 and the app's source."""
    cluster = MemoryCluster(simulate=True)
    op = g.sync(app, cluster=cluster, repo_root=repo, context=ctx)
    st = g.app_status(app, cluster=cluster)
    assert st.operation_state is not None
    assert (st.operation_state.phase, st.operation_state.message) == (op.phase, op.message)
    assert st.operation_state.started_at == "2026-03-01T12:00:00Z"
    assert st.sync is not None and st.sync.status == "Synced"
    assert st.health is not None and st.health.status == "Healthy"
    assert [(r.kind, r.name, r.status) for r in st.resources or []] == [
        ("ConfigMap", "settings", "Synced"),
        ("Deployment", "web", "Synced"),
    ]
    assert st.history is not None and len(st.history) == 1
    entry = st.history[0]
    assert entry.id == 0
    assert entry.source == {
        "repoURL": "https://example.com/web.git",
        "path": "web",
        "targetRevision": "HEAD",
    }
    assert entry.deployed_at == op.finished_at and entry.deploy_started_at == op.started_at
    assert entry.initiated_by is not None and entry.initiated_by.username == "gitopslib"


def test_status_lives_in_a_labelled_configmap(
    app: Application, repo: Path, ctx: OperationContext
) -> None:
    """The record is a ConfigMap in the app's namespace, labelled for kubectl, whose
    status.json is the Application status in Argo CD's field names."""
    cluster = MemoryCluster(simulate=True)
    g.sync(app, cluster=cluster, repo_root=repo, context=ctx)
    record = cluster.get(RECORD)
    assert record is not None
    assert record["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "gitopslib",
        "gitopslib.io/application": "web",
    }
    data = json.loads(record["data"]["status.json"])
    assert set(data) >= {"operationState", "sync", "health", "history", "resources"}
    assert data["operationState"]["syncResult"]["resources"][0]["kind"] == "ConfigMap"
    assert cluster.writes[:2] == [
        ("create", "ConfigMap", "settings"),
        ("create", "Deployment", "web"),
    ]


def test_status_namespace_is_selectable(
    app: Application, repo: Path, ctx: OperationContext
) -> None:
    """`status_namespace` puts the record elsewhere; app_status(namespace=...) finds it."""
    cluster = MemoryCluster(simulate=True)
    g.sync(app, cluster=cluster, repo_root=repo, context=ctx.replace(status_namespace="ops"))
    assert cluster.get(RECORD._replace(namespace="ops")) is not None
    assert cluster.get(RECORD) is None
    assert g.app_status(app, cluster, namespace="ops").history is not None


def test_history_ids_keep_counting_past_the_limit(tmp_path: Path, ctx: OperationContext) -> None:
    """With revisionHistoryLimit 2, four syncs leave ids 2 and 3 (oldest first)."""
    app = make_app(extra="  revisionHistoryLimit: 2\n")
    cluster = MemoryCluster(simulate=True)
    for tag in ("1", "2", "3", "4"):
        root = write_repo(tmp_path / f"r{tag}", tag=tag)
        assert g.sync(app, cluster=cluster, repo_root=root, context=ctx).phase == "Succeeded"
    history = g.app_status(app, cluster).history or []
    assert [h.id for h in history] == [2, 3]


def test_dry_run_records_nothing(app: Application, repo: Path, ctx: OperationContext) -> None:
    """A dry run changes nothing in the cluster, its status record included."""
    cluster = MemoryCluster()
    assert g.sync(app, cluster=cluster, repo_root=repo, dry_run=True, context=ctx).phase == (
        "Succeeded"
    )
    assert cluster.objects(status_records=True) == []


def test_failed_sync_is_recorded_without_history(
    app: Application, repo: Path, ctx: OperationContext, fake_time: FakeTime
) -> None:
    """A failed sync is the recorded operation; the history keeps only successful syncs."""
    cluster = MemoryCluster(simulate=True)
    g.sync(app, cluster=cluster, repo_root=repo, context=ctx)
    write_repo(repo, tag="2")  # a new image that will not roll out
    (repo / "web" / "late.yaml").write_text(LATE)
    failing = cluster
    failing.failing = frozenset({"web"})
    op = g.sync(app, cluster=failing, repo_root=repo, context=ctx)
    assert op.phase == "Failed"
    st = g.app_status(app, failing)
    assert st.operation_state is not None and st.operation_state.phase == "Failed"
    assert [h.id for h in st.history or []] == [0]
    assert st.health is not None and st.health.status == "Degraded"


def test_second_sync_while_one_runs_is_refused(
    app: Application, repo: Path, ctx: OperationContext
) -> None:
    """While an operation is Running, another sync gets OperationInProgressError with Argo
    CD's words, and nothing of the app is written."""
    cluster = MemoryCluster(simulate=True)
    running = OperationState(phase="Running", started_at="2026-03-01T11:59:00Z")
    StatusStore(cluster, now=ctx.now).begin(app, running)
    with pytest.raises(OperationInProgressError, match="another operation is already in progress"):
        g.sync(app, cluster=cluster, repo_root=repo, context=ctx)
    assert cluster.writes == []


def test_two_writers_conflict_on_resource_version(app: Application) -> None:
    """Two stores that read the same record: the first write wins, the second is refused
    (its resourceVersion is stale) instead of overwriting."""
    cluster = MemoryCluster()
    first, second = StatusStore(cluster), StatusStore(cluster)
    first.begin(app, OperationState(phase="Succeeded"))
    seen_by_a = first.load(app)
    seen_by_b = second.load(app)
    first.save(app, seen_by_a, seen_by_a.status.model_copy(update={"reconciled_at": "a"}))
    with pytest.raises(OperationError, match="changed by another process"):
        second.save(app, seen_by_b, seen_by_b.status.model_copy(update={"reconciled_at": "b"}))
    assert g.app_status(app, cluster).reconciled_at == "a"


def test_crash_leaves_running_record(app: Application, repo: Path, ctx: OperationContext) -> None:
    """A process that dies mid-operation leaves phase Running with startedAt and a deadline."""
    (repo / "web" / "late.yaml").write_text(LATE)
    cluster = MemoryCluster(simulate=True, ready_after=10)

    def crash(state: OperationState) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        g.sync(app, cluster=cluster, repo_root=repo, context=ctx.replace(on_progress=crash))
    st = g.app_status(app, cluster)
    assert st.operation_state is not None
    assert (st.operation_state.phase, st.operation_state.started_at) == (
        "Running",
        "2026-03-01T12:00:00Z",
    )
    deadline = (cluster.get(RECORD) or {})["metadata"]["annotations"][ANNOTATION_DEADLINE]
    assert deadline == "2026-03-01T12:11:00Z"  # start + 600 s timeout + 60 s grace


def test_stale_running_record_is_taken_over(
    app: Application, repo: Path, ctx: OperationContext, fake_time: FakeTime
) -> None:
    """Once its deadline has passed, a Running record left by a dead process no longer
    blocks: the next sync runs and records itself."""
    cluster = MemoryCluster(simulate=True)
    dead = OperationState(phase="Running", started_at="2026-03-01T12:00:00Z")
    StatusStore(cluster, now=fake_time.now).begin(
        app, dead, deadline=fake_time.now().replace(minute=11)
    )
    with pytest.raises(OperationInProgressError):
        g.sync(app, cluster=cluster, repo_root=repo, context=ctx)
    fake_time.t = 11 * 60 + 1
    assert g.sync(app, cluster=cluster, repo_root=repo, context=ctx).phase == "Succeeded"
    st = g.app_status(app, cluster)
    assert st.operation_state is not None and st.operation_state.phase == "Succeeded"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("{not json", "data.status.json is not JSON"),
        ("[1, 2]", "data.status.json is a list, not an object"),
        ('{"history": "yesterday"}', "data.status.json is not an Application status"),
    ],
)
def test_status_edited_into_nonsense_is_one_line_error(
    app: Application, data: str, expected: str
) -> None:
    """A record edited by hand into nonsense: one line naming the app and the object."""
    cluster = MemoryCluster()
    StatusStore(cluster).begin(app, OperationState(phase="Succeeded"))
    cluster.patch(RECORD, {"data": {"status.json": data}})
    with pytest.raises(OperationError) as info:
        g.app_status(app, cluster)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("application web: the status recorded in ConfigMap argocd/")
    assert expected in message


def test_application_object_status_is_used(
    app: Application, repo: Path, ctx: OperationContext
) -> None:
    """Where an argoproj.io Application exists in the cluster, its .status is the record."""
    app_obj: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "web", "namespace": "argocd"},
        "spec": app.to_dict()["spec"],
    }
    cluster = MemoryCluster([app_obj], simulate=True)
    g.sync(app, cluster=cluster, repo_root=repo, context=ctx)
    live = cluster.get(ResourceKey("argoproj.io", "Application", "argocd", "web")) or {}
    assert live["status"]["operationState"]["phase"] == "Succeeded"
    assert [h["id"] for h in live["status"]["history"]] == [0]
    assert cluster.get(RECORD) is None


def test_observers_see_each_recorded_change(
    app: Application, repo: Path, ctx: OperationContext
) -> None:
    """The notifier gets the app with its status after each recorded change (Running, then
    Succeeded); metrics count the finished sync. A notifier that raises changes nothing."""
    seen: list[str] = []
    counted: list[tuple[str, bool]] = []

    class Notifier:
        def process(self, app: Any) -> list[Any]:
            seen.append(app.status.operation_state.phase)
            raise RuntimeError("smtp down")

    class Metrics:
        def record_sync(self, app: Any, phase: str, *, dry_run: bool = False) -> None:
            counted.append((phase, dry_run))

    op = g.sync(
        app,
        cluster=MemoryCluster(simulate=True),
        repo_root=repo,
        context=ctx.replace(notifier=Notifier(), metrics=Metrics()),
    )
    assert op.phase == "Succeeded"
    assert seen == ["Running", "Succeeded"]
    assert counted == [("Succeeded", False)]
