"""``gitopslib sync``, ``get``, ``wait``, ``history`` and ``rollback`` through
``gitopslib.cli.main`` against the loopback API server (the official kubernetes client over
HTTP) and a Git repository: each command's output and exit code."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cluster_helpers import SA_TOKEN
from fake_apiserver import FakeApiServer
from git_daemon import run_git
from tls_certs import TLSFiles

from gitopslib.cli import main

Run = Callable[..., tuple[int, str, str]]

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {version: 'V'}\n"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: slow}
spec:
  selector: {matchLabels: {app: slow}}
  template:
    metadata: {labels: {app: slow}}
    spec: {containers: [{name: c, image: nginx:1.27}]}
"""


def _commit(repo: Path, version: str) -> str:
    (repo / "web" / "cm.yaml").write_text(CONFIGMAP.replace("V", version))
    run_git("-C", repo, "add", ".")
    run_git("-C", repo, "commit", "-q", "-m", version)
    return run_git("-C", repo, "rev-parse", "HEAD")


@pytest.fixture
def setup(tmp_path: Path, kubeconfig: Path) -> tuple[Path, list[str]]:
    """A repository with two commits of a ConfigMap (version 1, then 2) and the app file."""
    repo = tmp_path / "repo"
    (repo / "web").mkdir(parents=True)
    run_git("-C", repo, "init", "-q", "-b", "main")
    shas = [_commit(repo, "1")]
    app = tmp_path / "web.yaml"
    app.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: web, namespace: argocd}\n"
        f"spec:\n  project: default\n  source: {{repoURL: '{repo}', path: web, "
        "targetRevision: main}\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: demo}\n"
        "  syncPolicy: {syncOptions: [CreateNamespace=true]}\n"
    )
    return app, shas


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], kubeconfig: Path, tmp_path: Path) -> Run:
    """``run(command, app, *flags)`` with the fake cluster's kubeconfig and a Git cache."""

    def call(command: str, *argv: str | Path) -> tuple[int, str, str]:
        out = io.StringIO()
        capsys.readouterr()
        cluster = ["--kubeconfig", str(kubeconfig)]
        cache = ["--cache-dir", str(tmp_path / "cache")] if command in ("sync", "rollback") else []
        code = main([command, *map(str, argv), *cluster, *cache], out=out)
        return code, out.getvalue(), capsys.readouterr().err

    return call


def _live_version(apiserver: FakeApiServer) -> str | None:
    obj = apiserver.get("ConfigMap", "demo", "web")
    return None if obj is None else obj["data"]["version"]


def test_sync_creates_and_prints_the_revision(run: Run, setup, apiserver: FakeApiServer) -> None:
    """sync applies the app, prints the resolved revision and phase, exits 0."""
    app, shas = setup
    code, out, _ = run("sync", app)
    assert code == 0, out
    assert f"Revision:           {shas[0]}" in out
    assert "Phase:              Succeeded" in out
    assert "ConfigMap  demo       web" in out
    assert _live_version(apiserver) == "1"


def test_sync_server_dry_run_sends_dry_run_requests(
    run: Run, setup, apiserver: FakeApiServer
) -> None:
    """sync --server-dry-run has the API server validate each new object (a dryRun=All
    POST) before the write (test_kube_batch: without it the dry run sends nothing)."""
    app, _ = setup
    code, out, _ = run("sync", app, "--server-dry-run")
    assert code == 0, out
    dry = [(m, p) for m, p, q, _ in apiserver.requests if q.get("dryRun") == ["All"]]
    assert dry == [("POST", "/api/v1/namespaces/demo/configmaps")]
    assert _live_version(apiserver) == "1"


def test_sync_json_is_the_operation_state(run: Run, setup) -> None:
    """sync -o json prints the operationState with Argo CD's field names."""
    app, shas = setup
    code, out, _ = run("sync", app, "-o", "json")
    state = json.loads(out)
    assert code == 0
    assert state["phase"] == "Succeeded" and state["syncResult"]["revision"] == shas[0]


def test_get_after_sync_shows_synced_and_healthy(run: Run, setup) -> None:
    """get reads the recorded status back: Synced at the revision, Healthy, the resources."""
    app, shas = setup
    run("sync", app)
    code, out, _ = run("get", app)
    assert code == 0
    assert f"Sync Status:        Synced (revision {shas[0]})" in out
    assert "Health Status:      Healthy" in out
    assert "ConfigMap  demo       web   Synced" in out


