"""Round trip: what the user wrote comes back, nothing else; Python-built models dump cleanly."""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Literal

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from gitopslib.models import (
    Application,
    ApplicationDestination,
    ApplicationSource,
    ApplicationSourceHelm,
    ApplicationSpec,
    ApplicationStatus,
    AppProject,
    AppProjectSpec,
    ObjectMeta,
    Operation,
    OperationState,
    SyncPolicy,
    SyncPolicyAutomated,
)

# --- a strategy for any Application, derived from the models themselves ----------------------

TRICKY = [
    "",
    "yes",
    "no",
    "on",
    "y",
    "null",
    "~",
    "true",
    "0",
    "0755",
    "1:20",
    "1e3",
    "2024-01-01T00:00:00Z",
    "a: b",
    "- x",
    "#c",
    " lead",
    "trail ",
    "multi\nline\n",
    "multi\n  indented",
    "*",
    "!*",
    "&a",
    "'q'",
    '"dq"',
    "%x",
    "@x",
    "ünïcødé",
    "$values/x.yaml",
]
texts = st.one_of(
    st.sampled_from(TRICKY),
    st.text(
        st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_categories=["Cc", "Cs"]),
        max_size=12,
    ),
)
ints = st.integers(min_value=-(2**31), max_value=2**31)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    ints,
    texts,
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=8,
)


def _for_annotation(annotation: Any, depth: int) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(_for_annotation(a, depth) for a in args))
    if annotation is type(None):
        return st.none()
    if origin is Literal:
        return st.sampled_from(args)
    if origin is list:
        return st.lists(_for_annotation(args[0], depth), max_size=2)
    if origin is dict:
        return st.dictionaries(texts, _for_annotation(args[1], depth), max_size=3)
    if annotation is Any:
        return json_values
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return ints
    if annotation is str:
        return texts
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _for_model(annotation, depth + 1)
    raise AssertionError(f"no strategy for {annotation!r}")


def _for_model(model: type[BaseModel], depth: int) -> st.SearchStrategy[dict[str, Any]]:
    if depth > 6:
        return st.just({})
    optional = {
        (field.alias or name): st.deferred(
            lambda a=field.annotation: _for_annotation(a, depth)  # type: ignore[misc]
        )
        for name, field in model.model_fields.items()
    }
    return st.fixed_dictionaries({}, optional=optional)


def _fix_source(src: dict[str, Any]) -> dict[str, Any]:
    tools = [t for t in ("helm", "kustomize", "directory", "plugin") if src.get(t) is not None]
    for extra in tools[1:]:
        del src[extra]
    return src


def _fix_spec(spec: dict[str, Any]) -> dict[str, Any]:
    if isinstance(spec.get("source"), dict):
        _fix_source(spec["source"])
    for src in spec.get("sources") or []:
        _fix_source(src)
    if spec.get("source") is not None and spec.get("sources"):
        del spec["source"]
    dest = spec.get("destination")
    if isinstance(dest, dict):
        if dest.get("server") and dest.get("name"):
            del dest["name"]
        if not dest.get("server") and not dest.get("name"):
            dest["server"] = "https://kubernetes.default.svc"
    return spec


def _checked_values(node: Any) -> Any:
    """Generated values that loading checks (jq expressions, backoff durations) made valid:
    the round trip is about shape, and documents with invalid ones are refused on load."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "jqPathExpressions" and isinstance(value, list):
                node[key] = [f".spec.f{i}" for i in range(len(value))]
            elif key in ("duration", "maxDuration") and isinstance(value, str):
                node[key] = "30s"
            else:
                _checked_values(value)
    elif isinstance(node, list):
        for item in node:
            _checked_values(item)
    return node


_required: dict[str, st.SearchStrategy[Any]] = {
    "apiVersion": st.just("argoproj.io/v1alpha1"),
    "kind": st.just("Application"),
    "metadata": _for_model(ObjectMeta, 1).map(lambda m: {**m, "name": "app"}),
    "spec": _for_model(ApplicationSpec, 1).map(_fix_spec),
}
applications = st.fixed_dictionaries(
    _required,
    optional={
        "status": _for_model(ApplicationStatus, 1),
        "operation": _for_model(Operation, 1),
    },
).map(_checked_values)


def _fix_project_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Make a generated AppProject spec structurally valid (what Argo CD accepts on save)."""
    if spec.get("sourceRepos"):
        spec["sourceRepos"] = [r for r in dict.fromkeys(spec["sourceRepos"]) if r != "!*"]
    if spec.get("destinations"):
        unique: dict[tuple[Any, ...], dict[str, Any]] = {}
        for dest in spec["destinations"]:
            dest = {k: v for k, v in dest.items() if v != "!*"}
            unique.setdefault((dest.get("server"), dest.get("name"), dest.get("namespace")), dest)
        spec["destinations"] = list(unique.values())
    for index, role in enumerate(spec.get("roles") or []):
        role["name"] = f"role-{index}"
        if role.get("groups"):
            role["groups"] = [g for g in role["groups"] if not set(g) & set('"\n\r\t')]
    return spec


