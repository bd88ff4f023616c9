"""Directory sources: plain YAML/JSON read as Argo CD's repo server reads them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from gitopslib.errors import ManifestError, PathEscapeError, RenderError
from gitopslib.sources import glob_match, render


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def test_guestbook_matches_the_files(make_app, example_apps, yaml_docs):
    """guestbook renders exactly the documents of its files, in file-name order."""
    result = render(make_app("guestbook"), repo_root=example_apps)
    d = example_apps / "guestbook"
    assert result.manifests == yaml_docs(
        d / "guestbook-ui-deployment.yaml", d / "guestbook-ui-svc.yaml"
    )
    assert result.source_type == "Directory"
    assert result.revision is None


def test_sync_waves_keeps_document_order(make_app, example_apps, yaml_docs):
    """sync-waves: one multi-document file, every object in document order."""
    result = render(make_app("sync-waves"), repo_root=example_apps)
    assert result.manifests == yaml_docs(example_apps / "sync-waves" / "manifests.yaml")


def test_helm_hooks_directory_keeps_hook_objects(make_app, example_apps, yaml_docs):
    """helm-hooks is plain YAML: Helm hook annotations are kept, nothing is dropped."""
    result = render(make_app("helm-hooks"), repo_root=example_apps)
    expected = yaml_docs(example_apps / "helm-hooks" / "manifests.yaml")
    assert result.manifests == expected
    assert any(o["metadata"].get("generateName") for o in result.manifests)


def test_subdirectories_need_recurse(make_app, tmp_path):
    """Files in subdirectories are read only with directory.recurse."""
    _write(tmp_path, "app/a.yaml", CM.format(name="a"))
    _write(tmp_path, "app/sub/b.yaml", CM.format(name="b"))
    flat = render(make_app("app"), repo_root=tmp_path)
    deep = render(make_app("app", "directory: {recurse: true}"), repo_root=tmp_path)
    assert [o["metadata"]["name"] for o in flat.manifests] == ["a"]
    assert [o["metadata"]["name"] for o in deep.manifests] == ["a", "b"]


def test_walk_order_is_lexical_with_directories_in_place(make_app, tmp_path):
    """Go's filepath.Walk order: names sorted, a directory's files where the directory sorts."""
    for rel in ("app/a.yaml", "app/b/x.yaml", "app/c.yaml", "app/B.yaml"):
        _write(tmp_path, rel, CM.format(name=rel.replace("/", "-").replace(".", "-")))
    result = render(make_app("app", "directory: {recurse: true}"), repo_root=tmp_path)
    # byte order: "B.yaml" < "a.yaml" < "b/" < "c.yaml"
    assert [o["metadata"]["name"] for o in result.manifests] == [
        "app-B-yaml",
        "app-a-yaml",
        "app-b-x-yaml",
        "app-c-yaml",
    ]


def test_include_and_exclude_globs_with_braces(make_app, tmp_path):
    """include/exclude use gobwas globs on the path relative to the app dir; exclude first."""
    for rel in ("app/config.json", "app/env-usw2/a.yaml", "app/env-euw1/b.yaml", "app/c.yaml"):
        name = rel.split("/")[-1].split(".")[0]
        if rel.endswith(".json"):
            _write(
                tmp_path,
                rel,
                f'{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "{name}"}}}}',
            )
        else:
            _write(tmp_path, rel, CM.format(name=name))
    spec = "directory:\n  recurse: true\n  include: '{config.json,env-usw2/*}'\n"
    included = render(make_app("app", spec), repo_root=tmp_path)
    assert [o["metadata"]["name"] for o in included.manifests] == ["config", "a"]
    spec = "directory:\n  recurse: true\n  include: '*.yaml'\n  exclude: 'env-*/*'\n"
    filtered = render(make_app("app", spec), repo_root=tmp_path)
    assert [o["metadata"]["name"] for o in filtered.manifests] == ["c"]


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        # derived by hand from gobwas/glob without separators: `*` crosses `/`
        ("*.yaml", "a/b/c.yaml", True),
        ("{a,b}/*.json", "b/x.json", True),
        ("{a,b}/*.json", "c/x.json", False),
        ("?.yaml", "ab.yaml", False),
        ("[!x]*.yaml", "x1.yaml", False),
        ("[a-c]*", "banana", True),
        ("\\*.yaml", "*.yaml", True),
        ("\\*.yaml", "a.yaml", False),
        ("{a,", "a", False),  # malformed: matches nothing
    ],
)
def test_glob_semantics(pattern, text, expected):
    """Glob matching follows gobwas semantics."""
    assert glob_match(pattern, text) is expected


def test_unrelated_yaml_is_ignored(make_app, tmp_path):
    """A YAML file that is not Kubernetes (no kind, does not look like a manifest) is skipped."""
    _write(tmp_path, "app/values.yaml", "replicas: 3\nimage: nginx\n")
    _write(tmp_path, "app/cm.yaml", CM.format(name="a"))
    result = render(make_app("app"), repo_root=tmp_path)
    assert [o["kind"] for o in result.manifests] == ["ConfigMap"]


def test_broken_manifest_is_an_error(make_app, tmp_path):
    """A file that looks like a manifest but does not parse fails, naming the file."""
    _write(tmp_path, "app/bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [oops\n")
    with pytest.raises(ManifestError) as info:
        render(make_app("app"), repo_root=tmp_path)
    assert info.value.file == "bad.yaml"


def test_object_then_non_object_is_an_error(make_app, tmp_path):
    """A non-object document after a valid object in the same file is an error."""
    _write(tmp_path, "app/mixed.yaml", CM.format(name="a") + "---\njust: data\n")
    with pytest.raises(ManifestError, match=r"mixed\.yaml"):
        render(make_app("app"), repo_root=tmp_path)


def test_empty_documents_are_skipped(make_app, tmp_path):
    """Empty documents and comment-only documents produce nothing."""
    _write(tmp_path, "app/a.yaml", "---\n# nothing\n---\n" + CM.format(name="a") + "---\n")
    result = render(make_app("app"), repo_root=tmp_path)
    assert len(result.manifests) == 1


def test_json_file_must_hold_one_object(make_app, tmp_path):
    """A JSON file with two objects fails; Argo CD allows only single objects in JSON."""
    obj = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}'
    _write(tmp_path, "app/two.json", obj + "\n" + obj)
    with pytest.raises(ManifestError, match="multiple objects"):
        render(make_app("app"), repo_root=tmp_path)


def test_list_objects_are_expanded(make_app, tmp_path):
    """kind: List is replaced by its items."""
    _write(
        tmp_path,
        "app/list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n",
    )
    result = render(make_app("app"), repo_root=tmp_path)
    assert [o["metadata"]["name"] for o in result.manifests] == ["a", "b"]


def test_timestamps_stay_strings(make_app, tmp_path):
    """An unquoted date stays a string, as sigs.k8s.io/yaml keeps it."""
    _write(tmp_path, "app/cm.yaml", CM.format(name="a") + "data:\n  day: 2024-01-31\n")
    result = render(make_app("app"), repo_root=tmp_path)
    assert result.manifests[0]["data"]["day"] == "2024-01-31"


def test_combined_size_limit(make_app, tmp_path):
    """Files over the combined size limit fail with an error naming the limit."""
    _write(tmp_path, "app/a.yaml", CM.format(name="a") + "data:\n  x: '" + "y" * 500 + "'\n")
    with pytest.raises(RenderError, match="exceeded max combined manifest file size"):
        render(make_app("app"), repo_root=tmp_path, options={"max_combined_size": 100})


def test_symlink_out_of_repo_is_refused(make_app, tmp_path):
    """A manifest symlink that leaves the repository raises PathEscapeError naming it."""
    outside = _write(tmp_path, "outside/secret.yaml", CM.format(name="secret"))
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    os.symlink(outside, repo / "app" / "link.yaml")
    with pytest.raises(PathEscapeError) as info:
        render(make_app("app"), repo_root=repo)
    assert info.value.file == "link.yaml"


def test_symlink_inside_repo_is_read(make_app, tmp_path):
    """A symlink that stays inside the repository is followed."""
    _write(tmp_path, "shared/cm.yaml", CM.format(name="shared"))
    (tmp_path / "app").mkdir()
    os.symlink(tmp_path / "shared" / "cm.yaml", tmp_path / "app" / "cm.yaml")
    result = render(make_app("app"), repo_root=tmp_path)
    assert result.manifests[0]["metadata"]["name"] == "shared"


def test_dotdot_source_path_is_refused(make_app, tmp_path):
    """A source path climbing out of the repository is refused."""
    (tmp_path / "repo").mkdir()
    _write(tmp_path, "other/cm.yaml", CM.format(name="x"))
    with pytest.raises(PathEscapeError, match=r"\.\./other"):
        render(make_app("../other"), repo_root=tmp_path / "repo")


def test_absolute_source_path_is_refused(make_app, tmp_path):
    """An absolute source path is refused."""
    with pytest.raises(PathEscapeError, match="absolute"):
        render(make_app(str(tmp_path)), repo_root=tmp_path)


TRICKY = [
    "a: 1\nb: 1.5\nc: true\nd: ~\ne: yes\nf: 0x1F\ng: '1'\nh: .inf\ni: -1e3\n",
    "base: &b {x: 1, y: [1, 2]}\nuse: *b\nmerged:\n  <<: *b\n  z: 3\n",
    "bin: !!binary aGVsbG8=\nset: !!set {a, b}\n",
    "- 1\n- [a, {b: c}]\n- ''\n- null\n- !!str 5\n- !!int '7'\n",
    "---\n---\nempty:\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_fast_loader_equals_pyyaml(text):
    """Our bulk loader gives exactly what PyYAML's safe loader gives (timestamps aside)."""
    from gitopslib.sources.directory import load_yaml_documents

    assert load_yaml_documents(text) == list(yaml.load_all(text, Loader=yaml.CSafeLoader))


