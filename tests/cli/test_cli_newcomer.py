"""What a newcomer trips over first: located render errors, several apps in one Mermaid
diagram, Argo CD-style flag values, project refusals in ``plan``, chart templates in folders."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

CliRun = Callable[..., Any]


def _one_error_line(run: Any) -> str:
    assert run.code == 2, (run.out, run.err)
    assert run.err.count("\n") == 1 and "Traceback" not in run.err, run.err
    return str(run.err.strip())


# ----------------------------------------------------------------------- located errors


def test_escaping_source_path_names_file_line_and_field(
    cli: CliRun, write_app, example_apps: Path
) -> None:
    """A source path leaving the repository is one line naming file:line:column and the
    field; ``path`` is line 11, column 11 of the test template (counted by hand)."""
    app = write_app("escape", "../../etc")
    line = _one_error_line(cli("render", app, "--repo-root", example_apps))
    assert line.startswith(f"gitopslib: error: {app}:11:11: spec.source.path: ")
    assert "leaves the repository root" in line


def test_missing_value_file_names_its_index(cli: CliRun, write_app, example_apps: Path) -> None:
    """A value file that does not exist names ``valueFiles[1]`` and its line (15: the second
    item of the list written below the template's ``path`` line)."""
    extra = "    helm:\n      valueFiles:\n        - values.yaml\n        - nope.yaml\n"
    app = write_app("vf", "helm-guestbook", extra=extra)
    line = _one_error_line(cli("render", app, "--repo-root", example_apps))
    assert line.startswith(f"gitopslib: error: {app}:15:11: spec.source.helm.valueFiles[1]: ")
    assert "'nope.yaml' does not exist" in line


def test_missing_app_path_after_override_keeps_the_file_line(
    cli: CliRun, write_app, example_apps: Path
) -> None:
    """Overrides do not lose the location: an app path that does not exist still names the
    file and the line of ``path`` when ``--helm-set`` rewrote the app."""
    app = write_app("nopath", "no-such-folder")
    line = _one_error_line(cli("render", app, "--repo-root", example_apps, "--helm-set", "a=b"))
    assert line.startswith(f"gitopslib: error: {app}:11:11: spec.source.path: app path ")


def test_misspelt_kind_is_located(cli: CliRun, write_app) -> None:
    """``kind: Aplication`` is reported at line 2, column 7 with the field name, instead of
    a bare "no Application in this file"."""
    app = write_app("typo", "guestbook")
    app.write_text(app.read_text().replace("kind: Application", "kind: Aplication"))
    line = _one_error_line(cli("render", app))
    assert line.startswith(f"gitopslib: error: {app}:2:7: kind: ")
    assert "'Aplication'" in line


def test_project_file_given_as_app_says_what_it_holds(cli: CliRun, corpus_dir: Path) -> None:
    """An AppProject file given where an Application is expected names what the file holds."""
    project = corpus_dir / "seed" / "appproject-demo.yaml"
    line = _one_error_line(cli("render", project))
    assert line.endswith("no Application document in this file (found AppProject 'demo')")


# ----------------------------------------------------------------------------- mermaid

_NODE = re.compile(r"^\s*(?:subgraph )?([A-Za-z_]\w*)[\[(]")
_EDGE = re.compile(r"^\s*([A-Za-z_]\w*) (?:-->|-\.->)(?:\|[^|]*\|)? ([A-Za-z_]\w*)$")


def test_plan_mermaid_of_several_apps_is_one_diagram(
    cli: CliRun, write_app, example_apps: Path
) -> None:
    """Mermaid reads one diagram per document: several apps give one ``flowchart``, each
    app a subgraph, every id defined once and every edge between defined nodes."""
    apps = [write_app("guestbook", "guestbook"), write_app("waves", "sync-waves")]
    run = cli("plan", *apps, "--repo-root", example_apps, "-o", "mermaid")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "flowchart TD"
    assert sum("flowchart" in line for line in lines) == 1
    opened = sum(line.strip().startswith("subgraph ") for line in lines)
    assert opened == sum(line.strip() == "end" for line in lines)
    assert '  subgraph app0["Application guestbook"]' in lines
    assert '  subgraph app1["Application waves"]' in lines
    ids = [m[1] for line in lines if (m := _NODE.match(line))]
    assert len(ids) == len(set(ids))
    edges = [m.groups() for line in lines if (m := _EDGE.match(line))]
    assert edges and all(a in ids and b in ids for a, b in edges)
    # the sync-waves app has five waves (one PreSync, four Sync): its chain keeps them all
    assert ("app1_w3", "app1_w4") in edges


# --------------------------------------------------------------------------- flag values


def test_flag_value_starting_with_a_dash(cli: CliRun, write_app, example_apps: Path) -> None:
    """``--namesuffix -prod`` takes ``-prod`` as the value, as ``argocd app set`` does; the
    corpus kustomization's ``kustomize-`` prefix stays (kustomize edit set namesuffix)."""
    app = write_app("kg", "kustomize-guestbook")
    run = cli("render", app, "--repo-root", example_apps, "--namesuffix", "-prod")
    assert run.code == 0, run.err
    assert re.findall(r"^  name: (.*)$", run.out, re.M) == ["kustomize-guestbook-ui-prod"] * 2


# ------------------------------------------------------------------------------ project


def test_plan_with_project_refusing_the_source_exits_1(
    cli: CliRun, write_app, example_apps: Path, corpus_dir: Path
) -> None:
    """The seed project ``demo`` admits one repository only: ``plan --project`` still prints
    the plan but says why Argo CD would refuse the sync, and exits 1."""
    app = write_app("gb", "guestbook", project="demo")
    project = corpus_dir / "seed" / "appproject-demo.yaml"
    run = cli("plan", app, "--repo-root", example_apps, "--project", project)
    assert run.code == 1
    assert run.out.startswith("PHASE")
    assert run.err == (
        "gitopslib: gb: project demo: application repo "
        "https://github.com/argoproj/argocd-example-apps.git is not permitted in project 'demo'\n"
    )


def test_plan_with_project_admitting_the_app_exits_0(
    cli: CliRun, write_app, example_apps: Path, corpus_dir: Path
) -> None:
    """An app the project admits plans with exit 0 and nothing on stderr."""
    app = write_app("gb", "guestbook", project="default")
    project = corpus_dir / "seed" / "appproject-demo.yaml"
    run = cli("plan", app, "--repo-root", example_apps, "--project", project)
    assert (run.code, run.err) == (0, "")


# -------------------------------------------------------------------------- discovery


def test_folder_with_an_app_of_apps_chart_skips_its_templates(
    cli: CliRun, app_file, example_apps: Path, tmp_path: Path
) -> None:
    """The corpus ``apps`` chart templates Applications with ``{{- range }}``: Go
    templates, not YAML. A folder holding it and one Application validates that one."""
    shutil.copytree(example_apps / "apps", tmp_path / "apps")
    app_file(tmp_path, "guestbook", "guestbook")
    run = cli("validate", tmp_path)
    assert (run.code, run.out, run.err) == (0, "guestbook: valid\n", "")


# -------------------------------------------------------------------- secrets in validate

UNQUOTED_TOKEN_SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: api}
stringData:
  token: 918273645
