"""Nothing read on behalf of a repository may come from outside its root: ``..``, absolute
paths and symlinks (Argo CD CVE-2022-24348 and its symlink follow-ups), per source type,
through the real renderers and engines."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sec_fixtures import STOLEN, AppFor, write_chart

import gitopslib
from gitopslib.errors import GitOpsError, PathEscapeError
from gitopslib.git import GitRepository

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\ndata: {a: b}\n"
FILES_GET_TEMPLATE = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    'data:\n  f: {{ .Files.Get "files/x.txt" | quote }}\n'
)


def refused(app: Any, root: Path, **kwargs: Any) -> PathEscapeError:
    """Render and expect a PathEscapeError that does not quote the outside content."""
    with pytest.raises(PathEscapeError) as info:
        gitopslib.render(app, repo_root=root, **kwargs)
    assert STOLEN not in str(info.value)
    return info.value


# --- escapes found by this review (each failed before its fix) ------------------------------


def test_helm_files_get_through_symlinked_dir_is_refused(
    repo: Path, outside: Path, app_for: AppFor
) -> None:
    """A chart dir linking to a repo dir that itself links out cannot smuggle the file in."""
    chart = write_chart(
        repo / "app",
        FILES_GET_TEMPLATE,
    )
    (repo / "inner").mkdir()
    (repo / "inner" / "x.txt").symlink_to(outside / "values.yaml")
    (chart / "files").symlink_to("../inner")
    err = refused(app_for({"path": "app"}), repo)
    assert err.file == "files/x.txt"


def test_helm_charts_dir_symlinked_to_dir_with_outside_link_is_refused(
    repo: Path, outside: Path, app_for: AppFor
) -> None:
    """charts/ as a link into the repo, holding a subchart linked outside, is refused."""
    chart = write_chart(repo / "app")
    (repo / "inner").mkdir()
    (repo / "inner" / "out").symlink_to(outside / "chart")
    (chart / "charts").symlink_to("../inner")
    err = refused(app_for({"path": "app"}), repo)
    assert err.file == "charts/out"


def test_tree_check_terminates_on_a_link_cycle(repo: Path, outside: Path) -> None:
    """The confinement walk visits a directory once, so a link cycle cannot hang it."""
    from gitopslib.sources._base import check_tree_confined

    (repo / "files").mkdir()
    (repo / "files" / "again").symlink_to("..")
    (repo / "files" / "ok.txt").symlink_to("../files")
    check_tree_confined(repo, repo)  # returns: every link stays inside
    # the walk still checks every directory of the cycle: an outside link there is named
    (repo / "files" / "leak").symlink_to(outside)
    with pytest.raises(PathEscapeError) as info:
        check_tree_confined(repo, repo)
    assert info.value.file == "files/leak"


def test_tree_check_names_an_outside_link_behind_an_inside_one(repo: Path, outside: Path) -> None:
    """A link to an inside directory is followed, and the outside link behind it is named."""
    from gitopslib.sources._base import check_tree_confined

    (repo / "a" / "b").mkdir(parents=True)
    (repo / "a" / "b" / "leak").symlink_to(outside)
    (repo / "via").symlink_to("a")
    with pytest.raises(PathEscapeError) as info:
        check_tree_confined(repo / "via", repo)
    assert info.value.file == "b/leak"


@pytest.mark.parametrize(
    "expression",
    [
        "importstr '../../outside/secret.yaml'",
        "std.toString(importbin '../../outside/secret.yaml')",
    ],
)
def test_jsonnet_importstr_outside_is_refused_not_rendered(
    repo: Path, outside: Path, app_for: AppFor, expression: str
) -> None:
    """importstr/importbin of an outside file fails the render instead of rendering a stub."""
    (repo / "app").mkdir()
    (repo / "app" / "m.jsonnet").write_text(
        "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'j'}, data: {k: "
        + expression
        + "}}"
    )
    err = refused(app_for({"path": "app"}), repo)
    assert "../../outside/secret.yaml" in str(err)


def test_jsonnet_importstr_of_missing_file_fails(repo: Path, app_for: AppFor) -> None:
    """importstr of a file that does not exist is an error, as in go-jsonnet itself."""
    (repo / "m.jsonnet").write_text(
        "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'j'}, "
        "data: {k: importstr 'nope.txt'}}"
    )
    with pytest.raises(GitOpsError, match=r"nope\.txt"):
        gitopslib.render(app_for({"path": "."}), repo_root=repo)


@pytest.mark.parametrize("name", [".argocd-source.yaml", ".argocd-source-probe.yaml"])
def test_argocd_source_override_symlinked_outside_is_refused(
    repo: Path, outside: Path, app_for: AppFor, name: str
) -> None:
    """A source override file linked outside is neither applied nor quoted in the error."""
    (repo / "app").mkdir()
    (repo / "app" / "cm.yaml").write_text(CM)
    (outside / "bad.yaml").write_text(f"{STOLEN}: [unclosed\n")
    (repo / "app" / name).symlink_to(outside / "bad.yaml")
    err = refused(app_for({"path": "app"}), repo)
    assert f"app/{name}" in str(err)


def test_argocd_source_override_inside_still_applies(repo: Path, app_for: AppFor) -> None:
    """The confinement keeps Argo CD's override files working when they are real files."""
    (repo / "cm.yaml").write_text(CM)
    (repo / "other.yaml").write_text(CM.replace("base", "other"))
    (repo / ".argocd-source.yaml").write_text("directory: {include: 'other.yaml'}\n")
    result = gitopslib.render(app_for({"path": "."}), repo_root=repo)
    assert [o["metadata"]["name"] for o in result.manifests] == ["other"]