def test_wait_for_health_and_sync_exits_0(run: Run, setup) -> None:
    """wait --health --sync returns at once for a synced, healthy app."""
    app, _ = setup
    run("sync", app)
    code, out, err = run("wait", app, "--health", "--sync", "--timeout", "30")
    assert code == 0, err
    assert "Health Status:      Healthy" in out


def test_wait_times_out_with_exit_1(run: Run, setup, tmp_path: Path) -> None:
    """A Deployment no controller rolls out never gets Healthy: wait exits 1 naming it."""
    app, _ = setup
    repo = Path(str(app.read_text()).split("repoURL: '")[1].split("'")[0])
    (repo / "web" / "slow.yaml").write_text(DEPLOYMENT)
    run_git("-C", repo, "add", ".")
    run_git("-C", repo, "commit", "-q", "-m", "slow")
    run("sync", app)
    code, _, err = run("wait", app, "--health", "--timeout", "1")
    assert code == 1
    assert err.startswith("gitopslib: ") and "slow" in err


def test_history_and_rollback_to_the_previous_id(run: Run, setup, apiserver: FakeApiServer) -> None:
    """Two syncs make two history entries; rollback to the first redeploys version 1 and
    is recorded as a third entry."""
    app, shas = setup
    run("sync", app)
    repo = Path(str(app.read_text()).split("repoURL: '")[1].split("'")[0])
    shas.append(_commit(repo, "2"))
    run("sync", app)
    assert _live_version(apiserver) == "2"
    code, out, _ = run("history", app)
    assert code == 0
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [(r[0], r[2]) for r in rows] == [("0", shas[0]), ("1", shas[1])]
    code, out, _ = run("rollback", app, rows[0][0])
    assert code == 0, out
    assert f"Revision:           {shas[0]}" in out
    assert _live_version(apiserver) == "1"
    history = json.loads(run("history", app, "-o", "json")[1])
    assert [h["revision"] for h in history] == [shas[0], shas[1], shas[0]]


def test_rollback_of_an_unknown_id_is_an_error(run: Run, setup) -> None:
    """An id the history does not have: exit 2 and the known ids."""
    app, _ = setup
    run("sync", app)
    code, _, err = run("rollback", app, "7")
    assert code == 2
    assert "does not have deployment with id 7" in err


def test_clusters_from_picks_the_destination_cluster(
    capsys: pytest.CaptureFixture[str], setup, apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """--clusters-from reads Argo CD cluster Secrets; the app's destination name picks the
    cluster, with no kubeconfig."""
    app, shas = setup
    app.write_text(
        app.read_text().replace("server: https://kubernetes.default.svc", "name: staging")
    )
    secrets = tmp_path / "clusters.yaml"
    secrets.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: staging\n"
        "  labels: {argocd.argoproj.io/secret-type: cluster}\n"
        f"stringData:\n  name: staging\n  server: {apiserver.url}\n"
        '  config: \'{"bearerToken": "t0ken"}\'\n'
    )
    out = io.StringIO()
    code = main(
        ["sync", str(app), "--clusters-from", str(secrets), "--cache-dir", str(tmp_path / "c")],
        out=out,
    )
    assert code == 0, capsys.readouterr().err
    assert f"Revision:           {shas[0]}" in out.getvalue()
    assert _live_version(apiserver) == "1"


def test_progress_lines_on_a_terminal() -> None:
    """On a terminal, sync's progress (phase and tasks done) goes to stderr as it runs."""
    from gitopslib.cli.operating import Progress
    from gitopslib.models import OperationState

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = Progress(stream)
    state = OperationState.model_validate(
        {
            "phase": "Running",
            "message": "waiting for healthy state of apps/Deployment/web",
            "syncResult": {"resources": [{"kind": "ConfigMap", "status": "Synced"}, {}]},
        }
    )
    progress.operation(state)
    progress.operation(state)  # unchanged: not repeated
    assert stream.getvalue() == (
        "gitopslib: Running: waiting for healthy state of apps/Deployment/web (1/2 tasks done)\n"
    )
    quiet = Progress(io.StringIO())
    quiet.operation(state)
    assert not quiet.enabled
    failed = OperationState(
        phase="Failed", message="fetch https://bob:s3cret@git.example.com/web.git: 403"
    )
    progress.operation(failed)  # a message naming a repository URL: credentials masked
    assert stream.getvalue().splitlines()[-1] == (
        "gitopslib: Failed: fetch https://bob:***@git.example.com/web.git: 403 (0/0 tasks done)"
    )


