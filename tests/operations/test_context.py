"""OperationContext: one immutable object carries what an operation runs with; the keyword
arguments of sync() and reconcile() stay a thin layer over it."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest
from ops_helpers import FakeTime

import gitopslib as g
from gitopslib.cluster import MemoryCluster
from gitopslib.models import Application
from gitopslib.operations import OperationContext
from gitopslib.reconcile import reconcile, sync


def test_context_is_immutable() -> None:
    """A context cannot be changed in place; replace() returns a new one."""
    ctx = OperationContext()
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.timeout = 1.0  # type: ignore[misc]
    assert ctx.replace(timeout=1.0).timeout == 1.0 and ctx.timeout == 600.0


def test_public_name() -> None:
    """`gitopslib.OperationContext` is the operations package's class."""
    assert g.OperationContext is OperationContext


def test_sync_waits_on_the_context_clock(
    app: Application, repo: Path, ctx: OperationContext, fake_time: FakeTime
) -> None:
    """With the context's clock and sleep, a Deployment that never becomes ready times the
    operation out after `timeout` seconds of the fake clock, polling every `poll_interval`."""
    cluster = MemoryCluster(simulate=True, ready_after=10_000, clock=fake_time.clock)
    two_waves = ctx.replace(timeout=30.0, poll_interval=5.0)
    (repo / "web" / "late.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n"
        "  annotations: {argocd.argoproj.io/sync-wave: '5'}\n"
    )
    op = sync(app, cluster=cluster, repo_root=repo, context=two_waves)
    assert op.phase == "Failed"
    assert op.message is not None and "timed out after 30s" in op.message
    assert set(fake_time.slept) == {5.0} and fake_time.t >= 30.0


def test_keyword_overrides_the_context(
    app: Application, repo: Path, ctx: OperationContext, fake_time: FakeTime
) -> None:
    """A keyword given to sync() wins over the same field of `context`."""
    seen: list[str] = []
    op = sync(
        app,
        cluster=MemoryCluster(),
        repo_root=repo,
        context=ctx.replace(on_progress=lambda s: seen.append("context")),
        on_progress=lambda s: seen.append("keyword"),
    )
    assert op.phase == "Succeeded"
    assert seen and set(seen) == {"keyword"}


def test_reconcile_takes_the_context(app: Application, repo: Path, ctx: OperationContext) -> None:
    """reconcile() judges health with the context's health function."""
    cluster = MemoryCluster(simulate=True)
    sync(app, cluster=cluster, repo_root=repo, context=ctx)
    degraded = ctx.replace(health=lambda obj: g.HealthStatus(g.HealthStatusCode.DEGRADED, "no"))
    assert reconcile(app, cluster, repo_root=repo, context=ctx).health.status == "Healthy"
    assert reconcile(app, cluster, repo_root=repo, context=degraded).health.status == "Degraded"


def test_failing_observer_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    """An observer that raises is logged with its method name and the error type; the
    operation goes on."""

    def boom(*args: Any) -> None:
        raise RuntimeError("metrics backend down")

    with caplog.at_level(logging.WARNING, logger="gitopslib.operations"):
        assert OperationContext().observe("record_sync", boom, "app") is None
    assert "record_sync failed: RuntimeError" in caplog.text