@pytest.mark.parametrize("overrides", [None, {"namePrefix": "p-"}])
def test_kustomization_file_symlinked_outside_is_refused(
    repo: Path, outside: Path, app_for: AppFor, overrides: dict[str, Any] | None
) -> None:
    """A kustomization.yaml that is a link out is refused by name, with or without overrides."""
    (repo / "app").mkdir()
    (repo / "app" / "kustomization.yaml").symlink_to(outside / "kustomization.yaml")
    (repo / "app" / "secret.yaml").write_text(CM)
    source: dict[str, Any] = {"path": "app"}
    if overrides:
        source["kustomize"] = overrides
    err = refused(app_for(source), repo)
    assert "app/kustomization.yaml" in str(err)


def _git(cwd: Path, *argv: str) -> None:
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *argv], cwd=cwd, env=env, check=True, capture_output=True, timeout=60)


def test_helm_link_chain_from_a_git_checkout_is_refused(
    tmp_path: Path, outside: Path, app_for: AppFor
) -> None:
    """Links committed to Git and materialised by checkout() are confined the same way."""
    work = tmp_path / "work"
    chart = write_chart(
        work / "app",
        FILES_GET_TEMPLATE,
    )
    (work / "inner").mkdir()
    (work / "inner" / "x.txt").symlink_to(outside / "values.yaml")
    (chart / "files").symlink_to("../inner")
    _git(work, "init", "-q", "-b", "main")
    _git(work, "add", "-A")
    _git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "links")
    repository = GitRepository(str(work), cache_dir=tmp_path / "cache")
    with repository.checkout(repository.resolve("main")) as root:
        assert (root / "inner" / "x.txt").is_symlink()  # kept as a link: readers confine
    with pytest.raises(PathEscapeError) as info:
        gitopslib.render(app_for({"path": "app"}), repository=repository)
    assert STOLEN not in str(info.value)


# --- escapes that already held (regression guards) -----------------------------------------


