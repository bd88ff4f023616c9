"""Hypothesis properties of normalisation and comparison."""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
from diff_helpers import APP_YAML, serverize
from hypothesis import given, settings
from hypothesis import strategies as st

from gitopslib.diff import DiffSettings, IgnoreRule, compare, normalize
from gitopslib.models import Application

APP = Application.from_yaml(APP_YAML)

_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=8).filter(
    lambda s: s[0] != "-"
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_names, inner, max_size=4)
    ),
    max_leaves=12,
)
_quantities = st.sampled_from(["100m", "0.1", "1", "1000m", "1Gi", "1024Mi", "512Mi", "2k"])


@st.composite
def k8s_objects(draw: st.DrawFn) -> dict[str, Any]:
    """A ConfigMap, a Secret, a Deployment or a custom resource with arbitrary content."""
    kind = draw(st.sampled_from(["ConfigMap", "Secret", "Deployment", "Widget"]))
    meta: dict[str, Any] = {"name": draw(_names), "namespace": "default"}
    if draw(st.booleans()):
        meta["labels"] = draw(st.dictionaries(_names, st.text(max_size=6), max_size=3))
    if kind == "ConfigMap":
        return {
            "apiVersion": "v1",
            "kind": kind,
            "metadata": meta,
            "data": draw(st.dictionaries(_names, st.text(max_size=10), max_size=4)),
        }
    if kind == "Secret":
        return {
            "apiVersion": "v1",
            "kind": kind,
            "metadata": meta,
            "stringData": draw(st.dictionaries(_names, st.text(max_size=10), max_size=3)),
        }
    if kind == "Deployment":
        containers = [
            {
                "name": f"c{i}",
                "image": draw(_names),
                "resources": {"limits": {"cpu": draw(_quantities), "memory": draw(_quantities)}},
                "env": [
                    {"name": n, "value": draw(st.text(max_size=5))}
                    for n in draw(st.lists(_names, unique=True, max_size=3))
                ],
            }
            for i in range(draw(st.integers(1, 3)))
        ]
        return {
            "apiVersion": "apps/v1",
            "kind": kind,
            "metadata": meta,
            "spec": {
                "replicas": draw(st.integers(0, 5)),
                "selector": {"matchLabels": {"app": meta["name"]}},
                "template": {
                    "metadata": {"labels": {"app": meta["name"]}},
                    "spec": {"containers": containers},
                },
            },
        }
    return {
        "apiVersion": "example.com/v1",
        "kind": kind,
        "metadata": meta,
        "spec": draw(st.dictionaries(_names, _values, max_size=5)),
    }


@settings(max_examples=80, deadline=None)
@given(k8s_objects())
def test_normalize_is_idempotent(obj):
    """normalize(normalize(x)) == normalize(x), and the input is left unchanged."""
    before = copy.deepcopy(obj)
    once = normalize(obj)
    assert normalize(once) == once
    assert obj == before


@settings(max_examples=80, deadline=None)
@given(k8s_objects())
def test_compare_with_itself_is_synced(obj):
    """compare(x, x) is Synced, and so is x against x as the API server returns it."""
    assert compare([obj], [obj]).sync_status == "Synced"
    if obj["kind"] != "Secret":  # a served Secret has data, not stringData: still Synced
        live = serverize(obj, last_applied=True)
        assert compare([obj], [live], app=APP).sync_status == "Synced"


@settings(max_examples=80, deadline=None)
@given(k8s_objects(), k8s_objects())
def test_patch_turns_normalized_live_into_normalized_desired(a, b):
    """Applying the patch to normalized live yields normalized desired."""
    b = {**b, "apiVersion": a["apiVersion"], "kind": a["kind"], "metadata": a["metadata"]}
    if a["kind"] == "Secret":
        return  # patches of Secrets are masked by design
    live = serverize(a)
    rd = compare([b], [live], app=APP, settings=DiffSettings()).resources[0]
    if rd.modified:
        assert jsonpatch.apply_patch(rd.normalized_live, rd.patch) == rd.normalized_desired
    else:
        assert rd.patch == []


_NOOP_JQ = DiffSettings(
    ignore_differences=(IgnoreRule(group="*", kind="*", jq_path_expressions=(".nothing",)),)
)


def _mutate(live: dict[str, Any], how: str) -> None:
    """Changes other actors make to live objects."""
    spec = live.get("spec")
    if how == "label":
        live["metadata"].setdefault("labels", {})["added-live"] = "x"
    elif how == "field" and isinstance(spec, dict):
        spec["addedLive"] = {"a": [1]}
    elif how == "sidecar" and live["kind"] == "Deployment":
        spec["template"]["spec"]["containers"].append({"name": "sidecar", "image": "s"})
    elif how == "env" and live["kind"] == "Deployment":
        spec["template"]["spec"]["containers"][0]["env"].insert(0, {"name": "Z", "value": "1"})


@settings(max_examples=60, deadline=None)
@given(
    k8s_objects(),
    k8s_objects(),
    st.booleans(),
    st.sampled_from(["none", "label", "field", "sidecar", "env"]),
)
def test_fast_path_agrees_with_full_pipeline(a, b, same, how):
    """The projection fast path and the full merge pipeline reach the same status."""
    if not same:
        b = {**b, "apiVersion": a["apiVersion"], "kind": a["kind"], "metadata": a["metadata"]}
    live = serverize(a, last_applied=same)
    _mutate(live, how)
    desired = a if same else b
    fast = compare([desired], [live], app=APP).resources[0]
    full = compare([desired], [live], app=APP, settings=_NOOP_JQ).resources[0]
    assert fast.status == full.status
