"""reconcile() records what a controller pass sees (sync, health, resources, conditions) and
tells the metrics observer; an operation running elsewhere stops auto-sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ops_helpers import make_app

import gitopslib as g
from gitopslib.cluster import MemoryCluster
from gitopslib.cluster.status import StatusStore
from gitopslib.manifest import ResourceKey
from gitopslib.models import Application, OperationState
from gitopslib.operations import OperationContext
from gitopslib.reconcile import reconcile

AUTO = "  syncPolicy:\n    automated: {prune: true}\n"


def test_pass_records_comparison_and_metrics(
    app: Application, repo: Path, ctx: OperationContext
) -> None:
    """A pass without auto-sync records OutOfSync and the missing resources; the metrics
    observer gets the pass time and the app with that status."""
    calls: list[tuple[str, Any]] = []

    class Metrics:
        def record_reconcile(self, app: Any, seconds: float) -> None:
            calls.append(("reconcile", seconds))

        def record_app(self, app: Any) -> None:
            calls.append(("app", app.status.sync.status))

    cluster = MemoryCluster()
    result = reconcile(app, cluster, repo_root=repo, context=ctx.replace(metrics=Metrics()))
    assert result.operation is None
    st = g.app_status(app, cluster)
    assert st.sync is not None and st.sync.status == "OutOfSync"
    assert st.health is not None and st.health.status == "Missing"
    assert [(r.name, r.status) for r in st.resources or []] == [
        ("settings", "OutOfSync"),
        ("web", "OutOfSync"),
    ]
    assert calls == [("app", "OutOfSync"), ("reconcile", 0.0)]


def test_running_operation_blocks_auto_sync(repo: Path, ctx: OperationContext) -> None:
    """While the recorded status says an operation runs, auto-sync does not start another."""
    app = make_app(policy=AUTO)
    cluster = MemoryCluster(simulate=True)
    StatusStore(cluster, now=ctx.now).begin(
        app, OperationState(phase="Running", started_at="2026-03-01T11:59:00Z")
    )
    result = reconcile(app, cluster, repo_root=repo, context=ctx)
    assert result.auto_sync.reason == "an operation is already in progress"
    assert cluster.get(ResourceKey("apps", "Deployment", "shop", "web")) is None


def test_auto_sync_is_recorded_as_automated(repo: Path, ctx: OperationContext) -> None:
    """The sync auto-sync starts is recorded with initiatedBy.automated and a history entry."""
    app = make_app(policy=AUTO)
    cluster = MemoryCluster(simulate=True)
    result = reconcile(app, cluster, repo_root=repo, context=ctx)
    assert result.operation is not None and result.operation.phase == "Succeeded"
    history = g.app_status(app, cluster).history or []
    assert len(history) == 1
    assert history[0].initiated_by is not None and history[0].initiated_by.automated is True


def test_reconcile_hands_the_recorded_status_to_the_notifier(
    app: Application, repo: Path, ctx: OperationContext
) -> None:
    """A reconcile pass that records what it saw passes the app with that status on."""
    cluster = MemoryCluster(simulate=True)
    assert g.sync(app, cluster=cluster, repo_root=repo, context=ctx).phase == "Succeeded"
    seen: list[tuple[str, str]] = []

    class Notifier:
        def process(self, app: Application) -> list[object]:
            st = app.status
            seen.append((st.sync.status, st.health.status))  # type: ignore[union-attr]
            return []

    reconcile(app, cluster, repo_root=repo, context=ctx.replace(notifier=Notifier()))
    assert seen == [("Synced", "Healthy")]
