"""The ``gitopslib`` console script on the corpus apps: output and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

CliRun = Callable[..., Any]


@pytest.fixture(scope="module")
def guestbook_render(
    tmp_path_factory: pytest.TempPathFactory, cli: CliRun, app_file, example_apps: Path
) -> tuple[Path, list[dict]]:
    """One render of the corpus guestbook through the CLI, reused by the diff tests."""
    app = app_file(tmp_path_factory.mktemp("guestbook"), "guestbook", "guestbook")
    run = cli("render", app, "--repo-root", example_apps)
    assert run.code == 0, run.err
    return app, list(yaml.safe_load_all(run.out))


def _as_live(objs: list[dict], namespace: str, app: str = "guestbook") -> list[dict]:
    """The objects as an API server returns them after Argo CD synced them: server fields
    added and the tracking-id annotation stamped (argocd-semantics 7.2:
    ``<app>:<group>/<kind>:<namespace>/<name>``)."""
    live = []
    for i, obj in enumerate(objs):
        obj = json.loads(json.dumps(obj))
        meta = obj["metadata"]
        meta.setdefault("namespace", namespace)
        group = obj["apiVersion"].rpartition("/")[0]
        meta.setdefault("annotations", {})["argocd.argoproj.io/tracking-id"] = (
            f"{app}:{group}/{obj['kind']}:{meta['namespace']}/{meta['name']}"
        )
        meta.update(uid=f"uid-{i}", resourceVersion="17", creationTimestamp="2024-01-01T00:00:00Z")
        live.append(obj)
    return live


def _write_live(folder: Path, objs: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "live.yaml").write_text(yaml.safe_dump_all(objs))
    return folder


# ------------------------------------------------------------------------------- render


def test_render_directory_app_prints_its_manifests(guestbook_render) -> None:
    """render prints the two objects of the corpus guestbook folder as YAML."""
    _, objs = guestbook_render
    assert sorted((o["kind"], o["metadata"]["name"]) for o in objs) == [
        ("Deployment", "guestbook-ui"),
        ("Service", "guestbook-ui"),
    ]


def test_render_helm_set_overrides_chart_value(cli: CliRun, write_app, example_apps) -> None:
    """--helm-set replicaCount=3 sets the Deployment's replicas (chart default is 1)."""
    app = write_app("helm-guestbook", "helm-guestbook")
    run = cli("render", app, "--repo-root", example_apps, "--helm-set", "replicaCount=3")
    assert run.code == 0, run.err
    deployments = [o for o in yaml.safe_load_all(run.out) if o["kind"] == "Deployment"]
    assert [d["spec"]["replicas"] for d in deployments] == [3]


def test_render_kustomize_image_override(cli: CliRun, write_app, example_apps) -> None:
    """--kustomize-image replaces the container image, as `kustomize edit set image` would."""
    app = write_app("kustomize-guestbook", "kustomize-guestbook")
    image = "gcr.io/google-samples/gb-frontend=registry.local/frontend:v9"
    run = cli("render", app, "--repo-root", example_apps, "--kustomize-image", image)
    assert run.code == 0, run.err
    (dep,) = [o for o in yaml.safe_load_all(run.out) if o["kind"] == "Deployment"]
    # namePrefix "kustomize-" comes from the corpus kustomization.yaml
    assert dep["metadata"]["name"] == "kustomize-guestbook-ui"
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.local/frontend:v9"


def test_render_jsonnet_tla_overrides(cli: CliRun, write_app, example_apps) -> None:
    """--jsonnet-tla-str and --jsonnet-tla-code reach the top-level function's arguments."""
    app = write_app("tla", "jsonnet-guestbook-tla")
    run = cli(
        "render",
        app,
        "--repo-root",
        example_apps,
        "--jsonnet-tla-str",
        "name=tla-ui",
        "--jsonnet-tla-code",
        "replicas=2+2",
    )
    assert run.code == 0, run.err
    objs = {o["kind"]: o for o in yaml.safe_load_all(run.out)}
    assert objs["Service"]["metadata"]["name"] == "tla-ui"
    assert objs["Deployment"]["spec"]["replicas"] == 4


def test_render_json_output(cli: CliRun, write_app, example_apps) -> None:
    """-o json prints one JSON array of the manifests."""
    run = cli("render", write_app("gb", "guestbook"), "--repo-root", example_apps, "-o", "json")
    assert run.code == 0
    assert {o["kind"] for o in json.loads(run.out)} == {"Deployment", "Service"}