"""


def test_schema_problem_in_a_secret_does_not_show_its_value(
    cli: CliRun, app_file, tmp_path: Path
) -> None:
    """An unquoted number in a Secret's stringData breaks the schema (values are strings);
    ``validate --kube-version`` names the field and the expected type, never the value."""
    (tmp_path / "repo" / "secrets").mkdir(parents=True)
    (tmp_path / "repo" / "secrets" / "api.yaml").write_text(UNQUOTED_TOKEN_SECRET)
    app = app_file(tmp_path, "api", "secrets")
    run = cli("validate", app, "--repo-root", tmp_path / "repo", "--kube-version", "1.30")
    assert run.code == 1, run.err
    # the published schema allows string or null (kubernetes-validate's own type list)
    assert run.out == (
        f"{app}:9:5: spec.source: rendered Secret api: stringData/token: "
        "the value is not of type 'string', 'null'\n"
    )
    assert "918273645" not in run.out + run.err


def test_folder_scan_finds_an_app_whose_kind_line_has_a_comment(
    cli: CliRun, app_file, tmp_path: Path
) -> None:
    """``kind: Application  # ...`` is still an Application when a folder is scanned (a
    YAML comment ends the value)."""
    app = app_file(tmp_path, "commented", "guestbook")
    app.write_text(app.read_text().replace("kind: Application", "kind: Application  # the app"))
    run = cli("validate", tmp_path)
    assert (run.code, run.out) == (0, "commented: valid\n"), run.err


FAILING_PLUGIN = """\
apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: failing}
spec:
  generate:
    command: [sh, -c, "echo broken >&2; exit 3"]
