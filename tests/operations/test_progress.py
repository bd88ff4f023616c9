"""A running operation's progress in its status record (Argo CD persists
``status.operationState`` as a sync goes): while a sync waits, the record shows Running with
the executor's message and each task's result so far; writes are throttled and made only on
change; a failed progress write never fails the sync; the final record is what it always was;
one operation at a time and the stale takeover still hold."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from ops_helpers import FakeTime, write_repo

import gitopslib as g
from gitopslib.cluster import MemoryCluster
from gitopslib.errors import ClusterError, OperationError, OperationInProgressError
from gitopslib.manifest import ResourceKey
from gitopslib.models import Application, ApplicationStatus, OperationState
from gitopslib.operations import OperationContext

RECORD = ResourceKey("", "ConfigMap", "argocd", "gitopslib.app.web")
WAITING = "waiting for healthy state of apps/Deployment/web"
LATE = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n"
    "  annotations: {argocd.argoproj.io/sync-wave: '5'}\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The app's folder with a later wave: the sync is multi-step, so it waits for the
    Deployment's health before the next wave (a single-step sync would not wait)."""
    root = write_repo(tmp_path / "repo")
    (root / "web" / "late.yaml").write_text(LATE)
    return root


def _record_writes(cluster: MemoryCluster) -> list[str]:
    """The verbs of the writes the status record received, in order."""
    return [e.verb for e in cluster.events if e.key == RECORD and not e.dry_run]


def _stored(cluster: MemoryCluster) -> dict[str, Any]:
    """The status as stored in the record."""
    record = cluster.get(RECORD)
    assert record is not None
    data: dict[str, Any] = json.loads(record["data"]["status.json"])
    return data


def _slow_cluster(time: FakeTime, ready_after: float = 10.0) -> MemoryCluster:
    """A cluster whose Deployments get ready ``ready_after`` seconds after their apply."""
    return MemoryCluster(simulate=True, ready_after=ready_after, clock=time.clock)


def _context(
    time: FakeTime, sleep: Callable[[float], None] | None = None, **changes: Any
) -> OperationContext:
    """The fake clock, polls 1 s apart; ``changes`` override fields."""
    ctx = OperationContext(
        clock=time.clock, sleep=sleep or time.sleep, now=time.now, poll_interval=1.0
    )
    return ctx.replace(**changes)


def _watching(
    time: FakeTime, app: Application, cluster: MemoryCluster
) -> tuple[Callable[[float], None], list[ApplicationStatus]]:
    """A sleep that advances the fake clock and first reads the app's recorded status, as a
    second process polling it would; and the statuses it saw."""
    seen: list[ApplicationStatus] = []

    def sleep(seconds: float) -> None:
        seen.append(g.app_status(app, cluster))
        time.sleep(seconds)

    return sleep, seen


def _sync(app: Application, repo: Path, interval: float) -> tuple[MemoryCluster, FakeTime]:
    """A sync of the slow Deployment on a fresh cluster and clock, progress every
    ``interval`` seconds."""
    time = FakeTime()
    cluster = _slow_cluster(time)
    op = g.sync(
        app, cluster=cluster, repo_root=repo, context=_context(time, progress_interval=interval)
    )
    assert op.phase == "Succeeded"
    return cluster, time


def test_running_record_shows_the_wait_and_the_results_so_far(app: Application, repo: Path) -> None:
    """While the Deployment rolls out, a reader of the record sees Running with the
    executor's message and both applied resources' results; the operation and startedAt
    are those recorded at the start; the rest of the status is untouched."""
    time = FakeTime()
    cluster = _slow_cluster(time)
    sleep, seen = _watching(time, app, cluster)
    op = g.sync(app, cluster=cluster, repo_root=repo, context=_context(time, sleep))
    assert op.phase == "Succeeded"
    states = [s.operation_state for s in seen]
    assert all(s is not None and s.phase == "Running" for s in states)
    first = states[0]
    assert first is not None and (first.message, first.sync_result) == ("", None)
    waiting = [s for s in states if s is not None and s.message]
    assert waiting, "the wait was recorded"
    state = waiting[-1]
    assert state.message == WAITING
    assert state.started_at == op.started_at == "2026-03-01T12:00:00Z"
    assert state.finished_at is None
    assert state.operation == op.operation
    assert state.sync_result is not None
    rows = [
        (r.kind, r.name, r.status, r.hook_phase, r.message)
        for r in state.sync_result.resources or []
    ]
    assert rows == [
        ("ConfigMap", "settings", "Synced", "Succeeded", "configmap/settings created"),
        ("Deployment", "web", "Synced", "Running", "deployment.apps/web created"),
    ]
    assert all(s.sync is None and s.history is None for s in seen)


