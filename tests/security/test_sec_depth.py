"""Amplification and depth: the loaders bound the bytes YAML aliases expand to (a large anchor
repeated many times, not only many nodes) and the nesting depth, with located errors; nothing
downstream (compare, normalize, plan, diff output, the CLI's plan) recurses without a bound:
deep input is refused with a clear error, never a RecursionError or a MemoryError."""

from __future__ import annotations

import io
import json
import resource
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from sec_fixtures import AppFor, app_file

import gitopslib
from gitopslib.cli import main
from gitopslib.errors import DiffError, GitOpsError, ManifestError, ValidationError
from gitopslib.manifest import MAX_DEPTH, load_manifests, load_yaml_documents

MiB = 1024 * 1024
HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\n"


def _big_alias(copies: int = 200_000, size: int = MiB) -> str:
    """A 1 MiB anchored string aliased ``copies`` times: few nodes, a huge expansion."""
    return HEAD + f'data:\n  a: &a "{"x" * size}"\nlist: [' + ", ".join(["*a"] * copies) + "]\n"


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _nested_json(depth: int) -> dict[str, Any]:
    value: Any = "leaf"
    for i in range(depth):
        value = {"k": value} if i % 2 else [value]
    return value  # type: ignore[no-any-return]


def _deep_object(depth: int, name: str = "deep") -> dict[str, Any]:
    """A ConfigMap whose ``data`` is ``depth`` levels deep (counted from the object)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": _nested_json(depth - 1),
    }


@pytest.mark.parametrize("loader", [load_manifests, load_yaml_documents])
def test_large_anchor_repeated_is_refused_by_bytes(loader: Any) -> None:
    """200,000 aliases of a 1 MiB string: refused for its expanded bytes, fast, memory flat."""
    text = _big_alias()
    before, start = _peak_rss(), time.monotonic()
    with pytest.raises(ManifestError, match="bytes of text"):
        loader(text)
    assert time.monotonic() - start < 10
    assert _peak_rss() - before < 100 * MiB


def test_models_refuse_a_large_anchor_repeated() -> None:
    """Application.from_yaml bounds the bytes aliases expand to as well."""
    spec = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\n"
        f'spec:\n  project: &p "{"x" * MiB}"\n  info: ['
        + ", ".join(["{name: *p, value: *p}"] * 20_000)
        + "]\n"
    )
    before = _peak_rss()
    with pytest.raises(ValidationError, match="bytes of text"):
        gitopslib.Application.from_yaml(spec)
    assert _peak_rss() - before < 200 * MiB


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("kind: X\na: " + "[" * 700 + "]" * 700 + "\n", 2),
        ('{"kind": "X", "a": ' + "[" * 700 + "]" * 700 + "}\n", 1),
        (
            "kind: X\n" + "".join("  " * i + "k:\n" for i in range(200)) + "  " * 200 + "v: 1\n",
            None,
        ),
    ],
    ids=["flow", "json", "block"],
)
def test_deep_documents_are_refused_with_a_line(text: str, line: int | None) -> None:
    """Nesting past MAX_DEPTH is a located ManifestError, whatever the style."""
    with pytest.raises(ManifestError, match=f"deeper than {MAX_DEPTH}") as info:
        load_manifests(text)
    assert info.value.line is not None
    if line is not None:
        assert info.value.line == line


def test_depth_through_aliases_is_refused() -> None:
    """An anchor nested at depth 100 and aliased at depth 100 exceeds the bound too."""
    inner = "[" * 100 + "1" + "]" * 100
    text = f"kind: X\na: &d {inner}\nb: " + "[" * 60 + "*d" + "]" * 60 + "\n"
    with pytest.raises(ManifestError, match="deeper than"):
        load_manifests(text)


def test_directory_render_refuses_deep_json_naming_the_file(repo: Path, app_for: AppFor) -> None:
    """A directory app with a 700-deep JSON file: refused, naming the file."""
    (repo / "deep.json").write_text(json.dumps(_deep_object(700)))
    with pytest.raises(ManifestError) as info:
        gitopslib.render(app_for({"path": "."}), repo_root=repo)
    assert "deep.json" in str(info.value)


def test_jsonnet_output_too_deep_is_refused(repo: Path, app_for: AppFor) -> None:
    """Jsonnet output nested past the bound is refused before anything walks it."""
    (repo / "app").mkdir()
    (repo / "app" / "deep.jsonnet").write_text(
        "local nest(n) = if n == 0 then 'leaf' else { k: nest(n - 1) };\n"
        "{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd' }, data: nest(300) }\n"
    )
    with pytest.raises(ManifestError, match="deeper than"):
        gitopslib.render(app_for({"path": "app"}), repo_root=repo)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 700, 5000])
def test_compare_refuses_deep_objects_without_recursion_error(depth: int) -> None:
    """compare() on Python dicts nested too deeply: a DiffError naming the object."""
    desired, live = _deep_object(depth), _deep_object(depth)
    desired["metadata"]["labels"] = {"changed": "yes"}
    with pytest.raises(DiffError, match="ConfigMap/default/deep"):
        gitopslib.compare([desired], [live])


def test_compare_of_deep_equal_objects_never_raises_recursion_error() -> None:
    """Equal (but distinct) deep objects: Synced or a DiffError, never a RecursionError."""
    try:
        result = gitopslib.compare([_deep_object(900)], [_deep_object(900)])
    except DiffError:
        return
    assert result.sync_status == "Synced"


def test_objects_at_the_bound_go_through_compare_plan_and_diff() -> None:
    """MAX_DEPTH levels (the most the loader lets through) compare, plan and print fine."""
    desired = _deep_object(MAX_DEPTH)
    live = _deep_object(MAX_DEPTH)
    live["data"] = _nested_json(MAX_DEPTH - 2)
    cmp = gitopslib.compare([desired], [live])
    assert cmp.sync_status == "OutOfSync" and cmp.resources[0].diff
    plan = gitopslib.plan_sync(cmp)
    assert [t.name for t in plan.tasks] == ["deep"]
    assert "deep" in plan.render_table()


def test_cli_plan_refuses_deep_live_objects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gitopslib plan` with a 700-deep live file: one line naming the file, exit 2."""
    repo, live = tmp_path / "repo", tmp_path / "live"
    (repo / "app").mkdir(parents=True)
    live.mkdir()
    (repo / "app" / "cm.yaml").write_text(yaml.safe_dump(_deep_object(5, name="deep")))
    (live / "deep.json").write_text(json.dumps(_deep_object(700)))
    app = tmp_path / "app.yaml"
    app.write_text(app_file())
    code = main(
        ["plan", str(app), "--repo-root", str(repo), "--live", str(live)], out=io.StringIO()
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "deep.json" in err and "deeper than" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_every_refusal_is_a_gitops_error() -> None:
    """The bounds raise from the error tree (callers catch one type)."""
    assert issubclass(ManifestError, GitOpsError) and issubclass(DiffError, GitOpsError)
