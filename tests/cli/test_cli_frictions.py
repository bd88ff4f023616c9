"""The command line as argocd and kubectl users expect it (issue 18, item 3), each through
``gitopslib.cli.main`` in-process with the real engines."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from git_daemon import run_git

from gitopslib.cli import build_parser, main

Main = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Main:
    """``run(*argv)`` -> (exit code, stdout, stderr) of ``gitopslib.cli.main``."""

    def call(*argv: str | Path) -> tuple[int, str, str]:
        out = io.StringIO()
        capsys.readouterr()
        code = main([str(a) for a in argv], out=out)
        return code, out.getvalue(), capsys.readouterr().err

    return call


def _live_service(folder: Path, *, port: int) -> Path:
    """A live guestbook-ui Service whose port differs from the desired one when != 80."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: guestbook-ui\n  namespace: demo\n"
        "  annotations:\n    argocd.argoproj.io/tracking-id: NAME:/Service:demo/guestbook-ui\n"
        f"spec:\n  ports:\n  - port: {port}\n    targetPort: 80\n"
        "  selector:\n    app: guestbook-ui\n"
    )
    return folder


# ------------------------------------------------------------- one bad app hides nothing


def test_render_goes_on_after_a_malformed_file(run: Main, write_app, example_apps) -> None:
    """A malformed Application file is one error line; the good app is still rendered and
    the exit code is 2."""
    good = write_app("gb", "guestbook")
    (good.parent / "broken.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: broken}\n"
        "spec:\n  source: [unclosed\n"
    )
    code, out, err = run("render", good.parent, "--repo-root", example_apps)
    assert code == 2
    assert "name: guestbook-ui" in out
    errors = [line for line in err.splitlines() if line.startswith("gitopslib: error: ")]
    assert len(errors) == 1 and f"{good.parent / 'broken.yaml'}:" in errors[0]


def test_diff_goes_on_after_an_app_that_fails(run: Main, write_app, example_apps) -> None:
    """An app whose path is missing is reported; the other app's diff is printed; exit 2."""
    write_app("gb", "guestbook")
    lost = write_app("lost", "no-such-folder")
    code, out, err = run("diff", lost.parent, "--repo-root", example_apps)
    assert code == 2
    assert "Application gb" in out and "===== Service demo/guestbook-ui" in out
    assert "lost.yaml:11:11: spec.source.path:" in err


def test_plan_goes_on_after_an_app_that_fails(run: Main, write_app, example_apps) -> None:
    """plan prints the good app's plan and exits 2 for the failed one."""
    write_app("lost", "no-such-folder")
    code, out, err = run("plan", write_app("gb", "guestbook").parent, "--repo-root", example_apps)
    assert code == 2
    assert "Application gb" in out and "Deployment" in out
    assert "no-such-folder" in err


def test_diff_prints_a_header_per_app(run: Main, write_app, example_apps, tmp_path) -> None:
    """With several apps each gets a header line, also the one without differences."""
    write_app("gb", "guestbook")
    write_app("helm", "helm-guestbook")
    code, out, _ = run("diff", tmp_path, "--repo-root", example_apps)
    assert code == 1
    headers = [line for line in out.splitlines() if line.startswith("Application ")]
    assert headers == ["Application gb", "Application helm"]


# ---------------------------------------------------------------------------- -o json|yaml


def test_diff_json_lists_the_differing_resources(
    run: Main, write_app, example_apps, tmp_path
) -> None:
    """diff -o json: the app, synced false, and each differing resource with its diff."""
    app = write_app("gb", "guestbook")
    code, out, _ = run("diff", app, "--repo-root", example_apps, "-o", "json")
    data = json.loads(out)
    assert code == 1
    assert data["application"] == "gb" and data["synced"] is False
    kinds = sorted((r["kind"], r["namespace"], r["name"]) for r in data["resources"])
    assert kinds == [("Deployment", "demo", "guestbook-ui"), ("Service", "demo", "guestbook-ui")]
    assert all(r["diff"].startswith("---") or "+" in r["diff"] for r in data["resources"])


def test_diff_yaml_is_the_same_data_as_json(run: Main, write_app, example_apps) -> None:
    """diff -o yaml carries the same data as -o json."""
    app = write_app("gb", "guestbook")
    as_json = json.loads(run("diff", app, "--repo-root", example_apps, "-o", "json")[1])
    as_yaml = yaml.safe_load(run("diff", app, "--repo-root", example_apps, "-o", "yaml")[1])
    assert as_yaml == as_json