SA_MOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@pytest.mark.skipif(SA_MOUNT.exists(), reason="this machine has a service account mount")
def test_in_a_pod_without_a_kubeconfig_the_commands_use_the_service_account(
    capsys: pytest.CaptureFixture[str], setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --kubeconfig, no kubeconfig file and KUBERNETES_SERVICE_HOST set: get connects as
    the pod's service account, as kubectl does (here the token mount is absent, so the error
    says which way was taken and what is missing)."""
    app, _ = setup
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "6443")
    code = main(["get", str(app)], out=io.StringIO())
    err = capsys.readouterr().err
    assert code == 2
    assert "KUBERNETES_SERVICE_HOST is set): the pod's service account: in-cluster config:" in err
    assert f"token file {SA_MOUNT}/token does not exist" in err


@pytest.mark.skipif(SA_MOUNT.exists(), reason="this machine has a service account mount")
def test_in_a_pod_clusters_from_knows_in_cluster_as_the_service_account(
    capsys: pytest.CaptureFixture[str], setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--clusters-from with no Secret for https://kubernetes.default.svc, in a pod: the app
    there goes to the pod's service account (here its token mount is absent, so the error
    says which destination was taken and what is missing), not "not a known cluster"."""
    app, _ = setup
    secrets = tmp_path / "clusters.yaml"
    secrets.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: staging\n"
        "  labels: {argocd.argoproj.io/secret-type: cluster}\n"
        "stringData:\n  name: staging\n  server: https://staging.example.com\n"
    )
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "6443")
    code = main(["get", str(app), "--clusters-from", str(secrets)], out=io.StringIO())
    err = capsys.readouterr().err
    assert code == 2
    assert (
        "cluster in-cluster (https://kubernetes.default.svc), the pod's service account: "
        "in-cluster config:" in err
    )
    assert f"token file {SA_MOUNT}/token does not exist" in err


def test_in_a_pod_a_kubeconfig_file_still_wins(
    capsys: pytest.CaptureFixture[str],
    setup,
    kubeconfig: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """KUBERNETES_SERVICE_HOST set, but $KUBECONFIG names a file: the kubeconfig is used (a
    pod that mounts a kubeconfig keeps working), with no flag."""
    app, shas = setup
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "1")
    out = io.StringIO()
    code = main(["sync", str(app), "--cache-dir", str(tmp_path / "c")], out=out)
    assert code == 0, capsys.readouterr().err
    assert f"Revision:           {shas[0]}" in out.getvalue()


def test_in_a_pod_the_service_account_flags_name_the_token_and_ca(
    capsys: pytest.CaptureFixture[str],
    setup,
    https_api: FakeApiServer,
    pod: dict[str, Path],
    tls: TLSFiles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a pod without a kubeconfig, --service-account-token/--service-account-ca replace
    the kubelet's mount: sync then get reach the pod's API server over HTTPS (verified
    against the given CA), every request with the given token."""
    app, shas = setup
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
    account = ["--service-account-token", str(pod["token"]), "--service-account-ca", str(tls.ca)]
    out = io.StringIO()
    code = main(["sync", str(app), "--cache-dir", str(tmp_path / "c"), *account], out=out)
    assert code == 0, capsys.readouterr().err
    assert (https_api.get("ConfigMap", "demo", "web") or {})["data"] == {"version": "1"}
    out = io.StringIO()
    assert main(["get", str(app), *account], out=out) == 0, capsys.readouterr().err
    assert f"Sync Status:        Synced (revision {shas[0]})" in out.getvalue()
    assert {(a or "").partition(" ")[2] for a in https_api.authorizations} == {SA_TOKEN}


def test_in_a_pod_clusters_from_in_cluster_takes_the_service_account_flags(
    capsys: pytest.CaptureFixture[str],
    setup,
    https_api: FakeApiServer,
    pod: dict[str, Path],
    tls: TLSFiles,
    tmp_path: Path,
) -> None:
    """--clusters-from in a pod: the implicit in-cluster destination connects with the
    token and CA the flags name."""
    app, _ = setup
    secrets = tmp_path / "clusters.yaml"
    secrets.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: staging\n"
        "  labels: {argocd.argoproj.io/secret-type: cluster}\n"
        "stringData:\n  name: staging\n  server: https://staging.example.com\n"
    )
    argv = ["get", str(app), "--clusters-from", str(secrets)]
    argv += ["--service-account-token", str(pod["token"]), "--service-account-ca", str(tls.ca)]
    out = io.StringIO()
    assert main(argv, out=out) == 0, capsys.readouterr().err
    assert "Name:               web" in out.getvalue()
    assert {(a or "").partition(" ")[2] for a in https_api.authorizations} == {SA_TOKEN}
