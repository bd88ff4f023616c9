"""The public surface of gitopslib.models: names other layers code against."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gitopslib.models as models
from gitopslib.models import (
    Application,
    ApplicationSource,
    ApplicationSourceDirectory,
    ApplicationSourceHelm,
    ApplicationSourceKustomize,
    ApplicationSourcePlugin,
    AppProject,
    ConfigManagementPlugin,
    SyncOptions,
)


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, and every name in it exists."""
    assert models.__all__ == sorted(models.__all__)
    for name in models.__all__:
        assert hasattr(models, name), name


def _fields(cls: type[models.GitOpsModel]) -> set[str]:
    return set(cls.model_fields)


def test_source_contract_names() -> None:
    """ApplicationSource and its tool blocks carry the attribute names of the contract."""
    assert {"repo_url", "path", "target_revision", "chart", "ref", "name"} <= _fields(
        ApplicationSource
    )
    assert {
        "value_files", "parameters", "file_parameters", "release_name", "values",
        "values_object", "ignore_missing_value_files", "skip_crds", "skip_tests",
        "skip_schema_validation", "namespace", "kube_version", "api_versions",
        "pass_credentials", "version",
    } <= _fields(ApplicationSourceHelm)  # fmt: skip
    assert {
        "name_prefix", "name_suffix", "images", "common_labels", "common_annotations",
        "force_common_labels", "force_common_annotations", "common_annotations_envsubst",
        "label_without_selector", "label_include_templates", "namespace", "replicas",
        "patches", "components", "ignore_missing_components", "kube_version", "api_versions",
        "version",
    } <= _fields(ApplicationSourceKustomize)  # fmt: skip
    assert {"recurse", "include", "exclude", "jsonnet", "disable_extension_filter"} <= _fields(
        ApplicationSourceDirectory
    )
    assert {"name", "env", "parameters"} <= _fields(ApplicationSourcePlugin)


def test_sync_options_contract_names() -> None:
    """SyncOptions exposes every attribute of the contract."""
    opts = SyncOptions.from_list([])
    for name in (
        "prune", "prune_confirm", "delete", "delete_confirm", "validate",
        "skip_dry_run_on_missing_resource", "create_namespace", "prune_last",
        "apply_out_of_sync_only", "server_side_apply", "replace", "force",
        "prune_propagation_policy", "respect_ignore_differences", "fail_on_shared_resource",
        "client_side_apply_migration", "unknown", "raw",
    ):  # fmt: skip
        # an empty list sets nothing: every option is unset (None), off (False) or empty
        assert getattr(opts, name) in (None, False, []), name
    # the contract's optional (``X | None``) options stay None when not written
    assert (opts.prune, opts.delete, opts.validate, opts.server_side_apply) == (None,) * 4
    assert opts.client_side_apply_migration is None and opts.prune_propagation_policy is None


def test_project_contract_names() -> None:
    """AppProject's spec has every field of the contract, None when absent."""
    proj = AppProject.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: p}\nspec: {}\n"
    )
    for name in (
        "source_repos", "destinations", "cluster_resource_whitelist",
        "cluster_resource_blacklist", "namespace_resource_whitelist",
        "namespace_resource_blacklist", "roles", "sync_windows", "orphaned_resources",
        "source_namespaces", "permit_only_project_scoped_clusters", "description",
    ):  # fmt: skip
        assert getattr(proj.spec, name) is None


def test_from_yaml_builds_the_subclass() -> None:
    """A subclass (as gitopslib.project adds behaviour) gets instances of itself."""

    class PolicyProject(AppProject):
        def permits_everything(self) -> bool:
            return self.spec.source_repos == ["*"]

    proj = PolicyProject.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: p}\n"
        "spec: {sourceRepos: ['*']}\n"
    )
    assert type(proj) is PolicyProject
    assert proj.permits_everything()
    assert type(PolicyProject.from_dict(proj.to_dict())) is PolicyProject


def test_import_is_cheap_and_silent() -> None:
    """Importing the models prints nothing and loads no engine."""
    code = (
        "import sys, gitopslib.models\n"
        "bad = [m for m in ('helm_python', 'kubernetes', 'dulwich') "
        "if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout == "[]\n"
    assert out.stderr == ""


def test_kinds_are_fixed() -> None:
    """Each document class knows its kind and writes it."""
    assert Application.KIND == "Application"
    assert AppProject.KIND == "AppProject"
    assert ConfigManagementPlugin.KIND == "ConfigManagementPlugin"


def test_equality_is_by_data() -> None:
    """Two documents with the same data are equal, wherever they were read from."""
    text = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec: {}\n"
    first = Application.from_yaml(text)
    assert first == Application.from_yaml(text)
    assert first == Application.from_dict(first.to_dict())
    assert first != Application.from_yaml(text.replace("name: a", "name: b"))


def test_from_yaml_accepts_a_path_string(tmp_path: Path) -> None:
    """A string ending in .yaml is read as a file path."""
    path = tmp_path / "app.yaml"
    path.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec: {}\n"
    )
    assert Application.from_yaml(str(path)).metadata.name == "a"


def test_operation_keeps_unknown_keys() -> None:
    """`operation` written by a newer Argo CD keeps the keys we do not model."""
    app = Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec: {}\n"
        "operation:\n  sync:\n    revision: main\n    futureFlag: true\n"
        "  initiatedBy: {username: admin}\n"
    )
    assert app.operation is not None and app.operation.sync is not None
    assert app.operation.sync.revision == "main"
    assert app.to_dict()["operation"]["sync"] == {"revision": "main", "futureFlag": True}


def test_load_documents_picks_the_model_by_kind() -> None:
    """A mixed stream is read with the model of each document's kind."""
    from gitopslib.errors import ValidationError
    from gitopslib.models import load_documents

    stream = (
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: p}\n---\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\n"
        "spec: {project: p}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    )
    docs = load_documents(stream, skip_other_kinds=True)
    assert [type(d) for d in docs] == [AppProject, Application]
    try:
        load_documents(stream)
    except ValidationError as err:
        assert err.field == "kind" and err.line == 11  # the ConfigMap's kind line
    else:
        raise AssertionError("a ConfigMap was accepted")


def test_credentials_never_shown() -> None:
    """A token in a repoURL is masked in reprs and in error messages."""
    from gitopslib.errors import ValidationError

    source = ApplicationSource(repo_url="https://ghp_s3cret@github.com/o/r")
    assert "ghp_s3cret" not in repr(source) and "ghp_s3cret" not in str(source)
    assert source.repo_url == "https://ghp_s3cret@github.com/o/r"  # the value itself is kept
    try:
        Application.from_yaml(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n"
            "  destination: {server: 'https://user:hunter2@k', name: other}\n"
        )
    except ValidationError as err:
        assert "hunter2" not in str(err)
    else:
        raise AssertionError("both server and name were accepted")
