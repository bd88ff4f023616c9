"""Resource bounds: a YAML alias bomb ("billion laughs") or an oversized file is refused by
every loader that reads repository or engine output, before anything expands it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from sec_fixtures import AppFor, write_chart

import gitopslib
from gitopslib.errors import GitOpsError, ManifestError, ValidationError
from gitopslib.manifest import iter_yaml_documents, load_yaml_documents
from gitopslib.models import Application

# Nine levels of nine aliases: 9**9 (387 million) strings once expanded, ~1 KB as text.
_LEVELS = "".join(f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9))
BOMB = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\n"
    'x0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + _LEVELS
)


def test_bomb_is_small_but_expands_hugely() -> None:
    """The fixture is what it claims: a tiny text whose aliases expand past any limit."""
    assert len(BOMB) < 2000
    doc = yaml.load(BOMB, Loader=yaml.CSafeLoader)  # shared objects: cheap to load
    assert len(doc["x8"]) == 9 and doc["x8"][0] is doc["x8"][1]


@pytest.mark.parametrize("as_bytes", [False, True])
def test_document_loaders_refuse_alias_bombs(as_bytes: bool) -> None:
    """iter_yaml_documents/load_yaml_documents (under every renderer) refuse the bomb."""
    data: str | bytes = BOMB.encode() if as_bytes else BOMB
    with pytest.raises(ManifestError, match="alias"):
        load_yaml_documents(data, file="b.yaml")
    with pytest.raises(ManifestError, match="alias"):
        list(iter_yaml_documents(data, file="b.yaml"))


def test_ordinary_anchors_still_load() -> None:
    """Anchors and aliases within the limit (common in values and CI files) keep working."""
    text = "a: &x {k: v}\nb: *x\nc: 'url?a=1&b=2*'\n"
    assert load_yaml_documents(text) == [{"a": {"k": "v"}, "b": {"k": "v"}, "c": "url?a=1&b=2*"}]


def test_directory_render_refuses_alias_bomb(repo: Path, app_for: AppFor) -> None:
    """A directory source holding a bomb fails fast instead of exhausting memory later."""
    (repo / "b.yaml").write_text(BOMB)
    start = time.monotonic()
    with pytest.raises(ManifestError, match="alias"):
        gitopslib.render(app_for({"path": "."}), repo_root=repo)
    assert time.monotonic() - start < 10


def test_helm_output_alias_bomb_is_refused(repo: Path, app_for: AppFor) -> None:
    """A chart whose template prints a bomb is refused when its output is parsed."""
    write_chart(repo / "app", BOMB)
    start = time.monotonic()
    with pytest.raises(GitOpsError, match="alias"):
        gitopslib.render(app_for({"path": "app"}), repo_root=repo)
    assert time.monotonic() - start < 10


def test_plugin_output_alias_bomb_is_refused(repo: Path, app_for: AppFor, tmp_path: Path) -> None:
    """A plugin printing a bomb is refused (load_manifests)."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugin = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ConfigManagementPlugin",
        "metadata": {"name": "cat"},
        "spec": {"generate": {"command": ["cat", "bomb.txt"]}},
    }
    (plugins / "cat.yaml").write_text(yaml.safe_dump(plugin))
    (repo / "bomb.txt").write_text(BOMB)
    with pytest.raises(ManifestError, match="alias"):
        gitopslib.render(
            app_for({"path": ".", "plugin": {"name": "cat"}}), repo_root=repo, plugins_dir=plugins
        )


def test_source_override_file_alias_bomb_is_refused(repo: Path, app_for: AppFor) -> None:
    """An .argocd-source.yaml bomb is refused before the model validates (and expands) it."""
    (repo / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    (repo / ".argocd-source.yaml").write_text(
        BOMB.replace("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\n", "")
    )
    start = time.monotonic()
    with pytest.raises(GitOpsError, match="alias"):
        gitopslib.render(app_for({"path": "."}), repo_root=repo)
    assert time.monotonic() - start < 10


def test_application_from_yaml_refuses_alias_bomb() -> None:
    """Application.from_yaml refuses a bomb hidden in an Application."""
    text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\n"
        "spec:\n  info: &i0 [{name: a, value: b}]\n"
        + "".join(f"  x{i}: &i{i} [{', '.join([f'*i{i - 1}'] * 9)}]\n" for i in range(1, 9))
    )
    with pytest.raises(ValidationError, match="alias"):
        Application.from_yaml(text)


def test_oversized_directory_is_refused(repo: Path, app_for: AppFor) -> None:
    """Argo CD's combined-size cap (10M by default) stops a huge directory source."""
    big = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {k: '"
    (repo / "big.yaml").write_bytes(big + b"x" * 11_000_000 + b"'}\n")
    with pytest.raises(GitOpsError, match="max combined manifest file size"):
        gitopslib.render(app_for({"path": "."}), repo_root=repo)


def test_load_manifests_refuses_oversized_input() -> None:
    """load_manifests (plugin, kustomize and live input) refuses input over max_bytes."""
    with pytest.raises(ManifestError, match="over the limit"):
        gitopslib.load_manifests("kind: A\n" * 100, max_bytes=100)


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_deeply_nested_file_is_a_clear_error(repo: Path, app_for: AppFor, suffix: str) -> None:
    """A file nested thousands of levels deep is a ManifestError, not a RecursionError."""
    depth = 5000
    nested = "[" * depth + "]" * depth
    if suffix == "json":
        text = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}, "x": '
        text += nested + "}"
    else:
        text = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: d}}\nx: {nested}\n"
    (repo / f"deep.{suffix}").write_text(text)
    with pytest.raises(ManifestError, match="nest"):
        gitopslib.render(app_for({"path": "."}), repo_root=repo)
