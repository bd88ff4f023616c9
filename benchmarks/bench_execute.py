"""Benchmark the sync executor against MemoryCluster, as a ratio to a floor measured in the
same run: applying the same objects straight to a MemoryCluster (one ``apply`` each, no dry
run, no waves, no health checks).

The executor does the whole of Argo CD's state machine on top: a dry run of every task,
tracking stamps, wave-by-wave applies, health polling of every started task after each step,
hook finalizers. Objects: ConfigMaps and Deployments spread over 5 waves, plus one PreSync
Job, against ``MemoryCluster(simulate=True)`` so every gate opens on the first poll.

    python benchmarks/bench_execute.py [--quick] [--n 2000]

Goal: executing the plan <= 6x the floor (the dry run alone is one extra apply per object,
and each of the 6 steps re-reads the objects already started).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from gitopslib.cluster import MemoryCluster
from gitopslib.diff._result import ComparisonResult, ResourceDiff
from gitopslib.manifest import key_of
from gitopslib.sync import execute_plan, plan_sync


def make_objects(n: int) -> list[dict[str, Any]]:
    """``n`` objects: every third a Deployment, the rest ConfigMaps, waves 0-4, one hook."""
    objs: list[dict[str, Any]] = [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": "migrate",
                "namespace": "bench",
                "annotations": {"argocd.argoproj.io/hook": "PreSync"},
            },
            "spec": {"template": {"spec": {"restartPolicy": "Never"}}},
        }
    ]
    for i in range(n):
        meta = {
            "name": f"obj-{i}",
            "namespace": "bench",
            "labels": {"app.kubernetes.io/part-of": "bench"},
            "annotations": {"argocd.argoproj.io/sync-wave": str(i % 5)},
        }
        if i % 3 == 0:
            objs.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": meta,
                    "spec": {
                        "replicas": 2,
                        "selector": {"matchLabels": {"app": f"obj-{i}"}},
                        "template": {
                            "metadata": {"labels": {"app": f"obj-{i}"}},
                            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
                        },
                    },
                }
            )
        else:
            objs.append(
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": str(i)}}
            )
    return objs


def comparison(objs: list[dict[str, Any]]) -> ComparisonResult:
    rds = []
    for o in objs:
        k = key_of(o, "bench")
        hook = "argocd.argoproj.io/hook" in o["metadata"].get("annotations", {})
        rds.append(
            ResourceDiff(
                k.group,
                k.kind,
                k.namespace,
                k.name,
                "" if hook else "OutOfSync",
                desired=o,
                hook=hook,
            )
        )
    return ComparisonResult("OutOfSync", rds)


def best_of(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--n", type=int, default=2000, help="number of objects")
    args = parser.parse_args(argv)
    n = 30 if args.quick else args.n
    repeat = 1 if args.quick else 3
    objs = make_objects(n)
    plan = plan_sync(comparison(objs))

    def floor() -> None:
        cluster = MemoryCluster(simulate=True)
        for o in objs:
            cluster.apply(o)

    def execute() -> None:
        op = execute_plan(
            plan,
            MemoryCluster(simulate=True),
            app_instance="bench",
            destination_namespace="bench",
            sleep=lambda s: None,
        )
        if op.phase != "Succeeded":
            raise SystemExit(f"executor failed: {op.message}")

    t_floor = best_of(floor, repeat)
    t_exec = best_of(execute, repeat)
    print(f"objects: {len(objs)} in {len(plan.waves())} steps")
    print(f"floor (MemoryCluster.apply each object): {t_floor * 1000:8.1f} ms  1.0x")
    print(
        f"execute_plan (whole state machine):      {t_exec * 1000:8.1f} ms  "
        f"{t_exec / t_floor:.1f}x  (goal <= 6x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
