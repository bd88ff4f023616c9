"""Bad input gets one located, actionable ValidationError (file, line, column, field)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gitopslib.errors import ValidationError
from gitopslib.models import Application, AppProject, ConfigManagementPlugin
from gitopslib.models._base import MAX_DOCUMENT_BYTES

HEAD = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n"
#           line 1                        line 2               line 3       line 4
PROJ = "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: p\nspec:\n"


def _error(text: str, cls: type[Application | AppProject] = Application) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        cls.from_yaml(text)
    return info.value


def test_unknown_field_names_it_line_and_suggestion() -> None:
    """An unknown key is named with its line and the closest allowed name."""
    err = _error(HEAD + "spec:\n  source:\n    repoUrl: https://x\n    path: p\n")
    assert err.field == "spec.source.repoUrl"
    assert (err.line, err.column) == (7, 5)
    assert "unknown field 'repoUrl'" in str(err)
    assert "did you mean 'repoURL'?" in str(err)
    assert str(err).startswith("<string>:7:5: spec.source.repoUrl:")


def test_snake_case_key_is_unknown_in_yaml() -> None:
    """YAML must use Argo CD's camelCase; a Python-style key is refused with the right name."""
    err = _error(HEAD + "spec:\n  syncPolicy:\n    sync_options: [Prune=false]\n")
    assert err.field == "spec.syncPolicy.sync_options"
    assert err.line == 7
    assert "did you mean 'syncOptions'?" in str(err)


def test_unknown_field_without_close_match_lists_allowed() -> None:
    """With no near name, the message lists what is allowed there."""
    err = _error(HEAD + "spec:\n  destination:\n    server: s\n    zzzzzz: 1\n")
    assert err.field == "spec.destination.zzzzzz"
    assert err.line == 8
    assert "allowed here: name, namespace, server" in str(err)


def test_unknown_top_level_field() -> None:
    """An unknown key beside spec is refused too."""
    err = _error(HEAD + "spec: {}\nspecs: {}\n")
    assert err.field == "specs"
    assert err.line == 6
    assert "did you mean 'spec'?" in str(err)


def test_wrong_type_names_field_line_and_expected() -> None:
    """A value of the wrong type is named with its line and the expected type."""
    err = _error(
        HEAD + "spec:\n  source:\n    helm:\n      valueFiles:\n        - a.yaml\n        - 3\n"
    )
    assert err.field == "spec.source.helm.valueFiles[1]"
    assert err.line == 10
    assert "expected a string, got integer 3" in str(err)


def test_string_where_boolean_expected() -> None:
    """`"true"` is a string, not a boolean (Argo CD's decoder refuses it too)."""
    err = _error(HEAD + 'spec:\n  syncPolicy:\n    automated:\n      prune: "true"\n')
    assert err.field == "spec.syncPolicy.automated.prune"
    assert err.line == 8
    assert "expected a boolean" in str(err)


def test_yaml11_boolean_where_string_expected_gets_a_hint() -> None:
    """An unquoted `yes` is a boolean in Kubernetes' YAML; the message says to quote it."""
    err = _error(HEAD + "spec:\n  source:\n    targetRevision: yes\n")
    assert err.field == "spec.source.targetRevision"
    assert err.line == 7
    assert "quote the value" in str(err)


def test_mapping_where_list_expected() -> None:
    """A mapping given for a list is reported with the expected shape."""
    err = _error(HEAD + "spec:\n  info:\n    name: a\n")
    assert err.field == "spec.info"
    assert err.line == 7
    assert "expected a list" in str(err)


def test_malformed_yaml_has_line_and_column() -> None:
    """Unparseable YAML is reported with line and column."""
    err = _error(HEAD + "spec:\n  source: {repoURL: x\n  destination: [\n")
    assert err.line == 7
    assert err.column is not None
    assert "malformed YAML" in str(err)