def test_final_record_is_unchanged_by_progress_writes(app: Application, repo: Path) -> None:
    """The same sync recording its progress at every change, or never: the final record is
    the same; only the number of writes differs."""
    every, _ = _sync(app, repo, 0.0)
    never, _ = _sync(app, repo, math.inf)
    assert _stored(every) == _stored(never)
    assert _record_writes(never) == ["create", "patch"]  # the start and the end
    assert _record_writes(every) == ["create", "patch", "patch", "patch"]


def test_progress_is_written_only_when_it_changed(app: Application, repo: Path) -> None:
    """Ten polls while the Deployment rolls out, at every one a write is due, yet the
    progress is written twice: when wave 0 was applied, and when the ConfigMap was done
    ("waiting for healthy state of apps/Deployment/web"); then nothing changes until the
    end."""
    cluster, time = _sync(app, repo, 0.0)
    assert time.t >= 10
    assert _record_writes(cluster) == ["create", "patch", "patch", "patch"]


def test_progress_writes_are_throttled(tmp_path: Path, app: Application) -> None:
    """Twelve waves, each a change, 0.5 s apart (the wave delay): recorded at every change
    that is one write per wave; with the 2 s throttle at most one per 2 s of the clock."""
    folder = tmp_path / "repo" / "web"
    folder.mkdir(parents=True)
    for wave in range(12):
        (folder / f"cm{wave}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{wave}\n"
            f"  annotations: {{argocd.argoproj.io/sync-wave: '{wave}'}}\n"
        )
    counts = {}
    for interval in (0.0, 2.0):
        time = FakeTime()
        cluster = MemoryCluster(simulate=True)
        ctx = _context(time, wave_delay=0.5, progress_interval=interval)
        assert g.sync(app, cluster=cluster, repo_root=tmp_path / "repo", context=ctx).phase == (
            "Succeeded"
        )
        progress = len(_record_writes(cluster)) - 2  # without the start and the end
        counts[interval] = (progress, time.t)
    assert counts[0.0] == (11, 5.5)  # after each wave but the last (that one ends it)
    progress, elapsed = counts[2.0]
    assert 1 <= progress <= elapsed // 2


class FlakyRecord(MemoryCluster):
    """A slow cluster whose status record fails its first progress write: before the patch
    is applied, or after (the write landed, the answer was lost on the way)."""

    def __init__(self, time: FakeTime, *, landed: bool) -> None:
        super().__init__(simulate=True, ready_after=10.0, clock=time.clock)
        self.landed = landed
        self.failures = 0

    def patch(
        self, key: ResourceKey, patch: Mapping[str, Any], *, dry_run: bool = False
    ) -> dict[str, Any] | None:
        if key != RECORD or self.failures or dry_run:
            return super().patch(key, patch, dry_run=dry_run)
        self.failures += 1
        if self.landed:
            super().patch(key, patch)
        raise ClusterError("PATCH configmaps/gitopslib.app.web: connection reset by peer")


