"""syncPolicy.retry honoured by sync(): failed attempts are retried with Argo CD's backoff on
the injected sleep, and retryCount is recorded (argocd-semantics.md §4.5)."""

from __future__ import annotations

from pathlib import Path

from ops_helpers import FakeTime, make_app

import gitopslib as g
from gitopslib.cluster import MemoryCluster
from gitopslib.models import RetryStrategy
from gitopslib.operations import OperationContext

LATE = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n"
    "  annotations: {argocd.argoproj.io/sync-wave: '5'}\n"
)
RETRY = "  syncPolicy:\n    retry: {limit: 2, backoff: {duration: 5s, factor: 2}}\n"


def test_failed_sync_is_retried_with_backoff(
    repo: Path, ctx: OperationContext, fake_time: FakeTime
) -> None:
    """limit 2: three attempts, 5 s then 10 s apart; Failed with "(retried 2 times)." and
    retryCount 2 recorded."""
    (repo / "web" / "late.yaml").write_text(LATE)
    app = make_app(policy=RETRY)
    cluster = MemoryCluster(simulate=True, failing=["web"])
    op = g.sync(app, cluster=cluster, repo_root=repo, context=ctx)
    assert op.phase == "Failed"
    assert op.retry_count == 2
    assert op.message is not None and op.message.endswith("(retried 2 times).")
    backoff = [s for s in fake_time.slept if s >= 5]
    assert backoff == [5.0, 10.0]
    st = g.app_status(app, cluster)
    assert st.operation_state is not None and st.operation_state.retry_count == 2
    assert st.operation_state.operation is not None
    assert st.operation_state.operation.retry is not None


def test_retry_from_the_context_overrides_the_app(
    app: object, repo: Path, ctx: OperationContext, fake_time: FakeTime
) -> None:
    """OperationContext.retry applies to an app without a retry policy."""
    (repo / "web" / "late.yaml").write_text(LATE)
    cluster = MemoryCluster(simulate=True, failing=["web"])
    once = ctx.replace(retry=RetryStrategy(limit=1))
    op = g.sync(app, cluster=cluster, repo_root=repo, context=once)
    assert op.retry_count == 1
    assert [s for s in fake_time.slept if s >= 5] == [5.0]


def test_success_is_not_retried(repo: Path, ctx: OperationContext, fake_time: FakeTime) -> None:
    """A sync that succeeds is not retried and records no retryCount."""
    app = make_app(policy=RETRY)
    op = g.sync(app, cluster=MemoryCluster(simulate=True), repo_root=repo, context=ctx)
    assert op.phase == "Succeeded" and op.retry_count is None
    assert fake_time.slept == []