def test_duplicate_key_is_malformed() -> None:
    """A key written twice in one mapping is refused at the second one."""
    err = _error(HEAD + "spec:\n  project: a\n  project: b\n")
    assert err.line == 7
    assert "duplicate key" in str(err)


def test_source_and_sources_together() -> None:
    """`source` together with `sources` is refused, pointing at `sources`."""
    err = _error(HEAD + "spec:\n  source: {repoURL: x}\n  sources:\n    - repoURL: z\n")
    assert err.field == "spec.sources"
    assert err.line == 7
    assert "both source and sources" in str(err)


def test_two_tools_in_one_source() -> None:
    """helm and kustomize in one source: Argo CD's "multiple application sources defined"."""
    err = _error(
        HEAD + "spec:\n  sources:\n    - repoURL: x\n      helm: {}\n      kustomize: {}\n"
    )
    assert err.field == "spec.sources[0].kustomize"
    assert err.line == 9
    assert "multiple application sources defined: helm and kustomize" in str(err)


def test_destination_with_server_and_name() -> None:
    """A destination naming both a server and a cluster name is refused."""
    err = _error(HEAD + "spec:\n  destination:\n    server: https://k\n    name: other\n")
    assert err.field == "spec.destination.name"
    assert err.line == 8
    assert "both server" in str(err)


def test_destination_with_neither_server_nor_name() -> None:
    """A destination block without server or name is refused."""
    err = _error(HEAD + "spec:\n  destination:\n    namespace: ns\n")
    assert err.field == "spec.destination"
    assert err.line == 6  # the line of the `destination:` key
    assert "neither server nor name" in str(err)


def test_destination_empty_name_with_server_is_fine() -> None:
    """`name: ""` beside a server counts as unset (the seed guestbook does this)."""
    app = Application.from_yaml(HEAD + "spec:\n  destination:\n    name: ''\n    server: s\n")
    assert app.spec.destination.server == "s"


def test_wrong_kind() -> None:
    """Another kind is refused, naming kind and its line."""
    err = _error(HEAD.replace("Application", "AppProject") + "spec: {}\n")
    assert err.field == "kind"
    assert err.line == 2
    assert "expected 'Application'" in str(err)


def test_wrong_api_version() -> None:
    """Another apiVersion is refused, naming apiVersion and its line."""
    err = _error(HEAD.replace("v1alpha1", "v1beta1") + "spec: {}\n")
    assert err.field == "apiVersion"
    assert err.line == 1
    assert "expected 'argoproj.io/v1alpha1'" in str(err)


def test_missing_kind() -> None:
    """A document without kind is refused."""
    err = _error("apiVersion: argoproj.io/v1alpha1\nmetadata: {name: a}\nspec: {}\n")
    assert err.field == "kind"
    assert err.line == 1
    assert "kind is missing" in str(err)


def test_missing_spec() -> None:
    """An Application without spec is refused, located at the document."""
    err = _error(HEAD)
    assert err.line == 1
    assert "required field 'spec' is missing" in str(err)


def test_missing_name() -> None:
    """An Application needs metadata.name."""
    err = _error(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
        "  namespace: argocd\nspec: {}\n"
    )
    assert err.field == "metadata"
    assert err.line == 3  # the line of the `metadata:` key
    assert "metadata.name" in str(err)


def test_not_a_mapping() -> None:
    """A document that is a list is refused."""
    err = _error("- a\n- b\n")
    assert err.line == 1
    assert "list" in str(err)


def test_two_documents_for_from_yaml() -> None:
    """from_yaml wants one document and points to load_all for a stream."""
    err = _error(HEAD + "spec: {}\n---\n" + HEAD + "spec: {}\n")
    assert "found 2" in str(err)
    assert "load_all" in str(err)


