"""Properties of the executor over generated plans (Hypothesis, modest example counts)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sync_helpers import from_manifests, obj

from gitopslib.cluster import MemoryCluster
from gitopslib.sync import execute_plan, plan_sync

KINDS = [("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"), ("apps/v1", "Deployment")]


@st.composite
def manifests(draw: st.DrawFn) -> list[dict[str, object]]:
    n = draw(st.integers(min_value=1, max_value=12))
    out = []
    for i in range(n):
        api, kind = draw(st.sampled_from(KINDS))
        wave = draw(st.integers(min_value=-3, max_value=3))
        spec = {"replicas": 1} if kind == "Deployment" else None
        out.append(
            obj(
                kind,
                f"o{i}",
                api_version=api,
                spec=spec,
                annotations={"argocd.argoproj.io/sync-wave": str(wave)},
            )
        )
    return out


@settings(max_examples=50, deadline=None)
@given(manifests())
def test_every_object_created_once_in_wave_order(objs: list[dict[str, object]]) -> None:
    """Each object is created exactly once, and never before an object of a lower wave."""
    cluster = MemoryCluster(simulate=True)
    op = execute_plan(
        plan_sync(from_manifests(objs)),
        cluster,
        app_instance="p",
        destination_namespace="default",
        sleep=lambda s: None,
    )
    assert op.phase == "Succeeded"
    wave = {
        o["metadata"]["name"]: int(o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])  # type: ignore[index]
        for o in objs
    }
    created = [name for verb, _, name in cluster.writes if verb == "create"]
    assert sorted(created) == sorted(wave)
    waves = [wave[name] for name in created]
    assert waves == sorted(waves)


@settings(max_examples=30, deadline=None)
@given(manifests())
def test_dry_run_never_writes(objs: list[dict[str, object]]) -> None:
    """A dry-run operation leaves the cluster untouched, whatever the plan."""
    from gitopslib.sync import SyncPlanOptions

    cluster = MemoryCluster(simulate=True)
    plan = plan_sync(from_manifests(objs), options=SyncPlanOptions(dry_run=True))
    op = execute_plan(plan, cluster, app_instance="p", sleep=lambda s: None)
    assert op.phase == "Succeeded"
    assert cluster.writes == [] and cluster.objects() == []
