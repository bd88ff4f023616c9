"""Real-world Application shapes (multi-source, every tool block, full status) load and
round-trip without losing a field (sections 9.1-9.6)."""

from __future__ import annotations

from pathlib import Path

import yaml

from gitopslib.models import Application

DATA = Path(__file__).parent / "data"


def _load(name: str) -> tuple[Application, str]:
    path = DATA / name
    return Application.from_yaml(path), path.read_text()


def test_every_spec_field_round_trips() -> None:
    """A spec using every section 9.2 field of every tool block comes back unchanged."""
    app, text = _load("app_real_world_shapes.yaml")
    assert yaml.safe_load(app.to_yaml()) == yaml.safe_load(text)


def test_kubectl_status_block_round_trips() -> None:
    """A `kubectl get application -o yaml` document (operation + status) comes back unchanged."""
    app, text = _load("app_with_status.yaml")
    assert yaml.safe_load(app.to_yaml()) == yaml.safe_load(text)


def test_multi_source_ref_and_value_files() -> None:
    """sources[] keep order; a ref-only source and $ref value files are readable."""
    app, _ = _load("app_real_world_shapes.yaml")
    srcs = app.spec.all_sources()
    assert [s.ref for s in srcs][:2] == ["values", None]
    assert srcs[0].is_ref_only
    helm = srcs[1].helm
    assert helm is not None and helm.value_files == ["$values/env/prod.yaml"]
    assert helm.values_object is not None
    assert helm.values_object["ingress"]["hosts"][0]["paths"] == ["/"]
    assert helm.parameters is not None and helm.parameters[0].force_string is True


def test_kustomize_patch_target_and_replicas() -> None:
    """Patch targets keep their selectors; replica counts may be int or string (IntOrString)."""
    app, _ = _load("app_real_world_shapes.yaml")
    k = app.spec.all_sources()[2].kustomize
    assert k is not None and k.patches is not None and k.replicas is not None
    target = k.patches[0].target
    assert target is not None
    assert (target.label_selector, target.annotation_selector) == ("app=web", "a=b")
    assert [r.count for r in k.replicas] == [3, "2"]


def test_plugin_parameter_kinds() -> None:
    """Plugin parameters carry exactly one of string, array, map."""
    app, _ = _load("app_real_world_shapes.yaml")
    plugin = app.spec.all_sources()[3].plugin
    assert plugin is not None and plugin.parameters is not None
    p = plugin.parameters
    assert (p[0].string, p[1].array, p[2].map) == ("hello", ["a", "b"], {"k": "v"})


def test_status_fields_are_typed() -> None:
    """operationState, history, resources, conditions and summary are reachable by name."""
    app, _ = _load("app_with_status.yaml")
    st = app.status
    assert st is not None and st.operation_state is not None
    op = st.operation_state
    assert (op.phase, op.retry_count, op.is_completed) == ("Succeeded", 1, True)
    assert op.sync_result is not None and op.sync_result.resources is not None
    assert op.sync_result.resources[1].images == ["gcr.io/heptio-images/ks-guestbook-demo:0.2"]
    assert st.history is not None and st.history[0].id == 0
    assert st.resources is not None and st.resources[1].sync_wave == -1
    assert st.conditions is not None and st.conditions[0].type == "OrphanedResourceWarning"
    assert st.summary is not None and st.summary.external_urls == ["https://guestbook.example.com"]
    assert app.operation is not None and app.operation.initiated_by is not None
    assert app.operation.initiated_by.username == "admin"