# --------------------------------------------------------------------------------- diff


def test_diff_exit_0_when_live_matches(
    cli: CliRun, guestbook_render, example_apps, tmp_path
) -> None:
    """diff exits 0 and prints nothing when the live objects are the rendered ones."""
    app, objs = guestbook_render
    live = _write_live(tmp_path / "live", _as_live(objs, "demo"))
    run = cli("diff", app, "--repo-root", example_apps, "--live", live)
    assert (run.code, run.out) == (0, ""), run.err


def test_diff_exit_1_with_unified_diff(
    cli: CliRun, guestbook_render, example_apps, tmp_path
) -> None:
    """diff exits 1 and shows the changed field when a live Deployment was scaled by hand."""
    app, objs = guestbook_render
    live = _as_live(objs, "demo")
    for obj in live:
        if obj["kind"] == "Deployment":
            obj["spec"]["replicas"] = 5
    run = cli("diff", app, "--repo-root", example_apps, "--live", _write_live(tmp_path / "l", live))
    assert run.code == 1, run.err
    assert "===== apps/Deployment demo/guestbook-ui ======" in run.out
    assert "-  replicas: 5" in run.out and "+  replicas: 1" in run.out
    assert "Service" not in run.out


def test_diff_against_empty_cluster_shows_every_object(
    cli: CliRun, guestbook_render, example_apps
) -> None:
    """Without --live every desired object is new: exit 1, one section per object."""
    app, _ = guestbook_render
    run = cli("diff", app, "--repo-root", example_apps)
    assert run.code == 1
    assert run.out.count("=====") == 4  # two headers, each with an opening and closing run


# --------------------------------------------------------------------------------- plan


@pytest.fixture(scope="module")
def waves_app(tmp_path_factory: pytest.TempPathFactory, app_file) -> Path:
    """An Application for the corpus sync-waves folder."""
    return app_file(tmp_path_factory.mktemp("waves"), "waves", "sync-waves")


def test_plan_table_orders_waves_and_hooks(cli: CliRun, waves_app, example_apps) -> None:
    """The table follows Argo CD's order for the corpus sync-waves app (derived by hand:
    PreSync hook, then waves 0..3, Services before ReplicaSets inside a wave)."""
    run = cli("plan", waves_app, "--repo-root", example_apps)
    assert run.code == 0, run.err
    rows = [line.split() for line in run.out.splitlines()[1:] if line.strip()]
    got = [(r[0], r[1], r[3], r[4].split("/")[-1]) for r in rows]
    assert got[0][:3] == ("PreSync", "0", "Job") and got[0][3].startswith("upgrade-sql-schema")
    assert got[1:] == [
        ("Sync", "0", "Service", "backend"),
        ("Sync", "0", "ReplicaSet", "backend"),
        ("Sync", "1", "Job", "maint-page-up"),
        ("Sync", "2", "Service", "frontend"),
        ("Sync", "2", "ReplicaSet", "frontend"),
        ("Sync", "3", "Job", "maint-page-down"),
    ]


def test_plan_json_output(cli: CliRun, waves_app, example_apps) -> None:
    """-o json is the plan as data, with the same task order."""
    run = cli("plan", waves_app, "--repo-root", example_apps, "-o", "json")
    data = json.loads(run.out)
    assert data["app"] == "waves" and data["valid"] is True
    assert [t["name"] for t in data["tasks"]][1:3] == ["backend", "backend"]


def test_plan_yaml_output(cli: CliRun, waves_app, example_apps) -> None:
    """-o yaml carries the same data as -o json."""
    as_yaml = yaml.safe_load(cli("plan", waves_app, "--repo-root", example_apps, "-o", "yaml").out)
    as_json = json.loads(cli("plan", waves_app, "--repo-root", example_apps, "-o", "json").out)
    assert as_yaml == as_json


def test_plan_markdown_output(cli: CliRun, waves_app, example_apps) -> None:
    """-o markdown prints a Markdown table with one row per task."""
    out = cli("plan", waves_app, "--repo-root", example_apps, "-o", "markdown").out
    assert "| phase | wave | action | kind | namespace/name | reason |" in out
    assert "| Sync | 3 | create | Job | demo/maint-page-down |" in out


