"""The console script reading live state from a cluster (`--kubeconfig`), over real HTTP to
the loopback fake API server."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from fake_apiserver import FakeApiServer

from gitopslib import load_manifests

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "01-directory-app"


def _bin() -> str:
    here = Path(sys.executable).parent / "gitopslib"
    return str(here) if here.exists() else str(shutil.which("gitopslib"))


def _seed_live_copy_of_git(apiserver: FakeApiServer, replicas: int) -> None:
    """Put the example's objects in the cluster as Argo CD would have applied them."""
    for obj in (
        load_manifests(EXAMPLE / "repo" / "guestbook" / "deployment.yaml")
        + load_manifests(EXAMPLE / "repo" / "guestbook" / "service.yaml")
        + load_manifests(EXAMPLE / "repo" / "guestbook" / "config.yaml")
    ):
        obj.setdefault("metadata", {})["namespace"] = "guestbook"
        kind, name = obj["kind"], obj["metadata"]["name"]
        group = obj["apiVersion"].rsplit("/", 1)[0] if "/" in obj["apiVersion"] else ""
        obj["metadata"].setdefault("annotations", {})["argocd.argoproj.io/tracking-id"] = (
            f"guestbook:{group}/{kind}:guestbook/{name}"
        )
        if kind == "Deployment":
            obj["spec"]["replicas"] = replicas
        apiserver.put(obj)


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_bin(), *map(str, args)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_diff_against_cluster_reports_live_drift(apiserver: FakeApiServer, tmp_path: Path) -> None:
    """`diff --kubeconfig` exits 1 and shows the replicas the cluster has that Git does not."""
    git_replicas = load_manifests(EXAMPLE / "repo" / "guestbook" / "deployment.yaml")[0]["spec"][
        "replicas"
    ]
    _seed_live_copy_of_git(apiserver, replicas=git_replicas + 3)
    kubeconfig = apiserver.write_kubeconfig(tmp_path / "kubeconfig")
    proc = _run(
        "diff",
        EXAMPLE / "application.yaml",
        "--repo-root",
        EXAMPLE / "repo",
        "--kubeconfig",
        kubeconfig,
    )
    assert proc.returncode == 1, proc.stderr
    assert f"-  replicas: {git_replicas + 3}" in proc.stdout
    assert f"+  replicas: {git_replicas}" in proc.stdout


def test_diff_against_cluster_in_sync_exits_zero(apiserver: FakeApiServer, tmp_path: Path) -> None:
    """When the cluster holds what Git holds, `diff --kubeconfig` exits 0."""
    git_replicas = load_manifests(EXAMPLE / "repo" / "guestbook" / "deployment.yaml")[0]["spec"][
        "replicas"
    ]
    _seed_live_copy_of_git(apiserver, replicas=git_replicas)
    kubeconfig = apiserver.write_kubeconfig(tmp_path / "kubeconfig")
    proc = _run(
        "diff",
        EXAMPLE / "application.yaml",
        "--repo-root",
        EXAMPLE / "repo",
        "--kubeconfig",
        kubeconfig,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_unreachable_cluster_is_one_clear_error_line(tmp_path: Path) -> None:
    """A kubeconfig pointing at a closed port gives exit 2 and one line, no traceback."""
    with FakeApiServer() as server:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    proc = _run(
        "plan",
        EXAMPLE / "application.yaml",
        "--repo-root",
        EXAMPLE / "repo",
        "--kubeconfig",
        kubeconfig,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    # the line names the server it tried and why it failed, not urllib3's object reprs
    assert f"cannot reach the API server at {server.url}" in proc.stderr
    assert "Connection refused" in proc.stderr
    assert "object at 0x" not in proc.stderr