def _setup_directory(case: str, repo: Path, outside: Path) -> dict[str, Any]:
    app = repo / "app"
    app.mkdir()
    (app / "cm.yaml").write_text(CM)
    if case == "abs file link":
        (app / "s.yaml").symlink_to(outside / "secret.yaml")
    elif case == "relative file link":
        (app / "s.yaml").symlink_to("../../outside/secret.yaml")
    elif case == "link chain":
        (repo / "b.yaml").symlink_to(outside / "secret.yaml")
        (app / "a.yaml").symlink_to("../b.yaml")
    elif case == "dir link named like a manifest":
        (app / "sub.yaml").symlink_to(outside / "dir")
        return {"path": "app", "directory": {"recurse": True}}
    elif case == "path ..":
        return {"path": "../outside"}
    elif case == "absolute path":
        return {"path": str(outside)}
    elif case == "app dir is a link":
        (repo / "linked").symlink_to(outside / "dir")
        return {"path": "linked"}
    elif case == "jsonnet absolute import":
        (app / "m.jsonnet").write_text(f"import '{outside}/lib.libsonnet'")
    elif case == "jsonnet linked import":
        (app / "l.libsonnet").symlink_to(outside / "lib.libsonnet")
        (app / "m.jsonnet").write_text("import 'l.libsonnet'")
    elif case == "jsonnet libs outside":
        (app / "m.jsonnet").write_text("import 'lib.libsonnet'")
        return {"path": "app", "directory": {"jsonnet": {"libs": ["../outside"]}}}
    return {"path": "app"}


@pytest.mark.parametrize(
    "case",
    [
        "abs file link",
        "relative file link",
        "link chain",
        "dir link named like a manifest",
        "path ..",
        "absolute path",
        "app dir is a link",
        "jsonnet absolute import",
        "jsonnet linked import",
        "jsonnet libs outside",
    ],
)
def test_directory_escape_is_refused(repo: Path, outside: Path, app_for: AppFor, case: str) -> None:
    """Directory sources refuse every way out of the repository."""
    refused(app_for(_setup_directory(case, repo, outside)), repo)


def _setup_helm(case: str, repo: Path, outside: Path) -> dict[str, Any]:
    chart = write_chart(repo / "app")
    if case == "valueFiles ..":
        return {"path": "app", "helm": {"valueFiles": ["../../outside/values.yaml"]}}
    if case == "valueFiles absolute":
        return {"path": "app", "helm": {"valueFiles": [str(outside / "values.yaml")]}}
    if case == "valueFiles link":
        (chart / "v.yaml").symlink_to(outside / "values.yaml")
        return {"path": "app", "helm": {"valueFiles": ["v.yaml"]}}
    if case == "fileParameters ..":
        fp = [{"name": "leak", "path": "../../outside/values.yaml"}]
        return {"path": "app", "helm": {"fileParameters": fp}}
    if case == "env var then ..":
        vf = ["$ARGOCD_APP_NAME/../../../outside/values.yaml"]
        return {"path": "app", "helm": {"valueFiles": vf}}
    if case == "charts/ link out":
        (chart / "charts").mkdir()
        (chart / "charts" / "out").symlink_to(outside / "chart")
    elif case == "file:// dependency ..":
        (chart / "Chart.yaml").write_text(
            "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n"
            "- {name: out, version: 0.1.0, repository: 'file://../../outside/chart'}\n"
        )
    elif case == "templates dir link":
        (chart / "templates" / "more").symlink_to(outside / "chart" / "templates")
    return {"path": "app"}


@pytest.mark.parametrize(
    "case",
    [
        "valueFiles ..",
        "valueFiles absolute",
        "valueFiles link",
        "fileParameters ..",
        "env var then ..",
        "charts/ link out",
        "file:// dependency ..",
        "templates dir link",
    ],
)
def test_helm_escape_is_refused(repo: Path, outside: Path, app_for: AppFor, case: str) -> None:
    """Helm sources refuse value files, file parameters and chart files from outside."""
    refused(app_for(_setup_helm(case, repo, outside)), repo)


def test_helm_ref_value_file_climbing_out_of_its_source_is_refused(
    repo: Path, outside: Path, app_for: AppFor
) -> None:
    """``$ref/../x`` may not climb out of the referenced source's root."""
    write_chart(repo / "app")
    app = app_for(
        sources=[
            {"path": "app", "helm": {"valueFiles": ["$values/../outside/values.yaml"]}},
            {"ref": "values"},
        ]
    )
    refused(app, repo)