def test_plan_mermaid_output(cli: CliRun, waves_app, example_apps) -> None:
    """-o mermaid prints a flowchart with a subgraph per phase."""
    out = cli("plan", waves_app, "--repo-root", example_apps, "-o", "mermaid").out
    assert out.startswith("flowchart")
    assert '"PreSync"' in out and '"Sync"' in out and "maint-page-down" in out


def test_plan_prunes_tracked_live_object(
    cli: CliRun, guestbook_render, example_apps, tmp_path
) -> None:
    """A live object tracked for the app but gone from Git becomes a prune task."""
    app, objs = guestbook_render
    stale = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "old-settings",
            "namespace": "demo",
            "annotations": {
                "argocd.argoproj.io/tracking-id": "guestbook:/ConfigMap:demo/old-settings"
            },
        },
    }
    live = _write_live(tmp_path / "live", [*_as_live(objs, "demo"), stale])
    run = cli("plan", app, "--repo-root", example_apps, "--live", live, "--prune")
    assert run.code == 0, run.err
    assert any(line.split()[2:4] == ["prune", "ConfigMap"] for line in run.out.splitlines())


# ------------------------------------------------------------------------------- health


def test_health_of_live_objects(cli: CliRun, guestbook_render, example_apps, tmp_path) -> None:
    """health judges the app's live objects: a rolled-out Deployment is Healthy, exit 0."""
    app, objs = guestbook_render
    live = _as_live(objs, "demo")
    for obj in live:
        if obj["kind"] == "Deployment":
            obj["metadata"]["generation"] = 1
            obj["status"] = {
                "observedGeneration": 1,
                "replicas": 1,
                "updatedReplicas": 1,
                "readyReplicas": 1,
                "availableReplicas": 1,
            }
    run = cli(
        "health", app, "--repo-root", example_apps, "--live", _write_live(tmp_path / "l", live)
    )
    assert run.code == 0, run.out + run.err
    assert "Application  argocd/guestbook" in run.out and "Healthy" in run.out


def test_health_exit_1_when_progressing(cli: CliRun, tmp_path) -> None:
    """health of plain live files: a Deployment still rolling out is Progressing, exit 1."""
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "prod", "generation": 2},
        "spec": {"replicas": 3},
        "status": {
            "observedGeneration": 2,
            "replicas": 3,
            "updatedReplicas": 1,
            "availableReplicas": 3,
        },
    }
    run = cli("health", "--live", _write_live(tmp_path / "l", [dep]))
    assert run.code == 1
    assert "Progressing" in run.out and "prod/web" in run.out


# ----------------------------------------------------------------------------- validate


def test_validate_reports_project_violation(cli: CliRun, write_app, tmp_path) -> None:
    """validate names the AppProject rule an app breaks (sourceRepos) and exits 1."""
    (tmp_path / "project.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: team}\n"
        "spec:\n  sourceRepos: [https://github.com/acme/*]\n"
        "  destinations: [{server: '*', namespace: '*'}]\n"
    )
    app = write_app("gb", "guestbook", project="team")
    run = cli("validate", app, "--project", tmp_path / "project.yaml")
    assert run.code == 1
    assert run.out.startswith(f"{app}:9:14: spec.source.repoURL: project team: ")
    assert "argocd-example-apps" in run.out


def test_validate_ok_for_default_project(cli: CliRun, write_app) -> None:
    """An app of the built-in default project is valid: exit 0."""
    run = cli("validate", write_app("gb", "guestbook"), "--project", write_app("x", "guestbook"))
    assert run.code == 2  # a file with no AppProject is a usage error
    run = cli("validate", write_app("gb", "guestbook"))
    assert (run.code, run.out) == (0, "gb: valid\n")


def test_validate_schema_against_kubernetes_version(cli: CliRun, write_app, tmp_path) -> None:
    """--kube-version checks rendered objects against that version's schema."""
    repo = tmp_path / "repo"
    (repo / "bad").mkdir(parents=True)
    (repo / "bad" / "svc.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: eighty}]}\n"
    )
    run = cli("validate", write_app("bad", "bad"), "--repo-root", repo, "--kube-version", "1.30")
    assert run.code == 1
    app = tmp_path / "bad.yaml"
    assert run.out.startswith(f"{app}:9:5: spec.source: rendered Service web: spec/ports/0/port:")


