"""Render benchmarks: ratios against floors measured in the same run.

Generates a corpus of Kubernetes objects (Deployments, Services, ConfigMaps up to 20 KB,
CRDs up to 200 KB; 5,000 objects and ~40 MB at full size) as one file and as 1,000 files,
then measures:

* directory render vs ``yaml.load_all(bytes, Loader=CSafeLoader)`` on the same bytes
  (goal <= 1.0x, stretch 0.7x);
* a re-render of unchanged input from the disk cache and from memory vs the first render
  (goals <= 0.1x and <= 0.02x);
* a Helm render vs calling helm-python-sdk directly and parsing its output (goal <= 1.2x;
  ours runs the SDK in a sandboxed engine worker, so this measures the sandbox's cost too);
* a Jsonnet render (go-jsonnet in the same sandbox) vs go-jsonnet called in-process and its
  output parsed (goal <= 1.2x);
* a Kustomize render, plain and with Argo CD overrides, vs running the engine directly on the
  same folder and parsing its output (goal <= 1.2x).

Usage: ``python benchmarks/bench_render.py [--quick]`` (``--quick``: tiny sizes, for CI).
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gitopslib.models import Application  # noqa: E402
from gitopslib.sources import RenderCache, render  # noqa: E402

CSafeLoader = yaml.CSafeLoader


# --- corpus --------------------------------------------------------------------------------


def _words(rng: random.Random, size: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(rng.choice(alphabet) for _ in range(size))


def _deployment(i: int, rng: random.Random) -> dict[str, Any]:
    containers = [
        {
            "name": f"c{j}",
            "image": f"registry.example.com/team/app-{i}:{rng.randint(1, 99)}.{j}",
            "ports": [{"containerPort": 8000 + j, "protocol": "TCP"}],
            "env": [{"name": f"VAR_{k}", "value": _words(rng, 16)} for k in range(12)],
            "resources": {
                "limits": {"cpu": "500m", "memory": "256Mi"},
                "requests": {"cpu": "100m", "memory": "128Mi"},
            },
            "readinessProbe": {
                "httpGet": {"path": "/healthz", "port": 8000 + j},
                "periodSeconds": 10,
            },
        }
        for j in range(3)
    ]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": f"app-{i}",
            "labels": {"app": f"app-{i}", "tier": "web"},
            "annotations": {"argocd.argoproj.io/sync-wave": str(i % 5)},
        },
        "spec": {
            "replicas": 1 + i % 3,
            "selector": {"matchLabels": {"app": f"app-{i}"}},
            "template": {
                "metadata": {"labels": {"app": f"app-{i}"}},
                "spec": {"containers": containers},
            },
        },
    }


def _service(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"svc-{i}", "labels": {"app": f"app-{i}"}},
        "spec": {
            "selector": {"app": f"app-{i}"},
            "type": "ClusterIP",
            "ports": [{"name": f"p{j}", "port": 80 + j, "targetPort": 8000 + j} for j in range(3)],
        },
    }


def _configmap(i: int, rng: random.Random) -> dict[str, Any]:
    budget = rng.randint(1_000, 20_000)
    data: dict[str, str] = {}
    while budget > 0:
        chunk = min(budget, rng.randint(50, 2_000))
        data[f"key-{len(data)}"] = _words(rng, chunk)
        budget -= chunk
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}, "data": data}


def _crd(i: int, rng: random.Random) -> dict[str, Any]:
    target = rng.randint(50_000, 200_000)
    props: dict[str, Any] = {}
    size = 0
    n = 0
    while size < target:
        leaf = {f"f{k}": {"type": "string", "description": _words(rng, 40)} for k in range(8)}
        props[f"group{n}"] = {"type": "object", "properties": leaf}
        size += 8 * 75
        n += 1
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets{i}.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"kind": f"Widget{i}", "plural": f"widgets{i}"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": props}},
                }
            ],
        },
    }


def make_objects(total: int, seed: int = 7) -> list[dict[str, Any]]:
    """``total`` objects: 30% Deployments, 30% Services, 38% ConfigMaps, 2% CRDs."""
    rng = random.Random(seed)
    makers: list[tuple[float, Callable[[int, random.Random], dict[str, Any]]]] = [
        (0.30, _deployment),
        (0.30, _service),
        (0.38, _configmap),
        (0.02, _crd),
    ]
    out: list[dict[str, Any]] = []
    for share, make in makers:
        out.extend(make(i, rng) for i in range(max(1, int(total * share))))
    rng.shuffle(out)
    return out


def dump(objs: list[dict[str, Any]]) -> str:
    return "".join("---\n" + yaml.dump(o, Dumper=yaml.CSafeDumper, sort_keys=False) for o in objs)


# --- timing --------------------------------------------------------------------------------


def best_of(fn: Callable[[], Any], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def paired(ours: Callable[[], Any], floor: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Best times of ``ours`` and ``floor``, runs interleaved so that load from other
    processes hits both alike."""
    t_ours, t_floor = float("inf"), float("inf")
    for _ in range(runs):
        t_floor = min(t_floor, best_of(floor, 1))
        t_ours = min(t_ours, best_of(ours, 1))
    return t_ours, t_floor