@pytest.mark.parametrize("overrides", [None, {"namePrefix": "p-"}])
@pytest.mark.parametrize(
    "kustomization",
    [
        "resources: [cm.yaml, ../../outside/secret.yaml]\n",
        "resources: [{outside}/secret.yaml]\n",
        "resources: [cm.yaml, linked.yaml]\n",
        "configMapGenerator:\n- name: g\n  files: [k=../../outside/values.yaml]\n",
        "configMapGenerator:\n- name: g\n  envs: [linked.yaml]\n",
        "resources: [cm.yaml]\npatches:\n- path: linked.yaml\n",
    ],
)
def test_kustomize_escape_is_refused(
    repo: Path,
    outside: Path,
    app_for: AppFor,
    kustomization: str,
    overrides: dict[str, Any] | None,
) -> None:
    """Kustomize sources refuse resources, generator files and patches from outside."""
    app = repo / "app"
    app.mkdir()
    (app / "cm.yaml").write_text(CM)
    (app / "linked.yaml").symlink_to(outside / "secret.yaml")
    (app / "kustomization.yaml").write_text(kustomization.format(outside=outside))
    source: dict[str, Any] = {"path": "app"}
    if overrides:
        source["kustomize"] = overrides
    refused(app_for(source), repo)


def test_kustomize_override_component_outside_is_refused(
    repo: Path, outside: Path, app_for: AppFor
) -> None:
    """spec.source.kustomize.components may not name a directory outside the repository."""
    (repo / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (repo / "cm.yaml").write_text(CM)
    refused(app_for({"path": ".", "kustomize": {"components": [str(outside / "dir")]}}), repo)


def test_plugin_scratch_copy_refuses_link_out(
    repo: Path, outside: Path, app_for: AppFor, tmp_path: Path
) -> None:
    """A plugin's working copy is never built by following a link out of the repository."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    plugin = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ConfigManagementPlugin",
        "metadata": {"name": "cat"},
        "spec": {"generate": {"command": ["cat", "d/s.yaml"]}},
    }
    (plugins / "cat.yaml").write_text(yaml.safe_dump(plugin))
    (repo / "app").mkdir()
    (repo / "app" / "d").symlink_to(outside / "dir")
    refused(app_for({"path": "app", "plugin": {"name": "cat"}}), repo, plugins_dir=plugins)


@pytest.mark.parametrize("inline", [True, False])
@pytest.mark.parametrize("restrictor", [None, "--load-restrictor LoadRestrictionsNone"])
def test_kustomize_transformer_config_path_outside_is_refused(
    repo: Path, outside: Path, app_for: AppFor, inline: bool, restrictor: str | None
) -> None:
    """A PatchTransformer config (inline or a file) may not name a patch outside the
    repository, even when the admin lifts kustomize's own load restrictor."""
    app = repo / "app"
    app.mkdir()
    (app / "cm.yaml").write_text(CM)
    (outside / "patch.yaml").write_text(CM.replace("data: {a: b}", f"data: {{a: {STOLEN}}}"))
    config = (
        "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: x}\n"
        "path: ../../outside/patch.yaml\n"
    )
    if inline:
        entry = "- |-\n" + "".join(f"  {line}\n" for line in config.splitlines())
    else:
        (app / "transformer.yaml").write_text(config)
        entry = "- transformer.yaml\n"
    (app / "kustomization.yaml").write_text(f"resources: [cm.yaml]\ntransformers:\n{entry}")
    options = {"kustomize_build_options": restrictor} if restrictor else None
    err = refused(app_for({"path": "app"}), repo, options=options)
    assert "../../outside/patch.yaml" in str(err)


def test_kustomize_transformer_field_paths_still_build(repo: Path, app_for: AppFor) -> None:
    """Field-spec ``path`` values in a transformer config are not mistaken for escapes."""
    (repo / "cm.yaml").write_text(CM)
    (repo / "kustomization.yaml").write_text(
        "resources: [cm.yaml]\ntransformers:\n- |-\n"
        "  apiVersion: builtin\n  kind: PrefixSuffixTransformer\n  metadata: {name: p}\n"
        "  prefix: x-\n  fieldSpecs:\n  - path: metadata/name\n"
    )
    result = gitopslib.render(app_for({"path": "."}), repo_root=repo)
    assert [o["metadata"]["name"] for o in result.manifests] == ["x-base"]
