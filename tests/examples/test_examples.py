"""Every example under examples/ runs: its README commands, and a check of what it shows."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NUMBERED = sorted(p for p in EXAMPLES.iterdir() if p.is_dir() and p.name[:2].isdigit())
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
PY_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _bin() -> str:
    beside = Path(sys.executable).parent / "gitopslib"
    found = str(beside) if beside.exists() else shutil.which("gitopslib")
    assert found, "the gitopslib console script is not installed"
    return found


def console_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the installed console script from the repository root."""
    return subprocess.run(
        [_bin(), *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def gitopslib(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the command in-process (``gitopslib.cli.main``) from the repository root: the same
    code as the console script, without an interpreter start per command."""
    from gitopslib.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args], out=out)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def _readme_commands(example: Path) -> list[list[str]]:
    """The `gitopslib ...` command lines of the README's sh blocks (continuations joined)."""
    commands = []
    for block in SH_BLOCK.findall((example / "README.md").read_text()):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith("gitopslib "):
                commands.append(shlex.split(line)[1:])
    return commands


def test_examples_are_numbered_with_readmes() -> None:
    """Examples 01 to 09 and any later numbered ones, each with a README the index links to."""
    numbers = [int(p.name[:2]) for p in NUMBERED]
    assert numbers[:9] == list(range(1, 10)) and len(set(numbers)) == len(numbers)
    index = (EXAMPLES / "README.md").read_text()
    for example in NUMBERED:
        assert (example / "README.md").is_file()
        assert f"]({example.name}/README.md)" in index


@pytest.mark.parametrize(
    "example", [p for p in NUMBERED if _readme_commands(p)], ids=lambda p: p.name
)
def test_readme_commands_run(example: Path) -> None:
    """Each `gitopslib` command a README shows runs without error (exit 0, or 1 where the
    command reports differences or problems by design)."""
    for argv in _readme_commands(example):
        proc = gitopslib(*argv)
        assert proc.returncode in (0, 1), f"gitopslib {shlex.join(argv)}:\n{proc.stderr}"
        assert proc.stderr == "", proc.stderr
        assert proc.stdout


@pytest.mark.parametrize(
    "example",
    [p for p in NUMBERED if PY_BLOCK.search((p / "README.md").read_text())],
    ids=lambda p: p.name,
)
def test_readme_python_blocks_run(example: Path) -> None:
    """The python blocks of a README run, in order, from the repository root."""
    script = "\n".join(PY_BLOCK.findall((example / "README.md").read_text()))
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------------- what each one shows


def test_01_quick_start_plan() -> None:
    """The README quick start (through the console script) prints the plan: Namespace first,
    then Argo CD's kind order in wave 0."""
    proc = console_script(
        "plan",
        "examples/01-directory-app/application.yaml",
        "--repo-root",
        "examples/01-directory-app/repo",
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line.split()[:5] for line in proc.stdout.splitlines()[1:]]
    assert rows == [
        ["PreSync", "0", "create", "Namespace", "guestbook"],
        ["Sync", "0", "create", "ConfigMap", "guestbook/guestbook-settings"],
        ["Sync", "0", "create", "Service", "guestbook/guestbook-ui"],
        ["Sync", "0", "create", "Deployment", "guestbook/guestbook-ui"],
    ]


def _render(example: str, *extra: str) -> dict[str, dict[str, Any]]:
    proc = gitopslib(
        "render",
        f"examples/{example}/application.yaml",
        "--repo-root",
        f"examples/{example}/repo",
        *extra,
    )
    assert proc.returncode == 0, proc.stderr
    return {o["kind"]: o for o in yaml.safe_load_all(proc.stdout)}


def test_02_helm_layers_values_and_parameters() -> None:
    """Value file beats chart values, parameters beat both, valuesObject sets the banner."""
    objs = _render("02-helm-app")
    dep = objs["Deployment"]
    assert dep["metadata"]["name"] == "shop-web" and dep["metadata"]["namespace"] == "shop"
    assert dep["spec"]["replicas"] == 3  # values-prod.yaml over values.yaml
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27.2"
    assert objs["ConfigMap"]["data"]["banner"] == "Welcome (inline values)"
    again = _render("02-helm-app", "--helm-set", "replicaCount=5")
    assert again["Deployment"]["spec"]["replicas"] == 5


def test_03_kustomize_overrides() -> None:
    """namePrefix, images and commonLabels from the Application reach the overlay's output."""
    objs = _render("03-kustomize-app")
    dep = objs["Deployment"]
    assert dep["metadata"]["name"] == "prod-api"
    assert dep["spec"]["replicas"] == 4  # the overlay's patch
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "registry.example.com/api:2.4.1"
    )
    assert objs["Service"]["spec"]["selector"] == {"app": "api", "team": "payments"}


def test_04_jsonnet_vars() -> None:
    """extVars (with $ARGOCD_APP_NAME substituted), a code TLA and a library path work."""
    objs = _render("04-jsonnet-app")
    assert objs["Deployment"]["metadata"]["name"] == "worker"
    assert objs["Deployment"]["spec"]["replicas"] == 6
    assert objs["ConfigMap"]["data"] == {"ENVIRONMENT": "production", "QUEUE": "orders-production"}
    assert objs["Deployment"]["metadata"]["labels"]["app.kubernetes.io/part-of"] == (
        "gitopslib-examples"
    )


def test_05_plugin_env_and_parameters() -> None:
    """The plugin sees the app name, plugin.env (ARGOCD_ENV_COLOR) and parameters."""
    objs = _render("05-plugin-app", "--plugins-dir", "examples/05-plugin-app/plugins")
    assert objs["Pod"]["metadata"]["name"] == "landing"
    assert objs["ConfigMap"]["data"]["index.html"] == (
        "<h1 style='color: green'>Hello from gitopslib</h1>"
    )


def test_06_plan_order() -> None:
    """Hooks and waves in Argo CD's order (derived by hand from the annotations)."""
    proc = gitopslib(
        "plan",
        "examples/06-sync-waves-and-hooks/application.yaml",
        "--repo-root",
        "examples/06-sync-waves-and-hooks/repo",
        "-o",
        "json",
    )
    tasks = json.loads(proc.stdout)["tasks"]
    got = [(t["phase"], t["wave"], t["kind"], t["generate_name"] or t["name"]) for t in tasks]
    assert got == [
        ("PreSync", 0, "Namespace", "shop"),
        ("PreSync", 0, "Job", "db-migrate-"),
        ("Sync", -1, "Service", "db"),
        ("Sync", -1, "StatefulSet", "db"),
        ("Sync", 0, "ConfigMap", "api-settings"),
        ("Sync", 0, "Deployment", "api"),
        ("Sync", 1, "Deployment", "frontend"),
        ("PostSync", 0, "Job", "smoke-test"),
    ]
    assert [t["name"] for t in json.loads(proc.stdout)["sync_fail_tasks"]] == ["notify-failure"]


def test_07_project_validation_and_windows() -> None:
    """validate flags only the ledger app; the plan marks the ResourceQuota invalid; the
    window script prints the decisions its README shows."""
    proc = gitopslib(
        "validate",
        "examples/07-project-with-windows/apps",
        "--project",
        "examples/07-project-with-windows/project.yaml",
    )
    assert proc.returncode == 1
    assert "checkout: valid" in proc.stdout
    ledger = "examples/07-project-with-windows/apps/ledger.yaml"
    assert [line.split(":")[0] for line in proc.stdout.splitlines()].count(ledger) == 2
    plan = gitopslib(
        "plan",
        "examples/07-project-with-windows/apps/checkout.yaml",
        "--project",
        "examples/07-project-with-windows/project.yaml",
        "--repo-root",
        "examples/07-project-with-windows/repo",
    )
    assert plan.returncode == 1
    assert "INVALID" in next(line for line in plan.stdout.splitlines() if "ResourceQuota" in line)
    script = subprocess.run(
        [sys.executable, "examples/07-project-with-windows/windows.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert script.returncode == 0, script.stderr
    readme = (EXAMPLES / "07-project-with-windows" / "README.md").read_text()
    assert script.stdout.strip() in readme


def test_08_pytest_check_passes() -> None:
    """The example's own pytest suite passes when run from its folder."""
    folder = EXAMPLES / "08-pytest-deployment-check"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "5 passed" in proc.stdout


@pytest.fixture(scope="module")
def controller() -> ModuleType:
    """The kopf controller module of example 09, imported from its file."""
    path = EXAMPLES / "09-kopf-controller" / "controller.py"
    spec = importlib.util.spec_from_file_location("example_kopf_controller", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hello_body() -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / "09-kopf-controller" / "application.yaml").read_text())


def test_09_reconcile_syncs_an_automated_app(controller: ModuleType) -> None:
    """An automated app is synced into an empty (in-memory) cluster: Synced and Healthy."""
    from gitopslib.cluster import MemoryCluster

    cluster = MemoryCluster(simulate=True)
    status = controller.reconcile(
        _hello_body(),
        cluster,
        repo_root=EXAMPLES / "09-kopf-controller" / "repo",
        poll_interval=0.01,
    )
    assert status["operationState"]["phase"] == "Succeeded"
    assert (status["sync"]["status"], status["health"]["status"]) == ("Synced", "Healthy")
    assert cluster.writes == [
        ("create", "ConfigMap", "hello-text"),
        ("create", "Deployment", "hello"),
    ]


def test_09_reconcile_prunes_and_leaves_manual_apps_alone(controller: ModuleType) -> None:
    """A stale tracked object is pruned (automated.prune); without automated nothing is
    written and the app reports OutOfSync."""
    from gitopslib.cluster import MemoryCluster

    repo = EXAMPLES / "09-kopf-controller" / "repo"
    stale = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "old",
            "namespace": "hello",
            "annotations": {"argocd.argoproj.io/tracking-id": "hello:/ConfigMap:hello/old"},
        },
    }
    cluster = MemoryCluster([stale], simulate=True)
    controller.reconcile(_hello_body(), cluster, repo_root=repo, poll_interval=0.01)
    assert ("delete", "ConfigMap", "old") in cluster.writes

    manual = _hello_body()
    del manual["spec"]["syncPolicy"]
    idle = MemoryCluster([stale], simulate=True)
    status = controller.reconcile(manual, idle, repo_root=repo)
    assert idle.writes == [] and "operationState" not in status
    assert status["sync"]["status"] == "OutOfSync"
    assert {
        "group": "",
        "kind": "ConfigMap",
        "namespace": "hello",
        "name": "old",
        "status": "OutOfSync",
        "requiresPruning": True,
    } in status["resources"]


def test_09_kopf_handlers_registered(controller: ModuleType) -> None:
    """The module registers its handler with kopf for argoproj.io applications."""
    import kopf

    registry = kopf.get_default_registry()
    handlers = [
        h for h in registry._changing.get_all_handlers() if h.fn is controller.on_application
    ]
    timers = [h for h in registry._spawning.get_all_handlers() if h.fn is controller.on_application]
    assert handlers and timers


def test_10_ci_pipeline_syncs_releases_and_rolls_back() -> None:
    """The pipeline script deploys v1, releases v2 through a push to git daemon, and rolls
    back to v1, each checked on the live Deployment of the loopback API server."""
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "10-ci-pipeline" / "pipeline.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    image = "registry.example.com/course/devops-demo"
    checks = [line for line in proc.stdout.splitlines() if line.startswith("check: live image")]
    assert [c.rsplit(": ", 1)[1] for c in checks] == [f"{image}:v1", f"{image}:v2", f"{image}:v1"]
    history = proc.stdout.rsplit("$ gitopslib history", 1)[1].splitlines()[2:]
    ids = [row.split()[0] for row in history if row[:1].isdigit()]
    revisions = [row.split()[2] for row in history if row[:1].isdigit()]
    assert ids == ["0", "1", "2"] and revisions[2] == revisions[0] != revisions[1]


def test_12_notifications_trigger_and_template() -> None:
    """The guide's on-deployed holds for the synced, healthy app, once per its revision, and the
    rendered webhook body is the template's JSON with the app filled in."""
    cm = "examples/12-notifications/argocd-notifications-cm.yaml"
    app = "examples/12-notifications/application.yaml"
    proc = gitopslib("notifications", "trigger", "run", "on-deployed", app, "--config", cm,
                     "-o", "json")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (cond,) = json.loads(proc.stdout)
    assert (cond["result"], cond["oncePer"]) == (True, "53e28ff20cc530b9ada2173fbbd64d48338583ba")
    shown = gitopslib("notifications", "template", "notify", "app-sync-change", app,
                      "--config", cm)  # fmt: skip
    body = yaml.safe_load(shown.stdout)["webhook"]["dingtalk"]["body"]
    assert json.loads(body)["markdown"]["text"].startswith(
        "### ArgoCD sync status\n> - app: guestbook\n> - phase: Succeeded\n"
    )
