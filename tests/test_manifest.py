"""Object identity, Argo CD annotation parsing and bounded bulk YAML loading."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gitopslib import ManifestError, ResourceKey, dump_manifests, load_manifests
from gitopslib.manifest import csv_annotation, key_of


def test_multi_document_stream_skips_empty_documents() -> None:
    """Empty documents (`---` twice, trailing `---`) are skipped, order kept."""
    objs = load_manifests("kind: A\n---\n---\nkind: B\n---\n")
    assert [o["kind"] for o in objs] == ["A", "B"]


def test_list_kinds_are_expanded() -> None:
    """`kind: List` / `*List` objects are expanded into their items, as Argo CD does."""
    text = "apiVersion: v1\nkind: ConfigMapList\nitems:\n- {kind: ConfigMap}\n- {kind: Secret}\n"
    assert [o["kind"] for o in load_manifests(text)] == ["ConfigMap", "Secret"]


def test_malformed_yaml_names_line_and_column(tmp_path: Path) -> None:
    """A syntax error reports the file, the 1-based line and column."""
    bad = tmp_path / "bad.yaml"
    # line 4 holds "   bad: 1", indented under a scalar; column 7 is its ':'
    bad.write_text("kind: A\nmetadata:\n  name: a\n   bad: 1\n")
    with pytest.raises(ManifestError) as err:
        load_manifests(bad)
    assert err.value.file == str(bad)
    assert (err.value.line, err.value.column) == (4, 7)
    assert str(bad) in str(err.value)


def test_non_mapping_document_is_refused() -> None:
    """A document that is a list or a scalar is not a Kubernetes object."""
    with pytest.raises(ManifestError, match="document 2 is a list"):
        load_manifests("kind: A\n---\n- 1\n- 2\n")


def test_alias_bomb_fails_fast() -> None:
    """A 'billion laughs' document is refused quickly instead of exhausting memory."""
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        levels.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 10)}]")
    start = time.perf_counter()
    with pytest.raises(ManifestError, match="alias"):
        load_manifests("\n".join(levels) + "\n")
    assert time.perf_counter() - start < 5


def test_small_aliases_are_fine() -> None:
    """Ordinary anchors and aliases (shared labels) load normally."""
    text = "kind: A\nmetadata:\n  labels: &l {app: x}\nspec:\n  selector: *l\n"
    assert load_manifests(text)[0]["spec"]["selector"] == {"app": "x"}


def test_oversized_input_is_refused() -> None:
    """Input over `max_bytes` is refused before parsing."""
    with pytest.raises(ManifestError, match="over the limit"):
        load_manifests("kind: A\n" + "# pad\n" * 100, max_bytes=64)


def test_key_of_fills_destination_namespace_for_namespaced_objects() -> None:
    """A namespaced object without a namespace takes the destination namespace."""
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    assert key_of(obj, default_namespace="prod") == ResourceKey("apps", "Deployment", "prod", "web")


def test_key_of_clears_namespace_of_cluster_scoped_objects() -> None:
    """Cluster-scoped kinds never carry a namespace in their key."""
    obj = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r", "namespace": "ignored"},
    }
    assert key_of(obj, default_namespace="prod").namespace == ""


def test_csv_annotation_trims_and_dedupes() -> None:
    """CSV annotations are split, trimmed, emptied items dropped, repeats dropped."""
    obj = {"metadata": {"annotations": {"argocd.argoproj.io/hook": " PreSync, ,PostSync,PreSync"}}}
    assert csv_annotation(obj, "argocd.argoproj.io/hook") == ["PreSync", "PostSync"]


def test_dump_then_load_round_trips() -> None:
    """dump_manifests output loads back to the same objects, multi-line strings included."""
    objs = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "a"},
            "data": {"script": "line1\nline2\n"},
        },
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}},
    ]
    assert load_manifests(dump_manifests(objs)) == objs


def test_null_list_disappears_and_spec_objects_with_null_items_stay() -> None:
    """Argo CD's isNullList: `items: null` without spec/status is dropped, whatever the kind;
    an object with a spec keeps its place (semantics §7.4, GenerateManifests)."""
    text = (
        "apiVersion: v1\nkind: List\nitems: null\n---\n"
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nitems: null\nspec: {}\n"
    )
    assert [o["kind"] for o in load_manifests(text)] == ["Widget"]


def test_non_object_list_item_names_the_file(tmp_path: Path) -> None:
    """A list item that is not an object is an error naming the file."""
    bad = tmp_path / "live.yaml"
    bad.write_text("apiVersion: v1\nkind: List\nitems: [1]\n")
    with pytest.raises(ManifestError, match=r"live\.yaml: List: items member is not an object"):
        load_manifests(bad)
