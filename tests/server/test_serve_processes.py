"""gitopslib serve as a process: shards split the apps, SIGTERM during a sync is graceful."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from serve_fixtures import free_port, serve_process, wait_for

from gitopslib.server import shard_of

ROOT = Path(__file__).resolve().parents[2]

APP = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: {name}, namespace: argocd}}
spec:
  source: {{repoURL: 'https://git.example.com/fleet.git', path: {path}, targetRevision: main}}
  destination: {{server: 'https://kubernetes.default.svc', namespace: {name}}}
  syncPolicy: {{automated: {{}}, syncOptions: [CreateNamespace=true]}}
"""


def _fleet(root: Path, names: list[str], path: str = "app") -> tuple[Path, Path]:
    apps = root / "apps"
    repo = root / "repo"
    apps.mkdir()
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: '1'}\n"
    )
    for name in names:
        (apps / f"{name}.yaml").write_text(APP.format(name=name, path=path))
    return apps, repo


def _names(url: str) -> set[str]:
    items = httpx.get(url + "/api/v1/applications", timeout=10).json()["items"]
    return {i["metadata"]["name"] for i in items}


def test_two_shards_own_disjoint_apps(tmp_path: Path) -> None:
    """Two replicas with --shards 2 split the fleet by the documented hash; a restarted
    replica takes back exactly its own apps."""
    names = [f"app-{i}" for i in range(8)]
    apps, repo = _fleet(tmp_path, names)
    common = [str(apps), "--memory", "--repo-root", str(repo), "--shards", "2"]
    expected = [{n for n in names if shard_of("argocd", n, 2) == s} for s in (0, 1)]
    assert expected[0] and expected[1]  # the hash spreads these eight names over both
    with (
        serve_process([*common, "--shard", "0"], ROOT) as (_, url0),
        serve_process([*common, "--shard", "1"], ROOT) as (_, url1),
    ):
        owned = [_names(url0), _names(url1)]
    assert owned == expected
    assert owned[0].isdisjoint(owned[1]) and owned[0] | owned[1] == set(names)
    with serve_process([*common, "--shard", "0"], ROOT) as (_, url0):
        assert _names(url0) == expected[0]


WAVES = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: slow
  annotations: {argocd.argoproj.io/sync-wave: "0"}
spec:
  replicas: 1
  selector: {matchLabels: {app: slow}}
  template:
    metadata: {labels: {app: slow}}
    spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: after
  annotations: {argocd.argoproj.io/sync-wave: "1"}
data: {a: '1'}
"""


def test_sigterm_during_sync_records_interrupted(tmp_path: Path) -> None:
    """SIGTERM while a sync waits on a wave: the process waits the grace period, records the
    operation as interrupted, and exits 0."""
    apps, repo = _fleet(tmp_path, ["slow"], path="waves")
    (repo / "waves").mkdir()
    (repo / "waves" / "all.yaml").write_text(WAVES)
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "gitopslib.cli",
        "serve",
        str(apps),
        "--memory",
        "--repo-root",
        str(repo),
        "--listen",
        f"127.0.0.1:{port}",
        "--grace-period",
        "1",
        "--poll-interval",
        "0.1",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    lines: list[dict[str, object]] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append({"raw": line})

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_for(lambda: any(e.get("event") == "reconciling" for e in lines), 60, "a pass")
        time.sleep(1.0)  # the Deployment of wave 0 never becomes healthy in memory
        assert not any(e.get("event") == "reconciled" for e in lines)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        elapsed = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    assert proc.stderr is not None
    proc.stderr.close()
    events = [e.get("event") for e in lines]
    assert "interrupted" in events, lines
    interrupted = next(e for e in lines if e.get("event") == "interrupted")
    assert interrupted["app"] == "slow"
    assert events[-1] == "stop"
    assert elapsed >= 1.0  # the grace period was given before interrupting


def test_sigterm_when_idle_exits_at_once(tmp_path: Path) -> None:
    """With no operation running, SIGTERM stops the process promptly with exit code 0."""
    apps, repo = _fleet(tmp_path, ["idle"])
    with serve_process([str(apps), "--memory", "--repo-root", str(repo)], ROOT) as (proc, url):
        wait_for(
            lambda: (
                httpx.get(url + "/api/v1/applications/idle", timeout=5)
                .json()
                .get("status", {})
                .get("sync", {})
                .get("status")
                == "Synced"
            ),
            60,
            "the app synced",
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shards", "2", "--shard", "2"], "--shard 2 is outside 0..1"),
        (["--listen", "nowhere"], "expected HOST:PORT"),
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    """A wrong flag is a one-line error and exit code 2, not a traceback."""
    apps, _repo = _fleet(tmp_path, ["x"])
    proc = subprocess.run(
        [sys.executable, "-m", "gitopslib.cli", "serve", str(apps), "--memory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