projects = st.fixed_dictionaries(
    {
        "apiVersion": st.just("argoproj.io/v1alpha1"),
        "kind": st.just("AppProject"),
        "metadata": st.just({"name": "proj"}),
        "spec": _for_model(AppProjectSpec, 1).map(_fix_project_spec),
    },
)


class _UserDumper(yaml.SafeDumper):
    """PyYAML's dumper, also quoting `1e3` and `y`/`n` (a float and booleans for Kubernetes'
    YAML 1.1 decoder), as a user who knows that YAML would."""


_UserDumper.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN")
)

_UserDumper.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9]+[eE][-+]?[0-9]+$"), list("-+0123456789")
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(applications)
def test_round_trip_generated_applications(doc: dict[str, Any]) -> None:
    """from_yaml then to_yaml gives back exactly the data written, for any Application."""
    text = yaml.dump(doc, Dumper=_UserDumper, sort_keys=False, allow_unicode=True)
    app = Application.from_yaml(text)
    assert app.to_dict() == doc
    assert yaml.safe_load(app.to_yaml()) == doc


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(applications)
def test_fresh_dump_of_generated_applications(doc: dict[str, Any]) -> None:
    """A model built from data (no source text) dumps YAML that reads back to the same data."""
    app = Application.from_dict(doc)
    assert yaml.safe_load(app.to_yaml()) == doc
    assert Application.from_yaml(app.to_yaml()).to_dict() == doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects)
def test_round_trip_generated_projects(doc: dict[str, Any]) -> None:
    """from_yaml then to_yaml gives back exactly the data written, for any valid AppProject."""
    text = yaml.dump(doc, Dumper=_UserDumper, sort_keys=False, allow_unicode=True)
    proj = AppProject.from_yaml(text)
    assert proj.to_dict() == doc
    assert yaml.safe_load(proj.to_yaml()) == doc


# --- hand-written cases -----------------------------------------------------------------------


def test_python_built_application_dumps_only_what_was_set() -> None:
    """A model built in Python dumps apiVersion, kind and the fields given, no defaults."""
    app = Application(
        metadata=ObjectMeta(name="guestbook"),
        spec=ApplicationSpec(
            source=ApplicationSource(repo_url="https://github.com/o/r", path="guestbook"),
            destination=ApplicationDestination(server="https://kubernetes.default.svc"),
        ),
    )
    assert app.to_dict() == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "guestbook"},
        "spec": {
            "source": {"repoURL": "https://github.com/o/r", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc"},
        },
    }
    assert app.spec.project_name == "default"
    assert app.spec.effective_revision_history_limit == 10


def test_explicit_null_is_distinct_from_absent() -> None:
    """`automated: null` is written back; an absent automated block is not invented."""
    with_null = SyncPolicy.model_validate({"automated": None})
    assert with_null.to_dict() == {"automated": None}
    assert SyncPolicy.model_validate({}).to_dict() == {}


def test_assignment_is_dumped_and_validated() -> None:
    """Setting an attribute marks it for dumping; a wrong type is refused at once."""
    policy = SyncPolicy()
    policy.automated = SyncPolicyAutomated(prune=True)
    assert policy.to_dict() == {"automated": {"prune": True}}
    try:
        policy.sync_options = "CreateNamespace=true"  # type: ignore[assignment]
    except ValueError:
        pass
    else:
        raise AssertionError("a string was accepted for a list")


def test_removed_field_disappears_and_comments_stay() -> None:
    """Setting a field back to absent-equivalent removes it from the written YAML."""
    text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a  # the name\n"
        "spec:\n  # where to deploy\n  destination:\n    server: https://k\n"
        "  source:\n    repoURL: https://r  # the repo\n    targetRevision: main\n"
    )
    app = Application.from_yaml(text)
    assert app.spec.source is not None
    app.spec.source.target_revision = "v2"
    app.spec.source.helm = ApplicationSourceHelm(release_name="r")
    out = app.to_yaml()
    assert "# the name" in out and "# where to deploy" in out and "# the repo" in out
    assert yaml.safe_load(out)["spec"]["source"] == {
        "repoURL": "https://r",
        "targetRevision": "v2",
        "helm": {"releaseName": "r"},
    }


