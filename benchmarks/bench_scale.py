"""Scale benchmarks: how the cost per object and per app grows, as ratios within one run.

Three measurements (issue #19), each against a floor measured in the same run:

* ``sync``: a simulated sync (``gitopslib.sync`` from a local folder into
  ``MemoryCluster(simulate=True)``: render, live state, compare, plan, execute) of N objects
  (ConfigMaps and Deployments over 5 waves, one PreSync hook) at N = 1k, 5k, 20k. Reports the
  cost per object, its ratio to parsing the same bytes with libyaml (the floor) and the
  per-object cost at the largest N over that at the smallest (goal <= 1.3x).
* ``cluster``: 1,000 small apps (Deployment, Service, ConfigMap each) synced one after the
  other into one ``MemoryCluster``. Reports the per-app cost of the first 100 and the last 100
  (goal: last / first <= 1.3x).
* ``fleet``: 1,000 directory apps in one Git repository (and the same tree as a local folder),
  rendered through one ``RenderCache``: a cold pass, then a warm pass (nothing changed), then
  a pass after a commit touching one app's folder. Reports the warm pass against parsing the
  apps' files with libyaml (goal <= 1.5x) and how many apps the commit re-rendered (goal: 1).

    python benchmarks/bench_scale.py [--quick] [--only sync,cluster,fleet]
        [--sizes 1000,5000,20000] [--apps 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gitopslib import sync  # noqa: E402
from gitopslib.cluster import MemoryCluster  # noqa: E402
from gitopslib.models import Application  # noqa: E402
from gitopslib.sources import RenderCache, render  # noqa: E402

ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": "/nonexistent",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True, timeout=600
    ).stdout


def app(name: str, path: str, namespace: str, repo: str = "https://example.com/r.git") -> Any:
    return Application.from_yaml(
        f"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}}}\n"
        f"spec: {{project: default, source: {{repoURL: '{repo}', path: '{path}', "
        f"targetRevision: main}}, destination: {{name: in-cluster, namespace: {namespace}}}}}\n"
    )


@contextmanager
def paused_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best(fn: Callable[[], object], runs: int) -> float:
    return min(timed(fn) for _ in range(runs))


# --- sync: 1k / 5k / 20k objects ------------------------------------------------------------


def sync_objects(n: int) -> str:
    """YAML of ``n`` objects: every third a Deployment, the rest ConfigMaps, waves 0-4, plus
    one PreSync Job."""
    docs = [
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n"
        "    argocd.argoproj.io/hook: PreSync\nspec:\n  template:\n    spec:\n"
        "      restartPolicy: Never\n      containers: [{name: m, image: busybox}]\n"
    ]
    for i in range(n):
        head = (
            f"metadata:\n  name: obj-{i}\n  labels: {{app.kubernetes.io/part-of: bench}}\n"
            f"  annotations: {{argocd.argoproj.io/sync-wave: '{i % 5}'}}\n"
        )
        if i % 3 == 0:
            docs.append(
                f"apiVersion: apps/v1\nkind: Deployment\n{head}spec:\n  replicas: 2\n"
                f"  selector: {{matchLabels: {{app: obj-{i}}}}}\n  template:\n"
                f"    metadata: {{labels: {{app: obj-{i}}}}}\n"
                "    spec: {containers: [{name: app, image: 'nginx:1.27'}]}\n"
            )
        else:
            docs.append(f"apiVersion: v1\nkind: ConfigMap\n{head}data: {{k: '{i}'}}\n")
    return "---\n".join(docs)


def bench_sync(sizes: list[int], runs: int) -> list[dict[str, float]]:
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            text = sync_objects(n)
            (Path(tmp) / "all.yaml").write_text(text)
            data = text.encode()
            the_app = app("bench", ".", "bench")

            def floor(data: bytes = data) -> None:
                list(yaml.load_all(data, Loader=yaml.CSafeLoader))

            def run(the_app: Any = the_app, tmp: str = tmp, n: int = n) -> None:
                op = sync(
                    the_app,
                    MemoryCluster(simulate=True),
                    repo_root=tmp,
                    sleep=lambda s: None,
                    render_options={"options": {"max_combined_size": 1 << 30}},
                )
                if op.phase != "Succeeded":
                    raise SystemExit(f"sync of {n} objects failed: {op.message}")

            t_floor = best(floor, runs)
            t_sync = best(run, runs)
        rows.append({"n": n + 1, "floor": t_floor, "sync": t_sync})
        per = t_sync / (n + 1) * 1000
        print(
            f"sync {n + 1:6d} objects: {t_sync:8.2f} s  {per:6.3f} ms/object  "
            f"{t_sync / t_floor:6.1f}x libyaml floor ({t_floor * 1000 / (n + 1):.3f} ms/object)",
            flush=True,
        )
    first, last = rows[0], rows[-1]
    growth = (last["sync"] / last["n"]) / (first["sync"] / first["n"])
    print(
        f"sync per-object cost {last['n']} vs {first['n']}: {growth:.2f}x  (goal <= 1.3x)",
        flush=True,
    )
    return rows


# --- cluster: 1,000 apps into one MemoryCluster ---------------------------------------------


def fleet_app_files(root: Path, i: int) -> None:
    d = root / "apps" / f"app-{i:04d}"
    d.mkdir(parents=True, exist_ok=True)
    (d / "deploy.yaml").write_text(
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 1\n"
        f"  selector: {{matchLabels: {{app: web-{i}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: web-{i}}}}}\n"
        "    spec: {containers: [{name: web, image: 'nginx:1.27'}]}\n"
    )
    (d / "svc.yaml").write_text(
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n"
        f"  selector: {{app: web-{i}}}\n  ports: [{{port: 80}}]\n"
    )
    (d / "cm.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings}}\ndata: {{index: '{i}'}}\n"
    )


def bench_cluster(apps: int, runs: int) -> dict[str, float]:
    window = max(1, apps // 10)
    best_first = best_last = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(apps):
            fleet_app_files(root, i)
        fleet = [app(f"app-{i:04d}", f"apps/app-{i:04d}", f"ns-{i:04d}") for i in range(apps)]
        for _ in range(runs):
            cluster = MemoryCluster(simulate=True)
            times = []
            for a in fleet:
                start = time.perf_counter()
                op = sync(a, cluster, repo_root=root, sleep=lambda s: None)
                times.append(time.perf_counter() - start)
                if op.phase != "Succeeded":
                    raise SystemExit(f"sync of {a.metadata.name} failed: {op.message}")
            best_first = min(best_first, sum(times[:window]) / window)
            best_last = min(best_last, sum(times[-window:]) / window)
    ratio = best_last / best_first
    print(
        f"cluster {apps} apps: first {window} {best_first * 1000:.2f} ms/app, last {window} "
        f"{best_last * 1000:.2f} ms/app: {ratio:.2f}x  (goal <= 1.3x)",
        flush=True,
    )
    return {"apps": apps, "first": best_first, "last": best_last}


# --- fleet: 1,000 apps rendered from Git and from a folder ----------------------------------


def _render_pass_factory() -> Callable[[], Any] | None:
    try:
        from gitopslib.sources import RenderPass  # type: ignore[attr-defined]
    except ImportError:
        return None
    return RenderPass  # type: ignore[no-any-return]


def bench_fleet(apps: int, runs: int) -> dict[str, float]:
    from gitopslib.git import GitRepository

    make_pass = _render_pass_factory()
    out: dict[str, float] = {"apps": apps}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        git("init", "-q", "-b", "main", ".", cwd=work)
        for i in range(apps):
            fleet_app_files(work, i)
        git("add", ".", cwd=work)
        git("commit", "-qm", "fleet", cwd=work)
        fleet = [app(f"app-{i:04d}", f"apps/app-{i:04d}", f"ns-{i:04d}") for i in range(apps)]
        files = sorted((work / "apps").glob("*/*.yaml"))

        def floor() -> None:
            for f in files:
                list(yaml.load_all(f.read_bytes(), Loader=yaml.CSafeLoader))

        t_floor = best(floor, runs)
        out["floor"] = t_floor
        print(f"fleet floor (libyaml over {len(files)} files): {t_floor * 1000:.1f} ms", flush=True)

        for label in ("git", "folder"):
            repo = GitRepository(str(work), cache_dir=Path(tmp) / f"cache-{label}")
            cache = RenderCache(directory=None, memory_items=256)
            if make_pass is not None:
                cache = RenderCache(directory=None)

            def one_pass(
                label: str = label, repo: Any = repo, cache: RenderCache = cache
            ) -> list[Any]:
                extra: dict[str, Any] = {}
                if make_pass is not None:
                    extra["render_pass"] = make_pass()
                where: dict[str, Any] = (
                    {"repository": repo} if label == "git" else {"repo_root": work}
                )
                return [render(a, cache=cache, **where, **extra) for a in fleet]

            t_cold = timed(one_pass)
            t_warm = best(one_pass, runs)
            out[f"{label}_cold"] = t_cold
            out[f"{label}_warm"] = t_warm
            print(
                f"fleet {label:6s} {apps} apps: cold {t_cold:6.2f} s, warm {t_warm:6.2f} s "
                f"({t_warm / apps * 1000:.2f} ms/app, {t_warm / t_floor:.2f}x floor; "
                "goal <= 1.5x)",
                flush=True,
            )
            # a commit touching one app's folder: count the apps rendered again
            target = work / "apps" / f"app-{apps // 2:04d}" / "cm.yaml"
            target.write_text(target.read_text().replace("index:", "changed: 'yes', index:"))
            git("commit", "-qam", "touch one app", cwd=work)
            results = one_pass()
            rerendered = sum(1 for r in results if not r.cached)
            out[f"{label}_rerendered"] = rerendered
            print(f"fleet {label:6s} commit touching one app re-rendered {rerendered} apps")
            repo.close()
            shutil.rmtree(Path(tmp) / f"cache-{label}", ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--only", default="sync,cluster,fleet")
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    sizes = [int(s) for s in args.sizes.split(",")]
    apps, runs = args.apps, args.runs
    if args.quick:
        sizes, apps, runs = [20, 60], 20, 1
    print(f"runs: best of {runs}", flush=True)
    if "sync" in only:
        bench_sync(sizes, runs)
    if "cluster" in only:
        bench_cluster(apps, runs)
    if "fleet" in only:
        bench_fleet(apps, runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