def test_alias_bomb_fails_fast() -> None:
    """A billion-laughs document is refused quickly, without expanding it."""
    levels = "".join(
        f"      l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10 if i else ["lol"] * 10) + "]\n"
        for i in range(10)
    )
    text = (
        HEAD
        + "spec:\n  source:\n    helm:\n      valuesObject:\n"
        + levels.replace("      l", "        l")
    )
    start = time.perf_counter()
    err = _error(text)
    assert time.perf_counter() - start < 2.0
    assert "YAML aliases" in str(err)
    assert err.line == 1


def test_oversized_text_is_refused() -> None:
    """A document over the size bound is refused before parsing."""
    text = HEAD + "spec:\n  info:\n    - name: a\n      value: " + "x" * MAX_DOCUMENT_BYTES + "\n"
    err = _error(text)
    assert "over the limit" in str(err)


def test_oversized_file_is_refused_with_its_name(tmp_path: Path) -> None:
    """An oversized file is refused by its size, naming the file."""
    path = tmp_path / "big.yaml"
    path.write_text(HEAD + "# " + "x" * MAX_DOCUMENT_BYTES + "\nspec: {}\n")
    with pytest.raises(ValidationError) as info:
        Application.from_yaml(path)
    assert info.value.file == str(path)
    assert "over the limit" in str(info.value)


def test_too_deep_nesting_is_refused() -> None:
    """Absurdly deep nesting is refused with a clear message, not a RecursionError."""
    deep = "[" * 150 + "]" * 150
    err = _error(HEAD + "spec:\n  source:\n    helm:\n      valuesObject: {a: " + deep + "}\n")
    assert "nested deeper" in str(err)


def test_error_from_file_names_the_file(tmp_path: Path) -> None:
    """Errors from a file carry its path."""
    path = tmp_path / "app.yaml"
    path.write_text(HEAD + "spec:\n  project: 3\n")
    with pytest.raises(ValidationError) as info:
        Application.from_yaml(path)
    assert info.value.file == str(path)
    assert str(info.value).startswith(f"{path}:6:12: spec.project:")


def test_missing_file_is_a_validation_error(tmp_path: Path) -> None:
    """A path that does not exist is reported as such, naming it."""
    with pytest.raises(ValidationError) as info:
        Application.from_yaml(tmp_path / "nope.yaml")
    assert "cannot read file" in str(info.value)


def test_no_pydantic_traceback() -> None:
    """The error raised is ours, with pydantic's exception neither chained nor shown."""
    err = _error(HEAD + "spec:\n  project: 3\n")
    assert err.__cause__ is None
    assert err.__suppress_context__ is True
    assert "pydantic" not in str(err)


def test_several_problems_are_all_listed() -> None:
    """Several problems: the first leads (with its line), the others are listed too."""
    err = _error(HEAD + "spec:\n  project: 3\n  revisionHistoryLimit: ten\n")
    assert err.field == "spec.project"
    assert err.line == 6
    assert "spec.revisionHistoryLimit" in str(err)
    assert len(err.errors) == 2  # type: ignore[attr-defined]
    assert err.errors[1].line == 7  # type: ignore[attr-defined]


def test_unknown_status_fields_are_tolerated() -> None:
    """Argo CD adds status fields over time: unknown ones are kept, not refused."""
    app = Application.from_yaml(
        HEAD + "spec: {}\nstatus:\n  brandNew: 1\n  sync:\n    status: Synced\n    extra: x\n"
    )
    assert app.status is not None and app.status.sync is not None
    assert app.status.sync.status == "Synced"
    assert app.to_dict()["status"] == {"brandNew": 1, "sync": {"status": "Synced", "extra": "x"}}


def test_unknown_metadata_fields_are_kept() -> None:
    """Kubernetes metadata fields we do not model are kept as written."""
    app = Application.from_yaml(HEAD + "  selfLink: /x\nspec: {}\n")
    assert app.to_dict()["metadata"] == {"name": "a", "selfLink": "/x"}


