"""Benchmark the Kubernetes adapter: a sync over HTTP against the same sync in memory, as a
ratio measured in one run.

The API server is the loopback fake of the tests (``tests/cluster/fake_apiserver.py``, a
real HTTP server the official ``kubernetes`` client talks to unchanged), started in a
separate process. The same plan (N new ConfigMaps and Services in one wave, the namespace
already there) is executed by ``execute_plan``:

* floor: into ``MemoryCluster()`` (the in-memory cluster);
* ``client-side apply``: into ``KubernetesCluster`` (the default client dry run, which
  sends nothing, then one create);
* ``server-side apply``: the same with ``ServerSideApply=true`` (one PATCH);
* ``client-side apply, server dry run``: ``dry_run_strategy="server"`` (a ``dryRun=All``
  create, then the create).

It also times the transport alone, as a second reference: the same N objects POSTed one
after the other through the client's own connection pool (urllib3), JSON encoded and
decoded, with no gitopslib code: what any adapter on the official client pays per request.

Reports the time per object, the ratio to the floor (goal <= 3x at N = 1,000), the ratio
to the transport alone and the requests per object (counted by a ``K8sRecorder``; goal
<= 2).

    python benchmarks/bench_kube.py [--quick] [--n 1000] [--runs 3] [--concurrency 8]
        [--write-latency-ms 0]

``--write-latency-ms`` makes the server wait before answering each write, as a real API
server waits for etcd: it shows what the concurrent pool buys (the transport-alone
reference sends one write at a time, so it pays every wait).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gitopslib.cluster import KubernetesCluster, MemoryCluster  # noqa: E402
from gitopslib.diff._result import ComparisonResult, ResourceDiff  # noqa: E402
from gitopslib.manifest import key_of  # noqa: E402
from gitopslib.sync import execute_plan, plan_sync  # noqa: E402
from gitopslib.sync.plan import SyncPlan  # noqa: E402

SERVER = """
import sys
sys.path.insert(0, sys.argv[1])
from fake_apiserver import FakeApiServer
with FakeApiServer(write_latency=float(sys.argv[2])) as server:
    print(server.port, flush=True)
    sys.stdin.read()
"""


class Counter:
    """A K8sRecorder that counts requests."""

    def __init__(self) -> None:
        self.n = 0

    def record_k8s_request(
        self, *, server: str, verb: str, kind: str, response_code: int, app: str | None = None
    ) -> None:
        self.n += 1


def make_objects(n: int, namespace: str) -> list[dict[str, Any]]:
    """``n`` objects in ``namespace``: every fourth a Service, the rest ConfigMaps."""
    objs: list[dict[str, Any]] = []
    for i in range(n):
        meta = {"name": f"obj-{i}", "namespace": namespace, "labels": {"app": "bench"}}
        if i % 4 == 0:
            spec = {"selector": {"app": f"obj-{i}"}, "ports": [{"port": 80, "targetPort": 8080}]}
            objs.append({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec})
        else:
            data = {"key": f"value-{i}", "other": "x" * 64}
            objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})
    return objs


def make_plan(objs: list[dict[str, Any]], namespace: str, ssa: bool) -> SyncPlan:
    rds = []
    for o in objs:
        k = key_of(o, namespace)
        rds.append(ResourceDiff(k.group, k.kind, k.namespace, k.name, "OutOfSync", desired=o))
    options = ["ServerSideApply=true"] if ssa else []
    app = {
        "metadata": {"name": "bench"},
        "spec": {"destination": {"namespace": namespace}, "syncPolicy": {"syncOptions": options}},
    }
    return plan_sync(ComparisonResult("OutOfSync", rds), app=app)


def run(plan: SyncPlan, cluster: Any, namespace: str) -> None:
    op = execute_plan(
        plan, cluster, app_instance="bench", destination_namespace=namespace, sleep=lambda s: 0
    )
    if op.phase != "Succeeded":
        raise SystemExit(f"sync failed: {op.message}")


def timed(fn: Callable[[], object]) -> float:
    """Wall time of ``fn()``, garbage collected before and paused during it (as for both
    sides alike)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--n", type=int, default=1000, help="number of objects")
    parser.add_argument("--runs", type=int, default=5, help="runs of each (best one counts)")
    parser.add_argument("--concurrency", type=int, default=8, help="KubernetesCluster pool")
    parser.add_argument(
        "--write-latency-ms",
        type=float,
        default=0.0,
        help="the API server waits this long before answering each write (as for etcd)",
    )
    args = parser.parse_args(argv)
    n = 40 if args.quick else args.n
    runs = 1 if args.quick else args.runs

    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVER,
            str(ROOT / "tests" / "cluster"),
            str(args.write_latency_ms / 1000),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            kubeconfig = Path(tmp) / "kubeconfig"
            kubeconfig.write_text(
                "apiVersion: v1\nkind: Config\ncurrent-context: bench\n"
                f"clusters: [{{name: bench, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
                "users: [{name: bench, user: {token: bench}}]\n"
                "contexts: [{name: bench, context: {cluster: bench, user: bench}}]\n"
            )
            results = measure(kubeconfig, n, runs, args.concurrency)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=30)

    floor = results["floor"][0]
    transport = results["transport"][0]
    transport_cpu = results["transport CPU"][0]
    print(
        f"objects: {n} (ConfigMaps and Services, one wave), best of {runs} runs, "
        f"concurrency {args.concurrency}, write latency {args.write_latency_ms:g} ms"
    )
    print(f"floor (execute_plan into MemoryCluster):  {floor * 1000:8.1f} ms  1.0x")
    print(
        f"transport alone (N POSTs, urllib3 pool):  {transport * 1000:8.1f} ms"
        f"  {transport / floor:4.1f}x  {transport / n * 1000:.2f} ms/object;"
        f" of it this process's CPU {transport_cpu * 1000:.1f} ms"
        f" ({transport_cpu / floor:.1f}x the floor)"
    )
    for name in VARIANTS:
        t, requests = results[name]
        print(
            f"KubernetesCluster, {name:34s} {t * 1000:8.1f} ms  {t / floor:4.1f}x"
            f"  {t / transport:4.2f}x transport  {t / n * 1000:.2f} ms/object"
            f"  {requests / n:.2f} requests/object  (goal <= 3x, <= 2 requests/object)"
        )
    return 0


