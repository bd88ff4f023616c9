"""Jsonnet inside Directory sources, checked against go-jsonnet called directly."""

from __future__ import annotations

import json
from pathlib import Path

import _gojsonnet
import pytest

from gitopslib.errors import PathEscapeError, RenderError
from gitopslib.sources import render


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_jsonnet_guestbook_matches_engine(make_app, example_apps):
    """jsonnet-guestbook equals go-jsonnet's own evaluation of the file."""
    app_dir = example_apps / "jsonnet-guestbook"
    expected = json.loads(
        _gojsonnet.evaluate_file(str(app_dir / "guestbook-ui.jsonnet"), jpathdir=[str(app_dir)])
    )
    result = render(make_app("jsonnet-guestbook"), repo_root=example_apps)
    assert result.manifests == expected
    assert result.source_type == "Directory"


def test_jsonnet_tla_defaults_match_engine(make_app, example_apps):
    """jsonnet-guestbook-tla without TLAs uses the function's defaults."""
    path = example_apps / "jsonnet-guestbook-tla" / "guestbook-ui.jsonnet"
    expected = json.loads(_gojsonnet.evaluate_file(str(path)))
    result = render(make_app("jsonnet-guestbook-tla"), repo_root=example_apps)
    assert result.manifests == expected


def test_jsonnet_tlas_string_and_code(make_app, example_apps):
    """TLAs are passed as strings, or evaluated as code with code: true."""
    spec = (
        "directory:\n  jsonnet:\n    tlas:\n"
        "    - {name: name, value: tla-guestbook}\n"
        "    - {name: replicas, value: '1 + 2', code: true}\n"
    )
    path = example_apps / "jsonnet-guestbook-tla" / "guestbook-ui.jsonnet"
    expected = json.loads(
        _gojsonnet.evaluate_file(
            str(path), tla_vars={"name": "tla-guestbook"}, tla_codes={"replicas": "1 + 2"}
        )
    )
    result = render(make_app("jsonnet-guestbook-tla", spec), repo_root=example_apps)
    assert result.manifests == expected
    assert result.manifests[1]["spec"]["replicas"] == 3


def test_ext_vars_get_build_env_substitution(make_app, tmp_path):
    """extVar values are env-substituted with the build environment (ARGOCD_APP_NAME...)."""
    _write(
        tmp_path,
        "app/cm.jsonnet",
        "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: std.extVar('cmname')},"
        " data: {ns: std.extVar('ns')}}",
    )
    spec = (
        "directory:\n  jsonnet:\n    extVars:\n"
        "    - {name: cmname, value: '${ARGOCD_APP_NAME}-cm'}\n"
        "    - {name: ns, value: $ARGOCD_APP_NAMESPACE}\n"
    )
    result = render(make_app("app", spec, name="web", dest_namespace="prod"), repo_root=tmp_path)
    assert result.manifests[0]["metadata"]["name"] == "web-cm"
    assert result.manifests[0]["data"]["ns"] == "prod"


def test_libs_are_relative_to_the_repo_root(make_app, tmp_path):
    """jsonnet.libs are import paths relative to the repository root."""
    _write(
        tmp_path,
        "vendor/k.libsonnet",
        "{cm(n): {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: n}}}",
    )
    _write(tmp_path, "app/main.jsonnet", "local k = import 'k.libsonnet'; [k.cm('from-lib')]")
    spec = "directory:\n  jsonnet:\n    libs: [vendor]\n"
    result = render(make_app("app", spec), repo_root=tmp_path)
    assert result.manifests[0]["metadata"]["name"] == "from-lib"


def test_import_outside_repo_is_refused(make_app, tmp_path):
    """A Jsonnet import that resolves outside the repository raises PathEscapeError."""
    _write(tmp_path, "secret.libsonnet", "{password: 'x'}")
    repo = tmp_path / "repo"
    _write(
        repo,
        "app/main.jsonnet",
        "local s = import '../../secret.libsonnet';\n"
        "[{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: s.password}}]",
    )
    with pytest.raises(PathEscapeError, match=r"secret\.libsonnet"):
        render(make_app("app"), repo_root=repo)


def test_absolute_lib_path_is_refused(make_app, tmp_path):
    """An absolute jsonnet lib path is refused."""
    _write(tmp_path, "app/main.jsonnet", "[]")
    spec = f"directory:\n  jsonnet:\n    libs: ['{tmp_path}']\n"
    with pytest.raises(PathEscapeError):
        render(make_app("app", spec), repo_root=tmp_path)


def test_jsonnet_error_names_file_and_line(make_app, tmp_path):
    """A Jsonnet runtime error carries file:line."""
    _write(tmp_path, "app/bad.jsonnet", "local x = 1;\n{ a: error 'boom' }\n")
    with pytest.raises(RenderError) as info:
        render(make_app("app"), repo_root=tmp_path)
    assert "bad.jsonnet:2" in str(info.value)
    assert info.value.line == 2


def test_jsonnet_null_output_yields_no_objects(make_app, tmp_path):
    """A program evaluating to `null` yields no objects (Argo CD unmarshals it into an empty
    list) rather than an error."""
    _write(tmp_path, "app/none.jsonnet", "null\n")
    _write(tmp_path, "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    assert json.loads(_gojsonnet.evaluate_snippet("x", "null")) is None
    result = render(make_app("app"), repo_root=tmp_path)
    assert [m["metadata"]["name"] for m in result.manifests] == ["a"]