"""


def test_failing_plugin_names_the_plugin_field(
    cli: CliRun, write_app, example_apps: Path, tmp_path: Path
) -> None:
    """A plugin whose generate command fails names ``spec.source.plugin`` at its line (13:
    the ``name`` under ``plugin:``, written below the template's ``path`` line)."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "failing.yaml").write_text(FAILING_PLUGIN)
    app = write_app("plug", "guestbook", extra="    plugin:\n      name: failing\n")
    run = cli("render", app, "--repo-root", example_apps, "--plugins-dir", plugins)
    line = _one_error_line(run)
    assert line.startswith(f"gitopslib: error: {app}:13:7: spec.source.plugin: plugin 'failing' ")
    assert "exited with code 3" in line and "broken" in line


def test_unreachable_repository_suggests_repo_root(cli: CliRun, write_app, tmp_path: Path) -> None:
    """Without --repo-root the repoURL is fetched; when that fails (offline CI, a closed port
    here) the one error line says how to render a local checkout instead."""
    app = write_app("far", "guestbook")
    app.write_text(
        app.read_text().replace(
            "https://github.com/argoproj/argocd-example-apps.git", "http://127.0.0.1:1/repo.git"
        )
    )
    line = _one_error_line(cli("render", app, "--cache-dir", tmp_path / "cache"))
    assert "http://127.0.0.1:1/repo.git" in line
    assert line.endswith("(to render a local checkout instead: --repo-root DIR)")


def test_missing_plugins_dir_names_the_flag(cli: CliRun, write_app, example_apps: Path) -> None:
    """A --plugins-dir that does not exist is named with its flag, before anything renders."""
    app = write_app("gb", "guestbook")
    run = cli("render", app, "--repo-root", example_apps, "--plugins-dir", "/no/such/plugins")
    expected = "gitopslib: error: --plugins-dir /no/such/plugins: no such folder"
    assert _one_error_line(run) == expected


def test_validate_refuses_a_snippet_without_destination_or_source(
    cli: Callable[..., Any], corpus_dir: Path
) -> None:
    """`validate` applies Argo CD's API-server rules: the seed's helm-secrets snippet (no
    destination, no repoURL/path) loads as YAML but is not a valid Application."""
    run = cli("validate", corpus_dir / "seed" / "application-helm-secrets-valuefiles.yaml")
    assert run.code == 1
    assert "spec.destination: required" in run.out
    assert "spec.source: repoURL and one of path, chart or ref are required" in run.out


def test_validate_accepts_the_seed_guestbook(cli: Callable[..., Any], corpus_dir: Path) -> None:
    """The seed guestbook (server set, `name: ""`) is valid."""
    run = cli("validate", corpus_dir / "seed" / "application-guestbook.yaml")
    assert run.code == 0, run.out + run.err
    assert run.out.strip() == "guestbook: valid"
