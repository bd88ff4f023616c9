"""The cyclic garbage collector is paused while a sync step works on its trees (its full
passes over every object held are pure overhead there) and runs again between steps and
after the operation; a collector the host paused stays paused."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from gitopslib.cluster import MemoryCluster
from gitopslib.diff._result import ComparisonResult, ResourceDiff
from gitopslib.manifest import key_of
from gitopslib.sync import execute_plan, plan_sync
from gitopslib.sync.protocol import ApplyResult


class Recording(MemoryCluster):
    """A MemoryCluster noting whether the collector was enabled at each apply."""

    def __init__(self, clock: Any = None) -> None:
        # the Deployment gets ready 5 s (of ``clock``) after its apply: the sync waits
        super().__init__(simulate=True, ready_after=5.0, clock=clock)
        self.gc_at_apply: list[bool] = []

    def apply(self, obj: Mapping[str, Any], **kw: Any) -> ApplyResult:
        self.gc_at_apply.append(gc.isenabled())
        return super().apply(obj, **kw)


def _plan() -> Any:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
            },
        },
    }
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "demo"}}
    cm["metadata"]["annotations"] = {"argocd.argoproj.io/sync-wave": "1"}
    rds = []
    for obj in (deploy, cm):
        k = key_of(obj, "demo")
        rds.append(ResourceDiff(k.group, k.kind, k.namespace, k.name, "OutOfSync", desired=obj))
    app = {"metadata": {"name": "gc"}, "spec": {"destination": {"namespace": "demo"}}}
    return plan_sync(ComparisonResult("OutOfSync", rds), app=app)


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_during_steps_running_while_waiting(collector_enabled: None) -> None:
    now = [0.0]
    cluster = Recording(clock=lambda: now[0])
    slept: list[bool] = []

    def sleep(seconds: float) -> None:
        slept.append(gc.isenabled())
        now[0] += max(seconds, 1.0)

    op = execute_plan(
        _plan(),
        cluster,
        app_instance="gc",
        destination_namespace="demo",
        sleep=sleep,
        clock=lambda: now[0],
    )
    assert op.phase == "Succeeded", op.message
    assert cluster.gc_at_apply and not any(cluster.gc_at_apply)
    assert slept and all(slept)  # waiting for the Deployment's wave to be healthy
    assert gc.isenabled()


def test_a_collector_paused_by_the_host_stays_paused(collector_enabled: None) -> None:
    gc.disable()
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += max(seconds, 1.0)

    op = execute_plan(
        _plan(),
        Recording(clock=lambda: now[0]),
        app_instance="gc",
        destination_namespace="demo",
        sleep=sleep,
        clock=lambda: now[0],
    )
    assert op.phase == "Succeeded", op.message
    assert not gc.isenabled()
