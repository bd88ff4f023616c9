"""wait(): `argocd app wait` semantics over live state (health, sync, operation, suspended,
degraded, timeout), with progress callbacks and a timeout error that names what is pending."""

from __future__ import annotations

from pathlib import Path

import pytest
from ops_helpers import FakeTime

import gitopslib as g
from gitopslib.cluster import MemoryCluster
from gitopslib.cluster.status import StatusStore
from gitopslib.errors import OperationError, WaitTimeoutError
from gitopslib.manifest import ResourceKey
from gitopslib.models import Application, ApplicationStatus, OperationState
from gitopslib.operations import OperationContext

WEB = ResourceKey("apps", "Deployment", "shop", "web")


def synced(app: Application, repo: Path, ctx: OperationContext, **kw: object) -> MemoryCluster:
    cluster = MemoryCluster(simulate=True, **kw)  # type: ignore[arg-type]
    assert g.sync(app, cluster=cluster, repo_root=repo, context=ctx).phase == "Succeeded"
    return cluster


def test_wait_returns_once_healthy(
    app: Application, repo: Path, ctx: OperationContext, fake_time: FakeTime
) -> None:
    """A Deployment that becomes ready after 20 s: wait polls (progress seen Progressing,
    then Healthy) and returns the status as last seen."""
    cluster = synced(app, repo, ctx, ready_after=20, clock=fake_time.clock)
    seen: list[str] = []
    st = g.wait(
        app,
        cluster,
        timeout=60,
        context=ctx.replace(poll_interval=5.0),
        on_progress=lambda s: seen.append(s.health.status if s.health else "?"),
    )
    assert st.health is not None and st.health.status == "Healthy"
    assert st.sync is not None and st.sync.status == "Synced"
    assert seen[0] == "Progressing" and seen[-1] == "Healthy"
    assert 20 <= fake_time.t <= 25


def test_timeout_names_pending_resources(
    app: Application, repo: Path, ctx: OperationContext
) -> None:
    """On timeout WaitTimeoutError names each resource still not Healthy, with its health
    message, in one line."""
    cluster = synced(app, repo, ctx, failing=["web"])
    with pytest.raises(WaitTimeoutError) as info:
        g.wait(app, cluster, timeout=30, context=ctx)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("application web: timed out (30s) waiting")
    assert info.value.pending == [
        'apps/Deployment shop/web: Synced Degraded (Deployment "web" exceeded its progress '
        "deadline)"
    ]


def test_deleted_resource_is_missing(app: Application, repo: Path, ctx: OperationContext) -> None:
    """A resource deleted after the sync is OutOfSync and Missing; health-only waits still
    time out on it, naming it."""
    cluster = synced(app, repo, ctx)
    cluster.delete(ResourceKey("", "ConfigMap", "shop", "settings"))
    with pytest.raises(WaitTimeoutError) as info:
        g.wait(app, cluster, sync=True, health=False, operation=False, timeout=10, context=ctx)
    assert info.value.pending == ["ConfigMap shop/settings: OutOfSync Missing"]


def test_drift_seen_with_git(app: Application, repo: Path, ctx: OperationContext) -> None:
    """With repo_root the live state is compared with Git on every poll: a drifted
    ConfigMap is OutOfSync, so a sync wait times out while a health wait returns."""
    cluster = synced(app, repo, ctx)
    cluster.patch(ResourceKey("", "ConfigMap", "shop", "settings"), {"data": {"mode": "slow"}})
    st = g.wait(app, cluster, sync=False, operation=False, repo_root=repo, context=ctx)
    assert st.sync is not None and st.sync.status == "OutOfSync"
    with pytest.raises(WaitTimeoutError, match="ConfigMap shop/settings: OutOfSync"):
        g.wait(app, cluster, health=False, repo_root=repo, timeout=5, context=ctx)


def test_running_operation_is_waited_for(
    app: Application, repo: Path, ctx: OperationContext
) -> None:
    """operation=True waits while an operation runs; the timeout says so."""
    cluster = synced(app, repo, ctx)
    store = StatusStore(cluster, now=ctx.now)
    record = store.load(app)
    status = record.status.model_copy(deep=True)
    status.operation_state = OperationState(
        phase="Running", message="waiting for healthy state of apps/Deployment/web"
    )
    store.save(app, record, status)
    assert g.wait(app, cluster, operation=False, timeout=5, context=ctx).health is not None
    with pytest.raises(WaitTimeoutError, match="operation Running: waiting for healthy state"):
        g.wait(app, cluster, timeout=5, context=ctx)


def test_suspended(app: Application, repo: Path, ctx: OperationContext) -> None:
    """suspended=True (alone) waits for Suspended: a paused Deployment."""
    cluster = synced(app, repo, ctx)
    cluster.patch(WEB, {"spec": {"paused": True}})
    st = g.wait(
        app, cluster, health=False, sync=False, operation=False, suspended=True, context=ctx
    )
    assert st.health is not None and st.health.status == "Suspended"
    with pytest.raises(WaitTimeoutError):
        g.wait(app, cluster, sync=False, operation=False, timeout=5, context=ctx)


def test_degraded_transition_ends_the_wait(
    app: Application, repo: Path, ctx: OperationContext, fake_time: FakeTime
) -> None:
    """Watching health, a resource that turns from Progressing to Degraded ends the wait at
    once (as the argocd CLI does); degraded=True instead waits for exactly that."""
    cluster = synced(app, repo, ctx, ready_after=10, failing=["web"], clock=fake_time.clock)
    with pytest.raises(OperationError, match="health state has transitioned from Progressing"):
        g.wait(app, cluster, timeout=600, context=ctx)
    assert fake_time.t < 600


def test_degraded_flag_accepts_degraded(
    app: Application, repo: Path, ctx: OperationContext
) -> None:
    """degraded=True with health=True accepts Degraded as an end state."""
    cluster = synced(app, repo, ctx, failing=["web"])
    st = g.wait(app, cluster, degraded=True, sync=False, operation=False, context=ctx)
    assert st.health is not None and st.health.status == "Degraded"


def test_never_synced_app_times_out_with_unknown(app: Application, ctx: OperationContext) -> None:
    """An app never synced has no recorded resources: the wait times out saying Unknown."""
    with pytest.raises(WaitTimeoutError, match=r"\(Unknown, Unknown\): no resource is pending"):
        g.wait(app, MemoryCluster(), timeout=5, context=ctx)


def test_returns_application_status(app: Application, repo: Path, ctx: OperationContext) -> None:
    """The result is the app's ApplicationStatus, operation state included."""
    st = g.wait(app, synced(app, repo, ctx), context=ctx)
    assert isinstance(st, ApplicationStatus)
    assert st.operation_state is not None and st.operation_state.phase == "Succeeded"


def test_wait_hands_each_change_to_the_notifier(
    app: Application, repo: Path, ctx: OperationContext, fake_time: FakeTime
) -> None:
    """The notifier sees the app once per change of health while wait polls (Progressing,
    then Healthy), not once per poll: a Deployment that turns Healthy after the sync ended
    still fires on-deployed."""
    cluster = synced(app, repo, ctx, ready_after=20, clock=fake_time.clock)
    seen: list[str] = []

    class Notifier:
        def process(self, app: Application) -> list[object]:
            seen.append(app.status.health.status if app.status and app.status.health else "?")
            return []

    g.wait(app, cluster, timeout=60, context=ctx.replace(poll_interval=5.0, notifier=Notifier()))
    assert seen == ["Progressing", "Healthy"]