def test_load_all_reads_a_stream() -> None:
    """load_all reads every non-empty document of a stream."""
    one = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: %s}\nspec: {}\n"
    apps = Application.load_all("---\n" + one % "a" + "---\n---\n" + one % "b")
    assert [a.metadata.name for a in apps] == ["a", "b"]


def test_multi_source_with_ref() -> None:
    """A multi-source app lists its sources; a ref-only source is recognised."""
    app = Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n"
        "  sources:\n"
        "    - repoURL: https://charts.example.com\n      chart: nginx\n"
        "      targetRevision: 1.2.3\n"
        "      helm:\n        valueFiles: [$values/env/prod.yaml]\n"
        "    - repoURL: https://github.com/o/values\n      ref: values\n"
        "  destination: {name: in-cluster, namespace: web}\n"
    )
    sources = app.spec.all_sources()
    assert [s.is_ref_only for s in sources] == [False, True]
    assert sources[0].is_helm_chart
    assert app.spec.has_multiple_sources


def test_timestamps_stay_strings() -> None:
    """Unquoted timestamps (status, metadata) are kept as the strings Kubernetes sees."""
    app = Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n"
        "  creationTimestamp: 2024-05-01T10:00:00Z\nspec: {}\nstatus:\n"
        "  reconciledAt: 2024-05-01T10:00:05Z\n  operationState:\n    phase: Succeeded\n"
        "    startedAt: 2024-05-01T10:00:01Z\n"
    )
    assert app.metadata.creation_timestamp == "2024-05-01T10:00:00Z"
    assert app.status is not None and app.status.operation_state is not None
    assert app.status.operation_state.started_at == "2024-05-01T10:00:01Z"
    assert isinstance(app.status.operation_state, OperationState)
    assert app.status.operation_state.is_completed


def test_values_object_keeps_what_was_written() -> None:
    """valuesObject is free-form and comes back unchanged, nested nulls included."""
    app = Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n"
        "  source:\n    helm:\n      valuesObject:\n        image: {tag: null, repo: x}\n"
        "        replicas: 2\n        ratio: 0.5\n        list: [1, 'two', {three: 3}]\n"
    )
    assert app.spec.source is not None and app.spec.source.helm is not None
    assert app.spec.source.helm.values_object == {
        "image": {"tag": None, "repo": "x"},
        "replicas": 2,
        "ratio": 0.5,
        "list": [1, "two", {"three": 3}],
    }


def test_appproject_python_built() -> None:
    """An AppProject built in Python dumps its kind and what was set."""
    proj = AppProject(metadata=ObjectMeta(name="p"))
    assert proj.to_dict() == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "p"},
    }


ANCHORED = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: a}
spec:
  source:
    helm:
      valuesObject:
        base: &base {a: 1, b: 2}
        derived:
          <<: *base
          b: 3
        copy: *base
"""


def test_anchors_and_merge_keys_survive_unchanged() -> None:
    """Anchors, aliases and merge keys are written back as they were."""
    app = Application.from_yaml(ANCHORED)
    assert app.spec.source is not None and app.spec.source.helm is not None
    assert app.spec.source.helm.values_object == {
        "base": {"a": 1, "b": 2},
        "derived": {"a": 1, "b": 3},
        "copy": {"a": 1, "b": 2},
    }
    assert app.to_yaml() == ANCHORED
    app.spec.source.helm.release_name = "r"
    assert "<<: *base" in app.to_yaml() and "copy: *base" in app.to_yaml()


def test_editing_an_alias_does_not_change_its_anchor() -> None:
    """Changing the data behind one alias leaves the anchored original alone."""
    app = Application.from_yaml(ANCHORED)
    assert app.spec.source is not None and app.spec.source.helm is not None
    assert app.spec.source.helm.values_object is not None
    app.spec.source.helm.values_object["copy"]["a"] = 9
    values = yaml.safe_load(app.to_yaml())["spec"]["source"]["helm"]["valuesObject"]
    assert values == {
        "base": {"a": 1, "b": 2},
        "derived": {"a": 1, "b": 3},
        "copy": {"a": 9, "b": 2},
    }


def test_in_place_edit_of_free_form_block_is_written() -> None:
    """Mutating a free-form dict in place is seen by to_yaml (no stale comparison)."""
    app = Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n"
        "  source:\n    helm:\n      valuesObject:\n        replicas: 1  # keep small\n"
    )
    assert app.spec.source is not None and app.spec.source.helm is not None
    assert app.spec.source.helm.values_object is not None
    app.spec.source.helm.values_object["replicas"] = 3
    out = app.to_yaml()
    assert yaml.safe_load(out)["spec"]["source"]["helm"]["valuesObject"] == {"replicas": 3}
    assert "replicas: 3  # keep small" in out
    assert app.to_yaml() == out  # writing twice gives the same text
