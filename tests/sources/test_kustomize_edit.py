"""The ``kustomize edit`` semantics gitopslib reproduces, as pure functions.

Expected values come from kustomize's own documented examples for ``edit set image``,
``edit set replicas``, ``edit set nameprefix`` and ``edit add label|annotation|component``
(the command help texts), restated by hand here.
"""

from __future__ import annotations

from typing import Any

import pytest

from gitopslib.sources._kustomize_edit import (
    KustomizeEditError,
    ParsedImage,
    add_annotations,
    add_components,
    add_labels,
    add_patches,
    parse_image,
    set_images,
    set_name_prefix,
    set_namespace,
    set_replicas,
)

DIGEST = "sha256:24a0c4b4a4c0eb97a1aabb8e29f18e917d05abfe1b7a7c07857230879ce7d3d3"


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        (
            "postgres=eu.gcr.io/my-project/postgres:latest",
            ParsedImage("postgres", "eu.gcr.io/my-project/postgres", "latest"),
        ),
        (
            f"my-app=my-registry/my-app@{DIGEST}",
            ParsedImage("my-app", "my-registry/my-app", "", DIGEST),
        ),
        ("node:8.15.0", ParsedImage("node", "", "8.15.0")),
        ("mysql=mariadb", ParsedImage("mysql", "mariadb")),
        (f"alpine@{DIGEST}", ParsedImage("alpine", "", "", DIGEST)),
        (
            "ngnix=localhost:5000/my-project/ngnix",
            ParsedImage("ngnix", "localhost:5000/my-project/ngnix"),
        ),
        (f"nginx:1.25@{DIGEST}", ParsedImage("nginx", "", "1.25", DIGEST)),
    ],
)
def test_parse_image_forms(arg: str, expected: ParsedImage) -> None:
    """Each documented argument form parses into name, new name, tag and digest."""
    assert parse_image(arg) == expected


def test_parse_image_rejects_bare_name() -> None:
    """A bare name without tag, digest or new name is not an override."""
    with pytest.raises(KustomizeEditError, match="invalid image 'bad'"):
        parse_image("bad")


def test_set_image_example_from_kustomize_help() -> None:
    """``set image node:8.15.0 mysql=mariadb alpine@<digest>`` adds three entries, by name."""
    k: dict[str, Any] = {}
    set_images(k, ["node:8.15.0", "mysql=mariadb", f"alpine@{DIGEST}"])
    assert k["images"] == [
        {"name": "alpine", "digest": DIGEST},
        {"name": "mysql", "newName": "mariadb"},
        {"name": "node", "newTag": "8.15.0"},
    ]


def test_set_image_overwrites_entry_and_keeps_others() -> None:
    """An argument replaces the whole entry of that name; other entries stay."""
    k: dict[str, Any] = {
        "images": [
            {"name": "image1", "newName": "my-image1", "newTag": "my-tag"},
            {"name": "image2", "newName": "my-image2", "newTag": "my-tag2"},
        ]
    }
    set_images(k, ["image1:v1"])
    assert k["images"] == [
        {"name": "image1", "newTag": "v1"},
        {"name": "image2", "newName": "my-image2", "newTag": "my-tag2"},
    ]


def test_set_image_star_preserves() -> None:
    """``*`` keeps the value already in the file (or nothing for a new entry)."""
    k: dict[str, Any] = {
        "images": [{"name": "a", "newName": "reg/a", "newTag": "1", "digest": DIGEST}]
    }
    set_images(k, ["a=*:2", "b=*:3"])
    assert k["images"] == [
        {"name": "a", "newName": "reg/a", "newTag": "2"},
        {"name": "b", "newTag": "3"},
    ]


def test_set_name_prefix_replaces() -> None:
    """``set nameprefix`` replaces the kustomization's own prefix."""
    k: dict[str, Any] = {"namePrefix": "kustomize-"}
    set_name_prefix(k, "acme-")
    assert k["namePrefix"] == "acme-"


def test_set_replicas_merges_by_name_sorted() -> None:
    """``set replicas`` merges by name and sorts by name."""
    k: dict[str, Any] = {"replicas": [{"name": "b", "count": 1}, {"name": "c", "count": 9}]}
    set_replicas(k, [("c", 2), ("a", 3)])
    assert k["replicas"] == [
        {"name": "a", "count": 3},
        {"name": "b", "count": 1},
        {"name": "c", "count": 2},
    ]


def test_add_label_refuses_existing_key_without_force() -> None:
    """``add label`` fails on a key already present unless forced."""
    k: dict[str, Any] = {"commonLabels": {"app": "x"}}
    with pytest.raises(KustomizeEditError, match="label app already in kustomization file"):
        add_labels(k, {"app": "y"})
    add_labels(k, {"app": "y"}, force=True)
    assert k["commonLabels"] == {"app": "y"}


def test_add_label_without_selector_appends_an_entry_per_call() -> None:
    """``add label --without-selector`` appends one labels entry per invocation."""
    k: dict[str, Any] = {}
    add_labels(k, {"owls": "cute", "otters": "adorable"}, without_selector=True)
    add_labels(k, {"new": "label"}, without_selector=True, include_templates=True)
    assert k["labels"] == [
        {"pairs": {"owls": "cute", "otters": "adorable"}},
        {"pairs": {"new": "label"}, "includeTemplates": True},
    ]
    assert "commonLabels" not in k


@pytest.mark.parametrize("key", ["exclamation!:point", "/x", "a/b/c", "-x"])
def test_add_label_validates_keys(key: str) -> None:
    """Label keys must be Kubernetes qualified names."""
    with pytest.raises(KustomizeEditError, match="invalid label key"):
        add_labels({}, {key: "v"})


def test_add_annotation_force_and_any_value() -> None:
    """Annotation values are free text; an existing key needs force."""
    k: dict[str, Any] = {}
    add_annotations(k, {"note": "has spaces, commas: and colons"})
    with pytest.raises(KustomizeEditError, match="annotation note already"):
        add_annotations(k, {"note": "x"})
    add_annotations(k, {"note": "x"}, force=True)
    assert k["commonAnnotations"] == {"note": "x"}


def test_set_namespace_validates() -> None:
    """``set namespace`` takes a DNS-1123 label only."""
    k: dict[str, Any] = {}
    set_namespace(k, "staging")
    assert k["namespace"] == "staging"
    with pytest.raises(KustomizeEditError):
        set_namespace(k, "Staging")


def test_add_components_skips_duplicates() -> None:
    """``add component`` does not list a component twice."""
    k: dict[str, Any] = {"components": ["../a"]}
    add_components(k, ["../a", "../b"])
    assert k["components"] == ["../a", "../b"]


def test_add_patches_appends_or_creates() -> None:
    """Patches are appended to an existing list or create one; a non-list is an error."""
    k: dict[str, Any] = {}
    add_patches(k, [{"path": "p.yaml"}])
    add_patches(k, [{"patch": "x"}])
    assert k["patches"] == [{"path": "p.yaml"}, {"patch": "x"}]
    with pytest.raises(KustomizeEditError, match="to be a list"):
        add_patches({"patches": "oops"}, [{"path": "p.yaml"}])