#: The timed syncs: name -> (ServerSideApply=true, dry_run_strategy).
VARIANTS: dict[str, tuple[bool, str]] = {
    "client-side apply": (False, "client"),
    "server-side apply": (True, "client"),
    "client-side apply, server dry run": (False, "server"),
}


def post_all(cluster: KubernetesCluster, objs: list[dict[str, Any]], namespace: str) -> None:
    """The transport alone: POST every object through the client's connection pool."""
    api_client = cluster.api_client
    host = api_client.configuration.host
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    api_client.update_params_for_auth(headers, [], ["BearerToken"], "", "POST", None)
    pool = api_client.rest_client.pool_manager.connection_from_url(host)
    for obj in objs:
        plural = "services" if obj["kind"] == "Service" else "configmaps"
        response = pool.urlopen(
            "POST",
            f"/api/v1/namespaces/{namespace}/{plural}",
            body=json.dumps(obj).encode(),
            headers=headers,
            retries=False,
        )
        if response.status != 201:
            raise SystemExit(f"POST failed: {response.status}")
        json.loads(response.data)


def measure(kubeconfig: Path, n: int, runs: int, concurrency: int) -> dict[str, Any]:
    """Best time (and its request count) of each variant; the variants take turns in every
    round, so that a busy machine slows all of them alike."""
    counter = Counter()
    best: dict[str, tuple[float, int]] = {}

    def keep(name: str, t: float, requests: int) -> None:
        if name not in best or t < best[name][0]:
            best[name] = (t, requests)

    clusters = {
        strategy: KubernetesCluster.from_kubeconfig(
            kubeconfig,
            metrics=counter,
            concurrency=concurrency,
            dry_run_strategy=strategy,  # type: ignore[arg-type]
        )
        for strategy in ("client", "server")
    }
    try:
        for r in range(runs):
            plan = make_plan(make_objects(n, "floor"), "floor", ssa=False)
            memory = MemoryCluster(
                objects=[{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "floor"}}]
            )
            keep("floor", timed(lambda: run(plan, memory, "floor")), 0)  # noqa: B023
            client = clusters["client"]
            namespace = f"raw-{r}"
            client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
            objs = make_objects(n, namespace)
            cpu = time.process_time()
            t = timed(lambda: post_all(client, objs, namespace))  # noqa: B023
            keep("transport", t, n)
            keep("transport CPU", time.process_time() - cpu, n)
            for i, (name, (ssa, strategy)) in enumerate(VARIANTS.items()):
                cluster = clusters[strategy]
                namespace = f"v{i}-{r}"
                cluster.apply(
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
                )
                plan = make_plan(make_objects(n, namespace), namespace, ssa)
                before = counter.n
                t = timed(lambda: run(plan, cluster, namespace))  # noqa: B023
                keep(name, t, counter.n - before)
    finally:
        for cluster in clusters.values():
            cluster.close()
    return best


if __name__ == "__main__":
    sys.exit(main())
