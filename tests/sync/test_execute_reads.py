"""The executor reads back only what it still waits for: a task that completed is not read
again in later steps, so a sync of N objects costs O(N) reads, not O(N x steps)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sync_helpers import from_manifests, obj

from gitopslib.cluster import MemoryCluster
from gitopslib.manifest import ResourceKey
from gitopslib.sync import execute_plan, plan_sync


class CountingCluster(MemoryCluster):
    """A MemoryCluster that counts reads per key."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.reads: Counter[ResourceKey] = Counter()

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        self.reads[key] += 1
        return super().get(key)


def wave(name: str, n: int, kind: str = "ConfigMap") -> dict[str, Any]:
    return obj(kind, name, annotations={"argocd.argoproj.io/sync-wave": str(n)})


def test_completed_resources_are_read_once() -> None:
    """Across five waves, every resource is read once after its apply (to see it healthy),
    never again in the steps of later waves; the last wave is not waited for (Argo CD)."""
    objs = [wave(f"cm-{i}", i % 5) for i in range(20)]
    plan = plan_sync(from_manifests(objs))
    cluster = CountingCluster(simulate=True)
    op = execute_plan(plan, cluster, app_instance="demo", destination_namespace="default")
    assert op.phase == "Succeeded"
    assert {k.name: n for k, n in cluster.reads.items()} == {
        f"cm-{i}": 1 for i in range(20) if i % 5 != 4
    }


def test_hook_is_read_until_its_finalizer_is_gone() -> None:
    """A PreSync hook is still read in the later steps (its finalizer and deletion policy
    depend on it), and ends without the hook finalizer."""
    hook = obj(
        "Pod",
        "check",
        annotations={"argocd.argoproj.io/hook": "PreSync"},
        spec={"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]},
    )
    objs = [hook, wave("a", 0), wave("b", 1)]
    plan = plan_sync(from_manifests(objs))
    cluster = CountingCluster(simulate=True)
    op = execute_plan(plan, cluster, app_instance="demo", destination_namespace="default")
    assert op.phase == "Succeeded"
    reads = {k.name: n for k, n in cluster.reads.items()}
    assert reads["a"] == 1 and "b" not in reads and reads["check"] > 1
    live = cluster.get(ResourceKey("", "Pod", "default", "check"))
    assert live is not None and "finalizers" not in live["metadata"]
