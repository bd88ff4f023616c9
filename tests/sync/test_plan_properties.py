"""Property tests: a plan is a permutation of its input tasks, independent of input order,
and always sorted by (phase, wave) with prunes first inside a wave."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sync_helpers import comparison, desired, live_only, obj

from gitopslib.diff._result import ComparisonResult, ResourceDiff
from gitopslib.hooks import PHASE_RANK, parse_hook
from gitopslib.manifest import ResourceKey, key_of
from gitopslib.sync import SyncPlanOptions, plan_sync

KINDS = [
    ("v1", "Namespace"),
    ("v1", "ConfigMap"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("batch/v1", "Job"),
    ("example.com/v1", "Widget"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
]
HOOKS = [None, None, None, "PreSync", "Sync", "PostSync", "SyncFail", "PreSync,PostSync", "Skip"]

_item = st.tuples(
    st.sampled_from(KINDS),
    st.sampled_from(["a", "b", "c", "ns1", "ns2", "widgets.example.com"]),
    st.sampled_from(["ns1", "ns2", "default"]),
    st.integers(min_value=-3, max_value=3),
    st.sampled_from(HOOKS),
    st.sampled_from(["desired", "desired+live", "prune", "prune-last"]),
)


def _build(items: list[tuple[Any, ...]]) -> list[ResourceDiff]:
    seen: set[ResourceKey] = set()
    out: list[ResourceDiff] = []
    for (api, kind), name, ns, wave, hook, mode in items:
        # a comparison never holds two resources with one key (cluster-scoped: no namespace)
        key = key_of({"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": ns}})
        if key in seen:
            continue
        seen.add(key)
        annotations = {"argocd.argoproj.io/sync-wave": str(wave)}
        spec = None
        if kind == "CustomResourceDefinition":
            spec = {"group": "example.com", "names": {"kind": "Widget"}}
        if mode.startswith("prune"):
            if mode == "prune-last":
                annotations["argocd.argoproj.io/sync-options"] = "PruneLast=true"
            out.append(
                live_only(
                    obj(
                        kind,
                        name,
                        api_version=api,
                        namespace=ns,
                        annotations=annotations,
                        spec=spec,
                    )
                )
            )
            continue
        if hook:
            annotations["argocd.argoproj.io/hook"] = hook
        o = obj(kind, name, api_version=api, namespace=ns, annotations=annotations, spec=spec)
        out.append(desired(o, live=o if mode == "desired+live" else None))
    return out


def _expected(resources: list[ResourceDiff]) -> Counter[tuple[str, str, str, str]]:
    want: Counter[tuple[str, str, str, str]] = Counter()
    for rd in resources:
        if rd.desired is None:
            want[(rd.kind, rd.namespace, rd.name, "prune")] += 1
            continue
        info = parse_hook(rd.desired)
        if info.skip:
            continue
        count = len(info.sync_phases) if info.is_hook else 1
        action = "create" if rd.live is None or info.is_hook else "apply"
        want[(rd.kind, rd.namespace, rd.name, action)] += count
    return want


OPTS = SyncPlanOptions(prune=True, revision="0123456789", started_at=42)


@settings(max_examples=100, deadline=None)
@given(st.lists(_item, max_size=25), st.randoms(use_true_random=False))
def test_plan_is_a_permutation_of_input_tasks(items: list[Any], rnd: random.Random) -> None:
    """Every expected task appears exactly once (SyncFail tasks apart), nothing else."""
    resources = _build(items)
    plan = plan_sync(comparison(*resources), options=OPTS)
    got = Counter(
        (t.kind, t.namespace, t.name, t.action) for t in [*plan.tasks, *plan.sync_fail_tasks]
    )
    assert got == _expected(resources)


@settings(max_examples=100, deadline=None)
@given(st.lists(_item, max_size=25), st.randoms(use_true_random=False))
def test_plan_does_not_depend_on_input_order(items: list[Any], rnd: random.Random) -> None:
    """Shuffling the comparison's resources gives the identical plan."""
    resources = _build(items)
    shuffled = list(resources)
    rnd.shuffle(shuffled)
    a = plan_sync(ComparisonResult("OutOfSync", resources), options=OPTS)
    b = plan_sync(ComparisonResult("OutOfSync", shuffled), options=OPTS)
    assert a.to_json() == b.to_json()


@settings(max_examples=100, deadline=None)
@given(st.lists(_item, max_size=25))
def test_plan_is_sorted_by_phase_wave_with_prunes_first(items: list[Any]) -> None:
    """Tasks never go back in (phase, wave), and inside a wave prunes precede applies."""
    plan = plan_sync(comparison(*_build(items)), options=OPTS)
    keys = [(PHASE_RANK[t.phase], t.wave, 0 if t.is_prune else 1) for t in plan.tasks]
    assert keys == sorted(keys)
    assert all(t.phase != "SyncFail" for t in plan.tasks)