def test_validate_json_gives_file_line_and_field(run: Main, tmp_path: Path) -> None:
    """validate -o json: each problem with file, line, column, field and message."""
    app = tmp_path / "nodest.yaml"
    app.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: nodest\n"
        "spec:\n  project: default\n  source:\n    repoURL: https://example.com/r.git\n"
        "    path: x\n"
    )
    code, out, _ = run("validate", app, "-o", "json")
    assert code == 1
    data = json.loads(out)
    assert data["application"] == "nodest" and data["valid"] is False
    assert data["problems"] == [
        {
            "application": "nodest",
            "file": str(app),
            "line": 6,
            "column": 3,
            "field": "spec.destination",
            "message": "required: set server or name (and namespace)",
        }
    ]


def test_validate_yaml_output(run: Main, tmp_path: Path, write_app) -> None:
    """validate -o yaml of a valid app says valid with no problems."""
    code, out, _ = run("validate", write_app("gb", "guestbook"), "-o", "yaml")
    assert code == 0
    assert yaml.safe_load(out)["valid"] is True


def test_health_json_keeps_namespace_and_name_apart(
    run: Main, write_app, example_apps, tmp_path
) -> None:
    """health -o json has namespace and name as separate fields, as plan -o json has."""
    live = _live_service(tmp_path / "live", port=80)
    _, out, _ = run(
        "health",
        write_app("gb", "guestbook"),
        "--repo-root",
        example_apps,
        "--live",
        live,
        "-o",
        "json",
    )
    rows = {(r["kind"], r["namespace"], r["name"]): r["status"] for r in json.loads(out)}
    assert rows[("Service", "demo", "guestbook-ui")] == "Healthy"
    assert rows[("Deployment", "demo", "guestbook-ui")] == "Missing"
    assert ("Application", "argocd", "gb") in rows


# ----------------------------------------------------------------------------- help text


def _actions(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.Action]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.extend((f"{name} {n}", a) for n, a in _actions(sub))
        elif action.option_strings:
            found.append((action.option_strings[-1], action))
    return found


def test_every_flag_has_help_text() -> None:
    """Every option of every command says what it does in --help."""
    missing = [name for name, action in _actions(build_parser()) if not action.help]
    assert missing == []


# ------------------------------------------------------------- overrides matching nothing


def test_kustomize_image_for_an_unused_image_warns(run: Main, write_app, example_apps) -> None:
    """--kustomize-image for an image the app does not use prints a warning."""
    app = write_app("kg", "kustomize-guestbook")
    code, _, err = run(
        "render", app, "--repo-root", example_apps, "--kustomize-image", "nginx=nginx:1.27"
    )
    assert code == 0
    assert (
        "gitopslib: warning: kg: --kustomize-image nginx=nginx:1.27: "
        "the app uses no image by that name"
    ) in err


def test_kustomize_image_for_a_used_image_is_silent(run: Main, write_app, example_apps) -> None:
    """--kustomize-image for the app's own image (renamed too) gives no warning."""
    app = write_app("kg", "kustomize-guestbook")
    image = "gcr.io/google-samples/gb-frontend=registry.local/gb:v9"
    code, out, err = run("render", app, "--repo-root", example_apps, "--kustomize-image", image)
    assert code == 0 and "image: registry.local/gb:v9" in out
    assert "warning" not in err


def test_helm_set_of_a_key_the_chart_ignores_warns(run: Main, write_app, example_apps) -> None:
    """--helm-set of a key no file of the chart names warns; a key the chart reads does not."""
    app = write_app("hg", "helm-guestbook")
    code, out, err = run(
        "render",
        app,
        "--repo-root",
        example_apps,
        "--helm-set",
        "replicaCount=3",
        "--helm-set",
        "replicaCuont=4",
    )
    assert code == 0 and "replicas: 3" in out
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert warnings == [
        "gitopslib: warning: hg: --helm-set replicaCuont: no file of the chart names "
        "'replicaCuont', so the chart ignores it"
    ]