def make_app(path: str, source_extra: str = "") -> Application:
    return Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: bench, namespace: argocd}\n"
        "spec:\n  project: default\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: bench}\n"
        f"  source:\n    repoURL: https://example.com/bench.git\n    path: {path}\n"
        + "".join(f"    {line}\n" for line in source_extra.splitlines())
    )


HELM_TEMPLATE = """\
{{- range $i, $e := until (int .Values.count) }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $.Release.Name }}-{{ $i }}
  labels: {app: "{{ $.Release.Name }}", index: "{{ $i }}"}
spec:
  replicas: {{ $.Values.replicas }}
  selector: {matchLabels: {app: "{{ $.Release.Name }}-{{ $i }}"}}
  template:
    metadata: {labels: {app: "{{ $.Release.Name }}-{{ $i }}"}}
    spec:
      containers:
      {{- range $j, $c := until 3 }}
      - name: c{{ $j }}
        image: "{{ $.Values.image }}:{{ $j }}"
        env:
        {{- range $k, $v := until 10 }}
        - {name: VAR_{{ $k }}, value: "{{ $.Values.value }}"}
        {{- end }}
      {{- end }}
---
apiVersion: v1
kind: Service
metadata: {name: "{{ $.Release.Name }}-{{ $i }}"}
spec:
  selector: {app: "{{ $.Release.Name }}-{{ $i }}"}
  ports: [{port: 80, targetPort: 8080}]
{{- end }}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CI smoke run)")
    args = parser.parse_args(argv)
    total = 60 if args.quick else 5_000
    files = 10 if args.quick else 1_000
    runs = 1 if args.quick else 3
    helm_count = 10 if args.quick else 500

    work = Path(tempfile.mkdtemp(prefix="gitopslib-bench-"))
    cache_dir = Path(tempfile.mkdtemp(prefix="gitopslib-bench-cache-"))  # outside the repo
    try:
        objs = make_objects(total)
        text = dump(objs)
        (work / "single").mkdir()
        (work / "single" / "all.yaml").write_text(text)
        per_file = max(1, len(objs) // files)
        (work / "multi").mkdir()
        for n in range(files):
            chunk = (
                objs[n * per_file : (n + 1) * per_file] if n < files - 1 else objs[n * per_file :]
            )
            (work / "multi" / f"f{n:04d}.yaml").write_text(dump(chunk))
        data = text.encode()
        multi_bytes = [p.read_bytes() for p in sorted((work / "multi").iterdir())]
        print(f"corpus: {len(objs)} objects, {len(data) / 1e6:.1f} MB, one file and {files} files")

        def floor_single() -> None:
            list(yaml.load_all(data, Loader=CSafeLoader))

        def floor_single_no_gc() -> None:
            gc.disable()
            try:
                list(yaml.load_all(data, Loader=CSafeLoader))
            finally:
                gc.enable()

        def floor_multi() -> None:
            for b in multi_bytes:
                list(yaml.load_all(b, Loader=CSafeLoader))

        opts = {"max_combined_size": 0}
        single_app, multi_app = make_app("single"), make_app("multi")

        def render_single() -> None:
            assert len(render(single_app, repo_root=work, options=opts).manifests) == len(objs)

        def render_multi() -> None:
            assert len(render(multi_app, repo_root=work, options=opts).manifests) == len(objs)

        gc.collect()
        t_render_single, t_floor_single = paired(render_single, floor_single, runs)
        t_render_multi, t_floor_multi = paired(render_multi, floor_multi, runs)
        t_render_single2, t_floor_no_gc = paired(render_single, floor_single_no_gc, runs)

        # cache: first render (miss, writes), then a new cache over the same dir (disk), then
        # the same cache again (memory)
        firsts, disks, memories = [], [], []
        for run in range(runs):
            shutil.rmtree(cache_dir, ignore_errors=True)
            cache = RenderCache(directory=cache_dir)
            start = time.perf_counter()
            render(single_app, repo_root=work, options=opts, cache=cache)
            firsts.append(time.perf_counter() - start)
            fresh = RenderCache(directory=cache_dir)
            start = time.perf_counter()
            hit = render(single_app, repo_root=work, options=opts, cache=fresh)
            disks.append(time.perf_counter() - start)
            assert hit.sources[0].cached == "disk", run
            start = time.perf_counter()
            hit = render(single_app, repo_root=work, options=opts, cache=fresh)
            memories.append(time.perf_counter() - start)
            assert hit.sources[0].cached == "memory", run
        t_first, t_disk, t_memory = min(firsts), min(disks), min(memories)

        # helm: our render vs the engine called directly + parsing its output
        import helm_python

        chart = work / "chart"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: bench\nversion: 0.1.0\n")
        (chart / "values.yaml").write_text(
            f"count: {helm_count}\nreplicas: 2\nimage: registry.example.com/app\n"
            "value: some-value\n"
        )
        (chart / "templates" / "all.yaml").write_text(HELM_TEMPLATE)
        helm_app = make_app("chart")

        def helm_direct() -> None:
            with helm_python.Chart.load(str(chart)) as c:
                out = c.render({}, name="bench", namespace="bench")
            parsed = [d for t in out.values() for d in yaml.load_all(t, Loader=CSafeLoader) if d]
            assert len(parsed) == 2 * helm_count

        def helm_ours() -> None:
            assert len(render(helm_app, repo_root=work).manifests) == 2 * helm_count

        helm_direct()  # warm the library
        helm_ours()  # start the engine worker (once per process)
        t_helm_ours, t_helm_direct = paired(helm_ours, helm_direct, runs + 4)

        # jsonnet: our render (go-jsonnet in a sandboxed engine worker, reused across renders)
        # vs go-jsonnet called in this process + parsing its output
        import _gojsonnet
        import orjson

        jdir = work / "jsonnet"
        jdir.mkdir()
        jcount = 2 * helm_count
        (jdir / "main.jsonnet").write_text(
            "[{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'c%d' % i}, "
            f"data: {{k: 'v' + i}}}} for i in std.range(0, {jcount - 1})]\n"
        )
        jsonnet_app = make_app("jsonnet")

        def jsonnet_direct() -> None:
            out = _gojsonnet.evaluate_file(str(jdir / "main.jsonnet"))
            assert len(orjson.loads(out)) == jcount

        def jsonnet_ours() -> None:
            assert len(render(jsonnet_app, repo_root=work).manifests) == jcount

        jsonnet_direct()
        jsonnet_ours()  # start the engine worker (once per process)
        t_j_ours, t_j_direct = paired(jsonnet_ours, jsonnet_direct, runs + 4)

        # kustomize: our render (plain, and with Argo CD overrides applied in a scratch copy)
        # vs the engine called directly on the same folder + parsing its output
        from gitopslib.sources.kustomize import KustomizeEngine

        base = work / "kbase"
        base.mkdir()
        kobjs = [o for o in objs if o["kind"] in ("Deployment", "Service")][: 2 * helm_count]
        (base / "all.yaml").write_text(dump(kobjs))
        (base / "kustomization.yaml").write_text("resources:\n- all.yaml\n")
        engine = KustomizeEngine.find()
        k_plain = make_app("kbase")
        k_over = make_app(
            "kbase",
            "kustomize:\n  namePrefix: bench-\n  images: [registry.example.com/app:v2]\n"
            "  commonLabels: {team: bench}",
        )

        def kustomize_direct() -> None:
            out = subprocess.run(
                engine.build_argv(str(base)), capture_output=True, text=True, check=True
            ).stdout
            assert len([d for d in yaml.load_all(out, Loader=CSafeLoader) if d]) == len(kobjs)

        def kustomize_ours() -> None:
            assert len(render(k_plain, repo_root=work).manifests) == len(kobjs)

        def kustomize_ours_overrides() -> None:
            assert len(render(k_over, repo_root=work).manifests) == len(kobjs)

        kustomize_direct()  # warm the page cache
        t_k_ours, t_k_direct = paired(kustomize_ours, kustomize_direct, runs + 4)
        t_k_over, t_k_direct2 = paired(kustomize_ours_overrides, kustomize_direct, runs + 4)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(cache_dir, ignore_errors=True)

    rows = [
        ("directory render, 1 file / CSafeLoader", t_render_single, t_floor_single, 1.0),
        (f"directory render, {files} files / CSafeLoader", t_render_multi, t_floor_multi, 1.0),
        ("directory render, 1 file / CSafeLoader, GC paused", t_render_single2, t_floor_no_gc, 1.0),
        ("re-render from disk cache / first render", t_disk, t_first, 0.1),
        ("re-render from memory cache / first render", t_memory, t_first, 0.02),
        ("helm render / engine + parse", t_helm_ours, t_helm_direct, 1.2),
        ("jsonnet render / engine + parse", t_j_ours, t_j_direct, 1.2),
        ("kustomize render / engine + parse", t_k_ours, t_k_direct, 1.2),
        ("kustomize render with overrides / engine + parse", t_k_over, t_k_direct2, 1.2),
    ]
    print(f"{'measure':<48} {'ours':>9} {'floor':>9} {'ratio':>7} {'goal':>6}")
    failed = False
    for name, ours, floor, goal in rows:
        ratio = ours / floor
        mark = "" if ratio <= goal else "  (over goal)"
        failed = failed or ratio > goal
        print(
            f"{name:<48} {ours * 1000:8.1f}ms {floor * 1000:8.1f}ms {ratio:6.3f}x "
            f"{goal:5.2f}x{mark}"
        )
    if args.quick:
        return 0  # tiny sizes are noise: the quick run only proves the benchmark works
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