@pytest.mark.parametrize("landed", [False, True], ids=["lost", "landed"])
def test_failed_progress_write_does_not_fail_the_sync(
    app: Application, repo: Path, caplog: pytest.LogCaptureFixture, landed: bool
) -> None:
    """The first progress write fails (a warning says so); the sync goes on and succeeds,
    and its final record is the one a clean run leaves, whether the failed write reached
    the record or not."""
    time = FakeTime()
    cluster = FlakyRecord(time, landed=landed)
    with caplog.at_level(logging.WARNING, logger="gitopslib.operations"):
        op = g.sync(app, cluster=cluster, repo_root=repo, context=_context(time))
    assert op.phase == "Succeeded"
    assert cluster.failures == 1
    assert "the operation's progress was not recorded" in caplog.text
    assert "connection reset by peer" in caplog.text
    clean, _ = _sync(app, repo, 2.0)
    assert _stored(cluster) == _stored(clean)


def test_second_sync_is_refused_while_progress_is_recorded(app: Application, repo: Path) -> None:
    """A second sync started while the first waits (its progress recorded) gets
    OperationInProgressError; the first is not disturbed."""
    time = FakeTime()
    cluster = _slow_cluster(time)
    refused: list[str] = []

    def sleep(seconds: float) -> None:
        state = g.app_status(app, cluster).operation_state
        if state is not None and state.message == WAITING:
            with pytest.raises(OperationInProgressError) as info:
                g.sync(app, cluster=cluster, repo_root=repo, context=_context(time))
            refused.append(str(info.value))
        time.sleep(seconds)

    op = g.sync(app, cluster=cluster, repo_root=repo, context=_context(time, sleep))
    assert op.phase == "Succeeded"
    assert refused and "another operation is already in progress" in refused[0]
    assert _stored(cluster)["operationState"]["phase"] == "Succeeded"


def test_stale_takeover_stops_the_progress_writes(
    app: Application, repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A process whose clock says the first operation's deadline has passed takes its
    Running record over mid-wait and syncs. The first operation's next progress write loses
    (logged); read again, the record is not its own any more (logged, progress no longer
    recorded) and its final write fails as it always has: the record keeps the second
    operation."""
    (repo / "web" / "last.yaml").write_text(LATE.replace("late", "last").replace("'5'", "'9'"))
    time = FakeTime()
    cluster = _slow_cluster(time)
    later = _context(time, now=lambda: time.now() + timedelta(hours=1))
    taken: list[OperationState] = []

    def sleep(seconds: float) -> None:
        state = g.app_status(app, cluster).operation_state
        if not taken and state is not None and state.message == WAITING:
            taken.append(g.sync(app, cluster=cluster, repo_root=repo, context=later))
        time.sleep(seconds)

    ctx = _context(time, sleep, progress_interval=0.0)
    with (
        caplog.at_level(logging.WARNING, logger="gitopslib.operations"),
        pytest.raises(OperationError, match="changed by another process"),
    ):
        g.sync(app, cluster=cluster, repo_root=repo, context=ctx)
    assert [op.phase for op in taken] == ["Succeeded"]
    assert "the operation's progress was not recorded" in caplog.text
    assert "another process took the status record over" in caplog.text
    state = _stored(cluster)["operationState"]
    assert (state["phase"], state["startedAt"]) == ("Succeeded", taken[0].started_at)
    assert state["startedAt"].startswith("2026-03-01T13:00")


def test_progress_goes_into_an_application_objects_status(app: Application, repo: Path) -> None:
    """Where the app exists as an argoproj.io Application, the progress goes into its
    .status (a merge patch carrying its resourceVersion), as Argo CD's controller writes
    it."""
    app_obj: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "web", "namespace": "argocd"},
        "spec": app.to_dict()["spec"],
    }
    time = FakeTime()
    cluster = MemoryCluster([app_obj], simulate=True, ready_after=10.0, clock=time.clock)
    key = ResourceKey("argoproj.io", "Application", "argocd", "web")
    messages: list[str] = []

    def sleep(seconds: float) -> None:
        live = cluster.get(key) or {}
        messages.append(live["status"]["operationState"].get("message", ""))
        time.sleep(seconds)

    op = g.sync(app, cluster=cluster, repo_root=repo, context=_context(time, sleep))
    assert op.phase == "Succeeded"
    assert WAITING in messages
    assert cluster.get(RECORD) is None
    live = cluster.get(key) or {}
    assert live["status"]["operationState"]["phase"] == "Succeeded"