def test_project_source_repo_deny_all() -> None:
    """`!*` in sourceRepos is refused, naming the entry."""
    err = _error(PROJ + "  sourceRepos:\n    - https://a\n    - '!*'\n", AppProject)
    assert err.field == "spec.sourceRepos[1]"
    assert err.line == 8


def test_project_duplicate_source_repo() -> None:
    """A repeated sourceRepos entry is refused."""
    err = _error(PROJ + "  sourceRepos:\n    - https://a\n    - https://a\n", AppProject)
    assert err.field == "spec.sourceRepos[1]"
    assert err.line == 8
    assert "twice" in str(err)


def test_project_destination_deny_all() -> None:
    """`!*` in a project destination field is refused."""
    err = _error(PROJ + "  destinations:\n    - server: '*'\n      namespace: '!*'\n", AppProject)
    assert err.field == "spec.destinations[0].namespace"
    assert err.line == 8


def test_project_sync_window_kind() -> None:
    """A sync window kind other than allow/deny is refused."""
    err = _error(
        PROJ + "  syncWindows:\n    - kind: block\n      schedule: '* * * * *'\n", AppProject
    )
    assert err.field == "spec.syncWindows[0].kind"
    assert err.line == 7
    assert "'allow' or 'deny'" in str(err)


def test_project_description_too_long() -> None:
    """A project description over 255 characters is refused."""
    err = _error(PROJ + "  description: " + "d" * 256 + "\n", AppProject)
    assert err.field == "spec.description"
    assert err.line == 6


def test_project_sync_window_description_too_long() -> None:
    """A sync window description over 255 characters is refused."""
    err = _error(
        PROJ + "  syncWindows:\n    - kind: allow\n      description: " + "d" * 300 + "\n",
        AppProject,
    )
    assert err.field == "spec.syncWindows[0].description"
    assert err.line == 8


def test_project_role_name() -> None:
    """A role name outside Argo CD's pattern is refused."""
    err = _error(PROJ + "  roles:\n    - name: bad name\n", AppProject)
    assert err.field == "spec.roles[0].name"
    assert err.line == 7


def test_project_empty_whitelist_is_kept_distinct_from_absent() -> None:
    """`namespaceResourceWhitelist: []` stays [] (permits nothing), absent stays None."""
    proj = AppProject.from_yaml(PROJ + "  namespaceResourceWhitelist: []\n")
    assert proj.spec.namespace_resource_whitelist == []
    assert proj.spec.cluster_resource_whitelist is None
    assert proj.to_dict()["spec"] == {"namespaceResourceWhitelist": []}


def test_plugin_without_generate_command() -> None:
    """A plugin.yaml needs generate.command."""
    text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n"
        "  name: p\nspec:\n  generate:\n    args: [x]\n"
    )
    with pytest.raises(ValidationError) as info:
        ConfigManagementPlugin.from_yaml(text)
    assert info.value.field == "spec.generate"
    assert info.value.line == 6  # the line of the `generate:` key


def test_plugin_wrong_kind() -> None:
    """An Application is not a plugin.yaml."""
    with pytest.raises(ValidationError) as info:
        ConfigManagementPlugin.from_yaml(HEAD + "spec: {}\n")
    assert info.value.field == "kind"
    assert "expected 'ConfigManagementPlugin'" in str(info.value)


def test_project_duplicate_destination() -> None:
    """The same server/namespace listed twice is refused; server vs name are distinct."""
    err = _error(
        PROJ + "  destinations:\n    - {server: https://k, namespace: a}\n"
        "    - {server: https://k, namespace: a}\n",
        AppProject,
    )
    assert err.field == "spec.destinations[1]"
    assert err.line == 8
    ok = AppProject.from_yaml(
        PROJ + "  destinations:\n    - {server: a, namespace: x}\n    - {name: a, namespace: x}\n"
    )
    assert ok.spec.destinations is not None and len(ok.spec.destinations) == 2