def test_fast_loader_equals_pyyaml_on_corpus(example_apps):
    """Every YAML file of the corpus loads the same with our loader and PyYAML's."""
    from gitopslib.sources.directory import load_yaml_documents

    files = [p for p in example_apps.rglob("*.y*ml") if "templates" not in p.parts]
    assert len(files) > 30
    for path in files:
        data = path.read_bytes()
        assert load_yaml_documents(data) == list(yaml.load_all(data, Loader=yaml.CSafeLoader))


def test_aliases_are_shared_not_copied():
    """An aliased node is built once, as PyYAML does (no alias expansion blow-up)."""
    from gitopslib.sources.directory import load_yaml_documents

    doc = load_yaml_documents("base: &b {x: [1]}\nuse: *b\n")[0]
    assert doc["base"] is doc["use"]


# --- Argo CD's getPotentiallyValidManifestFile details (argocd-semantics 9.2) -----------------


def test_skip_file_rendering_marker(make_app, tmp_path):
    """A file containing `+argocd:skip-file-rendering` is not rendered, nor counted in the
    size limit (Argo CD's skipFileRenderingMarker)."""
    _write(tmp_path, "app/a.yaml", CM.format(name="a"))
    big = (
        "# +argocd:skip-file-rendering\n" + CM.format(name="b") + "data: {x: '" + "y" * 500 + "'}\n"
    )
    _write(tmp_path, "app/b.yaml", big)
    _write(tmp_path, "app/c.jsonnet", "// +argocd:skip-file-rendering\nerror 'not evaluated'\n")
    result = render(make_app("app"), repo_root=tmp_path, options={"max_combined_size": 200})
    assert [m["metadata"]["name"] for m in result.manifests] == ["a"]


