"""Benchmark compare() against libyaml parsing of the same objects (the floor, same run).

5,000 desired/live pairs (live = desired + server metadata, status, managedFields and API
defaults): all unchanged, then with 10% changed. Printed as ratios to the time libyaml takes
to parse the same objects (desired and live, as YAML text), plus plain ``==`` for reference.

    python benchmarks/bench_diff.py [--quick] [--n 5000]

Goals: unchanged <= 0.1x of parsing, 10% changed <= 0.2x.
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import yaml

from gitopslib.diff import compare

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def make_desired(i: int) -> dict[str, Any]:
    """A realistic Deployment (labels, probes, env, resources, volumes)."""
    name = f"svc-{i}"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": f"team-{i % 20}",
            "labels": {
                "app.kubernetes.io/name": name,
                "app.kubernetes.io/part-of": "shop",
                "tier": "backend",
            },
            "annotations": {
                "argocd.argoproj.io/tracking-id": f"shop:apps/Deployment:team-{i % 20}/{name}"
            },
        },
        "spec": {
            "replicas": 2 + i % 3,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name, "tier": "backend"}},
                "spec": {
                    "serviceAccountName": name,
                    "containers": [
                        {
                            "name": "app",
                            "image": f"registry.example.com/shop/{name}:1.{i % 50}.0",
                            "args": ["--port=8080", "--log-level=info"],
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "env": [
                                {"name": "SERVICE", "value": name},
                                {"name": "REGION", "value": "eu-west-1"},
                                {
                                    "name": "POD_IP",
                                    "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}},
                                },
                            ],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"cpu": "500m", "memory": "512Mi"},
                            },
                            "readinessProbe": {
                                "httpGet": {"path": "/healthz", "port": "http"},
                                "periodSeconds": 10,
                            },
                            "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
                        }
                    ],
                    "volumes": [{"name": "config", "configMap": {"name": f"{name}-config"}}],
                },
            },
        },
    }


def make_live(desired: dict[str, Any]) -> dict[str, Any]:
    """desired + what the API server adds."""
    live = copy.deepcopy(desired)
    meta = live["metadata"]
    meta.update(
        {
            "uid": "0b5e9a57-1f0e-4a6c-9c52-3b0f1f2b7c11",
            "resourceVersion": "1234567",
            "generation": 3,
            "creationTimestamp": "2026-11-20T10:00:00Z",
            "managedFields": [
                {
                    "manager": "argocd-controller",
                    "operation": "Apply",
                    "apiVersion": "apps/v1",
                    "time": "2026-11-20T10:00:00Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {
                        "f:metadata": {"f:labels": {"f:tier": {}}},
                        "f:spec": {
                            "f:replicas": {},
                            "f:template": {
                                "f:spec": {
                                    "f:containers": {'k:{"name":"app"}': {".": {}, "f:image": {}}}
                                }
                            },
                        },
                    },
                },
                {
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "apiVersion": "apps/v1",
                    "time": "2026-11-20T10:00:05Z",
                    "subresource": "status",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:status": {"f:replicas": {}}},
                },
            ],
        }
    )
    meta["annotations"]["deployment.kubernetes.io/revision"] = "3"
    spec = live["spec"]
    spec.update(
        {
            "progressDeadlineSeconds": 600,
            "revisionHistoryLimit": 10,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
        }
    )
    spec["template"]["metadata"]["creationTimestamp"] = None
    pod = spec["template"]["spec"]
    pod.update(
        {
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "terminationGracePeriodSeconds": 30,
            "serviceAccount": pod["serviceAccountName"],
        }
    )
    for c in pod["containers"]:
        c.update(
            {
                "imagePullPolicy": "IfNotPresent",
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            }
        )
        for p in c["ports"]:
            p["protocol"] = "TCP"
        c["env"][2]["valueFrom"]["fieldRef"]["apiVersion"] = "v1"
        c["readinessProbe"].update(
            {"failureThreshold": 3, "successThreshold": 1, "timeoutSeconds": 1}
        )
        c["readinessProbe"]["httpGet"]["scheme"] = "HTTP"
    pod["volumes"][0]["configMap"]["defaultMode"] = 420
    live["status"] = {
        "observedGeneration": 3,
        "replicas": spec["replicas"],
        "readyReplicas": spec["replicas"],
        "availableReplicas": spec["replicas"],
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}
        ],
    }
    return live


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run(n: int, repeat: int) -> dict[str, float]:
    desired = [make_desired(i) for i in range(n)]
    live = [make_live(d) for d in desired]
    rng = random.Random(5)
    changed_desired = copy.deepcopy(desired)
    changed = rng.sample(range(n), max(1, n // 10))
    for i in changed:
        d = changed_desired[i]
        if i % 2:
            d["spec"]["replicas"] += 1
        else:
            d["spec"]["template"]["spec"]["containers"][0]["image"] += "-rc1"
    text = "---\n".join(yaml.dump(o, Dumper=_Dumper) for o in desired + live)

    t_parse = best_of(lambda: list(yaml.load_all(text, Loader=_Loader)), repeat)
    twins = copy.deepcopy(desired)  # equal dicts: == walks every value
    t_eq = best_of(lambda: [a == b for a, b in zip(desired, twins, strict=True)], repeat)

    result = compare(desired, live)
    assert result.sync_status == "Synced", [r for r in result.resources if r.status != "Synced"]
    result = compare(changed_desired, live)
    assert len(result.out_of_sync) == len(changed), len(result.out_of_sync)
    assert all(r.diff and r.patch for r in result.out_of_sync)

    t_same = best_of(lambda: compare(desired, live), repeat)
    t_changed = best_of(lambda: compare(changed_desired, live), repeat)
    return {"parse": t_parse, "eq": t_eq, "unchanged": t_same, "changed": t_changed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="compare() against libyaml parsing")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args(argv)
    n, repeat = (200, 1) if args.quick else (args.n, 3)
    t = run(n, repeat)
    print(f"pairs: {n} (libyaml-parsing desired+live as YAML = 1.0x floor)")
    print(f"  libyaml parse         {t['parse'] * 1e3:9.1f} ms   1.000x")
    print(
        f"  plain == (equal)      {t['eq'] * 1e3:9.1f} ms   {t['eq'] / t['parse']:.3f}x"
        f"  (compare unchanged = {t['unchanged'] / t['eq']:.1f}x of ==)"
    )
    print(
        f"  compare, unchanged    {t['unchanged'] * 1e3:9.1f} ms   "
        f"{t['unchanged'] / t['parse']:.3f}x (goal <= 0.1x)"
    )
    print(
        f"  compare, 10% changed  {t['changed'] * 1e3:9.1f} ms   "
        f"{t['changed'] / t['parse']:.3f}x (goal <= 0.2x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