# ------------------------------------------------------------------------------- errors


def test_bad_application_is_one_error_line(cli: CliRun, tmp_path, example_apps) -> None:
    """A malformed Application gives exit 2 and one stderr line naming file:line and field."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\nspec:\n"
        "  source: {repoURL: https://x, path: p, targetRevison: main}\n"
        "  destination: {name: in-cluster}\n"
    )
    run = cli("plan", bad, "--repo-root", example_apps)
    assert run.code == 2 and run.out == ""
    lines = run.err.strip().splitlines()
    assert len(lines) == 1
    assert f"{bad}:5:" in lines[0] and "targetRevison" in lines[0]


def test_debug_adds_traceback(cli: CliRun, write_app, tmp_path) -> None:
    """--debug prints a traceback before the error line."""
    app = write_app("gb", "guestbook")
    run = cli("--debug", "render", app, "--repo-root", tmp_path / "missing")
    assert run.code == 2
    assert "Traceback" in run.err and run.err.strip().splitlines()[-1].startswith(
        "gitopslib: error"
    )


def test_bad_override_flag_value(cli: CliRun, write_app, example_apps) -> None:
    """--helm-set without '=' is a one-line usage error, exit 2."""
    run = cli(
        "render",
        write_app("h", "helm-guestbook"),
        "--repo-root",
        example_apps,
        "--helm-set",
        "oops",
    )
    assert run.code == 2
    assert run.err.strip() == "gitopslib: error: --helm-set 'oops': expected NAME=VALUE"


def test_no_progress_when_stderr_is_not_a_terminal(cli: CliRun, write_app, example_apps) -> None:
    """Progress lines appear only on a terminal: a captured stderr stays empty."""
    run = cli("render", write_app("gb", "guestbook"), "--repo-root", example_apps)
    assert run.code == 0 and run.err == ""


def test_progress_on_a_terminal(gitopslib_bin: str, write_app, example_apps) -> None:
    """With stderr on a terminal (a pty), render reports progress there; stdout is unchanged."""
    import os
    import pty
    import subprocess

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [
                gitopslib_bin,
                "render",
                str(write_app("gb", "guestbook")),
                "--repo-root",
                str(example_apps),
            ],
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            timeout=120,
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert proc.returncode == 0
    assert "gitopslib: rendering gb" in b"".join(chunks).decode()
    assert proc.stdout.startswith("apiVersion")


def test_validate_folder_reports_each_bad_file(cli: CliRun, write_app, tmp_path) -> None:
    """validate reads every file of a folder: a malformed one is a problem line (file:line),
    the others are still checked; exit 1."""
    write_app("good", "guestbook")
    (tmp_path / "broken.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: broken}\n"
        "spec:\n  project: 7\n  destination: {name: in-cluster}\n"
        "  source: {repoURL: https://x, path: p}\n"
    )
    run = cli("validate", tmp_path)
    assert run.code == 1, run.err
    lines = run.out.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'broken.yaml'}:5:") and "spec.project" in lines[0]
    assert lines[1] == "good: valid"


def test_validate_render_checks_project_resource_rules(
    cli: CliRun, write_app, example_apps, tmp_path
) -> None:
    """--render checks rendered objects against the project's resource deny list."""
    (tmp_path / "project.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: team}\n"
        "spec:\n  sourceRepos: ['*']\n  destinations: [{server: '*', namespace: '*'}]\n"
        "  namespaceResourceBlacklist: [{group: '', kind: Service}]\n"
    )
    app = write_app("gb", "guestbook", project="team")
    run = cli(
        "validate",
        app,
        "--project",
        tmp_path / "project.yaml",
        "--render",
        "--repo-root",
        example_apps,
    )
    assert run.code == 1
    assert run.out == (
        f"{app}:9:5: spec.source: project team: resource Service 'guestbook-ui' is not permitted\n"
    )


def test_usage_error_is_one_line(cli: CliRun, write_app) -> None:
    """A bad flag value is one stderr line pointing at --help, exit 2."""
    run = cli("plan", write_app("gb", "guestbook"), "-o", "pdf")
    assert run.code == 2 and run.out == ""
    assert run.err.count("\n") == 1
    assert "invalid choice: 'pdf'" in run.err and "gitopslib plan --help" in run.err