def test_dangling_symlink_is_skipped(make_app, tmp_path):
    """A manifest symlink whose destination is missing is skipped, not a crash."""
    _write(tmp_path, "app/a.yaml", CM.format(name="a"))
    os.symlink(tmp_path / "app" / "gone.yaml", tmp_path / "app" / "b.yaml")
    result = render(make_app("app"), repo_root=tmp_path)
    assert [m["metadata"]["name"] for m in result.manifests] == ["a"]


def test_symlink_to_directory_is_skipped(make_app, tmp_path):
    """A symlink named like a manifest that points at a directory is not a regular file:
    skipped."""
    _write(tmp_path, "app/a.yaml", CM.format(name="a"))
    (tmp_path / "other").mkdir()
    os.symlink(tmp_path / "other", tmp_path / "app" / "dir.yaml")
    result = render(make_app("app"), repo_root=tmp_path)
    assert [m["metadata"]["name"] for m in result.manifests] == ["a"]


def test_escaping_symlink_is_refused_even_when_excluded(make_app, tmp_path):
    """Argo CD checks a symlink's destination before include/exclude, so an escaping link
    fails the render even when `exclude` matches it."""
    outside = _write(tmp_path, "outside/secret.yaml", CM.format(name="secret"))
    repo = tmp_path / "repo"
    _write(repo, "app/a.yaml", CM.format(name="a"))
    os.symlink(outside, repo / "app" / "link.yaml")
    with pytest.raises(PathEscapeError):
        render(make_app("app", "directory:\n  exclude: link.yaml\n"), repo_root=repo)


def test_null_items_list_dropped_only_without_spec_or_status(make_app, tmp_path):
    """Argo CD's isNullList: `items: null` with no spec/status disappears whatever the kind;
    with a spec the object is kept as is."""
    _write(
        tmp_path,
        "app/a.yaml",
        "apiVersion: v1\nkind: ConfigMapList\nitems: null\n---\n"
        "apiVersion: example.com/v1\nkind: Bag\nmetadata: {name: empty}\nitems: null\n---\n"
        "apiVersion: example.com/v1\nkind: ShelfList\nmetadata: {name: kept}\n"
        "items: null\nspec: {size: 1}\n",
    )
    result = render(make_app("app"), repo_root=tmp_path)
    assert [o["metadata"]["name"] for o in result.manifests] == ["kept"]


def test_list_item_that_is_not_an_object_is_an_error(make_app, tmp_path):
    """A List whose items hold a non-object fails (Argo CD: "items member is not an object")."""
    _write(tmp_path, "app/list.yaml", "apiVersion: v1\nkind: List\nitems:\n- just-a-string\n")
    with pytest.raises(ManifestError, match="items member is not an object"):
        render(make_app("app"), repo_root=tmp_path)
