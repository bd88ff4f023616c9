"""Benchmark: planning a sync of N tasks against libyaml-parsing the same N objects.

Run ``python benchmarks/bench_plan.py [--quick] [-n N] [--repeat R]``. The floor is measured
in the same run: parsing the objects' YAML with libyaml (CSafeLoader). Floor, plan and a plain
sort of the same number of keys (for scale) are timed R times each, in turns, after a full
collection; the minimum and the median of each are printed with their ratios to the floor's.
The target is a planning cost of at most 0.05x that floor for 5,000 tasks with mixed waves,
hooks and prunes, judged on the minimums (the least noisy estimate of each cost). Because
``plan_sync`` pauses the cyclic collector, a line also shows the plan kept alive plus the
young-generation collection it defers. Exit status 1 when the full run misses the target.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import yaml

from gitopslib.diff._result import ComparisonResult, ResourceDiff
from gitopslib.manifest import key_of
from gitopslib.sync import SyncPlanOptions, plan_sync

TARGET = 0.05

_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{i}
  namespace: team-{ns}
  annotations:
    argocd.argoproj.io/sync-wave: "{wave}"
  labels:
    app: web-{i}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web-{i}
  template:
    metadata:
      labels:
        app: web-{i}
    spec:
      containers:
      - name: main
        image: nginx:1.25
        ports:
        - containerPort: 80
"""
_CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg-{i}
  namespace: team-{ns}
  annotations:
    argocd.argoproj.io/sync-wave: "{wave}"
data:
  key: value-{i}
"""
_HOOK = """apiVersion: batch/v1
kind: Job
metadata:
  generateName: migrate-{i}-
  namespace: team-{ns}
  annotations:
    argocd.argoproj.io/hook: {hook}
    argocd.argoproj.io/hook-delete-policy: HookSucceeded
    helm.sh/hook-weight: "{wave}"
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: alpine:3
        command: ["sleep", "1"]
"""
_NAMESPACE = """apiVersion: v1
kind: Namespace
metadata:
  name: team-{ns}
"""


def make_yaml(n: int, seed: int = 7) -> tuple[str, list[str]]:
    """N objects as one YAML stream, and the role of each (desired | live | prune)."""
    rnd = random.Random(seed)
    docs: list[str] = []
    roles: list[str] = []
    namespaces = max(1, n // 250)
    for ns in range(namespaces):
        docs.append(_NAMESPACE.format(ns=ns))
        roles.append("desired")
    for i in range(n - namespaces):
        ns = rnd.randrange(namespaces)
        wave = rnd.randint(-3, 5)
        r = rnd.random()
        if r < 0.1:
            hook = rnd.choice(["PreSync", "PostSync", "Sync", "PreSync,PostSync", "SyncFail"])
            docs.append(_HOOK.format(i=i, ns=ns, wave=wave, hook=hook))
            roles.append("desired")
        elif r < 0.2:
            docs.append(_CONFIGMAP.format(i=i, ns=ns, wave=wave))
            roles.append("prune")
        elif r < 0.6:
            docs.append(_CONFIGMAP.format(i=i, ns=ns, wave=wave))
            roles.append(rnd.choice(["desired", "live"]))
        else:
            docs.append(_DEPLOYMENT.format(i=i, ns=ns, wave=wave))
            roles.append(rnd.choice(["desired", "live"]))
    return "---\n".join(docs), roles


def make_comparison(objs: list[dict[str, Any]], roles: list[str]) -> ComparisonResult:
    """A comparison over the parsed objects: desired-only, desired+live, or prunes."""
    resources: list[ResourceDiff] = []
    for o, role in zip(objs, roles, strict=True):
        k = key_of(o, "default")
        if role == "prune":
            resources.append(
                ResourceDiff(
                    k.group, k.kind, k.namespace, k.name, "OutOfSync", live=o, requires_pruning=True
                )
            )
        elif role == "live":
            resources.append(
                ResourceDiff(
                    k.group,
                    k.kind,
                    k.namespace,
                    k.name,
                    "OutOfSync",
                    desired=o,
                    live=o,
                    modified=True,
                )
            )
        else:
            resources.append(
                ResourceDiff(
                    k.group, k.kind, k.namespace, k.name, "OutOfSync", desired=o, modified=True
                )
            )
    return ComparisonResult("OutOfSync", resources)


def timed(fn: Callable[[], object]) -> float:
    """One run of ``fn`` in seconds, after a full collection so every run starts alike."""
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(repeat: int, *fns: Callable[[], object]) -> list[list[float]]:
    """``repeat`` timings of each function, taken in turns so machine load hits all alike."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for index, fn in enumerate(fns):
            samples[index].append(timed(fn))
    return samples


def plan_and_collect(plan: Callable[[], object]) -> Callable[[], object]:
    """``plan`` keeping its result alive, then the young-generation collection that
    ``plan_sync`` defers by pausing the collector: what a caller who keeps the plan pays."""

    def run() -> object:
        result = plan()
        gc.collect(0)
        return result

    return run


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the ratios; exit 1 when a full run misses the target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("-n", type=int, default=None, help="number of objects (default 5000)")
    parser.add_argument(
        "--repeat", type=int, default=None, help="timed rounds (default 15; 3 with --quick)"
    )
    args = parser.parse_args(argv)
    n = args.n or (200 if args.quick else 5000)
    repeat = args.repeat or (3 if args.quick else 15)
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    text, roles = make_yaml(n)
    objs = list(yaml.load_all(text, Loader=loader))
    cmp = make_comparison(objs, roles)
    options = SyncPlanOptions(prune=True, revision="0123456789abcdef", started_at=1_700_000_000)
    plan = plan_sync(cmp, options=options)  # also warms every code path up
    ntasks = len(plan.tasks) + len(plan.sync_fail_tasks)

    keys = [(t.phase, t.wave, t.kind, t.name) for t in plan.tasks]
    random.Random(1).shuffle(keys)

    def planning() -> object:
        return plan_sync(cmp, options=options)

    parse, planned, collected, plain_sort = interleaved(
        repeat,
        lambda: list(yaml.load_all(text, Loader=loader)),
        planning,
        plan_and_collect(planning),
        lambda: sorted(keys),
    )
    floor_min, floor_med = min(parse), statistics.median(parse)

    def line(label: str, samples: list[float]) -> float:
        best, med = min(samples), statistics.median(samples)
        print(
            f"{label:<24}{best * 1000:9.2f} ms {best / floor_min:8.4f}x   "
            f"{med * 1000:9.2f} ms {med / floor_med:8.4f}x"
        )
        return best / floor_min

    print(
        f"objects: {n}, tasks: {ntasks} ({len(plan.sync_fail_tasks)} SyncFail), "
        f"waves: {len(plan.waves())}, rounds: {repeat} (interleaved)"
    )
    print(f"{'':<24}{'minimum':>21}   {'median':>21}")
    line("libyaml parse (floor):", parse)
    ratio = line("plan_sync:", planned)
    line("  + deferred gen-0 GC:", collected)
    line("plain sort of keys:", plain_sort)
    median_ratio = statistics.median(planned) / floor_med
    print(
        f"plan_sync / floor: {ratio:.4f}x (minimums), {median_ratio:.4f}x (medians); "
        f"target <= {TARGET}x"
    )
    if args.quick:
        return 0
    ok = ratio <= TARGET
    print("OK" if ok else "SLOWER THAN TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