def test_jsonnet_ext_var_no_file_reads_warns(run: Main, app_file, tmp_path: Path) -> None:
    """--jsonnet-ext-var-str for a variable no jsonnet file reads warns; one it reads not."""
    repo = tmp_path / "repo"
    (repo / "cm").mkdir(parents=True)
    (repo / "cm" / "cm.jsonnet").write_text(
        "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cm'},"
        " data: {env: std.extVar('env')}}\n"
    )
    app = app_file(tmp_path, "cm", "cm")
    code, out, err = run(
        "render",
        app,
        "--repo-root",
        repo,
        "--jsonnet-ext-var-str",
        "env=prod",
        "--jsonnet-ext-var-str",
        "region=eu",
    )
    assert code == 0 and "env: prod" in out
    assert [line for line in err.splitlines() if "warning" in line] == [
        "gitopslib: warning: cm: --jsonnet-ext-var-str region: no jsonnet file reads "
        "std.extVar('region')"
    ]


# ------------------------------------------------------------ validate names file and line


def test_validate_missing_source_names_file_and_line(run: Main, tmp_path: Path) -> None:
    """A spec without a source is reported at the line of ``spec``."""
    app = tmp_path / "nosrc.yaml"
    app.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: nosrc}\n"
        "spec:\n  destination: {server: https://kubernetes.default.svc}\n"
    )
    code, out, _ = run("validate", app)
    assert code == 1
    assert out == f"{app}:5:3: spec.source: required: the application has no source\n"


# ---------------------------------------------------------------- revision, aliases, sops


def test_plan_table_shows_the_resolved_revision(run: Main, tmp_path: Path) -> None:
    """When the source is read from Git, the plan table names the commit it rendered."""
    repo = tmp_path / "repo"
    (repo / "web").mkdir(parents=True)
    (repo / "web" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: b}\n"
    )
    run_git("-C", repo, "init", "-q", "-b", "main")
    run_git("-C", repo, "add", ".")
    run_git("-C", repo, "commit", "-q", "-m", "one")
    sha = run_git("-C", repo, "rev-parse", "HEAD")
    app = tmp_path / "web.yaml"
    app.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\n"
        f"spec:\n  source: {{repoURL: '{repo}', path: web, targetRevision: main}}\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: web}\n"
    )
    code, out, _ = run("plan", app, "--cache-dir", tmp_path / "cache")
    assert code == 0
    assert out.splitlines()[0] == f"Application web (revision {sha})"


@pytest.mark.parametrize("flag", ["--local", "--local-repo-root"])
def test_local_flags_are_aliases_of_repo_root(
    run: Main, write_app, example_apps, flag: str
) -> None:
    """argocd's --local and --local-repo-root render the local checkout as --repo-root."""
    app = write_app("gb", "guestbook")
    expected = run("render", app, "--repo-root", example_apps)
    assert run("render", app, flag, example_apps) == expected
    assert expected[0] == 0


def test_encrypted_values_app_without_keys_says_how(
    run: Main, corpus_dir: Path, tmp_path: Path
) -> None:
    """The seed's helm-secrets app without SOPS flags is refused with the flags that allow it."""
    chart = tmp_path / "repo" / "helm"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    seed = corpus_dir / "seed" / "application-devops-demo-sops.yaml"
    code, _, err = run("render", seed, "--repo-root", tmp_path / "repo")
    assert code == 2
    assert err.startswith(f"gitopslib: error: {seed}:20:11: spec.source.helm.valueFiles[0]: ")
    assert "the URL scheme 'secrets+age-import' is not allowed" in err
    assert "--sops-key-location or --sops-age-key-file" in err


def test_encrypted_values_app_renders_with_key_location(run: Main) -> None:
    """Example 11's helm-secrets app renders once the key location is mapped."""
    example = Path(__file__).resolve().parents[2] / "examples" / "11-sops-secrets"
    code, out, err = run(
        "render",
        example / "application.yaml",
        "--repo-root",
        example / "repo",
        "--sops-key-location",
        f"/helm-secrets-private-keys={example / 'keys'}",
    )
    assert code == 0, err
    secret = next(d for d in yaml.safe_load_all(out) if d and d["kind"] == "Secret")
    assert secret["stringData"]["DB_USER"] == "shop"


def test_bad_key_location_flag(run: Main, tmp_path: Path) -> None:
    """--sops-key-location needs /PREFIX=DIR."""
    example = Path(__file__).resolve().parents[2] / "examples" / "11-sops-secrets"
    code, _, err = run(
        "render",
        example / "application.yaml",
        "--repo-root",
        example / "repo",
        "--sops-key-location",
        "keys",
    )
    assert code != 0 and "expected /PREFIX=DIR" in err
