"""gitopslib serve's read API shows a running auto-sync's progress: while the sync waits for a
Deployment, ``GET /api/v1/applications/{name}`` (and the list) has ``status.operationState``
Running with the executor's message and the results so far, as Argo CD's API does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from k8s_objects import LATE_CONFIGMAP_YAML, WAITING_FOR_WEB, WEB_DEPLOYMENT_YAML
from serve_fixtures import InProcessServer, wait_for

from gitopslib.cluster import MemoryCluster
from gitopslib.server import ServeSettings, create_app

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  project: default
  source: {repoURL: 'https://example.com/web.git', path: web}
  destination: {server: 'https://kubernetes.default.svc', namespace: shop}
  syncPolicy: {automated: {}, syncOptions: [CreateNamespace=true]}
"""
DEPLOYMENT, LATE, WAITING = WEB_DEPLOYMENT_YAML, LATE_CONFIGMAP_YAML, WAITING_FOR_WEB


def test_read_api_shows_the_running_sync(tmp_path: Path) -> None:
    """The Deployment gets ready only when the test moves the cluster's clock: until then
    the API shows the sync Running with its message and results; then Succeeded."""
    repo = tmp_path / "repo"
    (repo / "web").mkdir(parents=True)
    (repo / "web" / "deploy.yaml").write_text(DEPLOYMENT)
    (repo / "web" / "late.yaml").write_text(LATE)
    apps = tmp_path / "apps"
    apps.mkdir()
    (apps / "web.yaml").write_text(APP)
    moment = {"t": 0.0}
    cluster = MemoryCluster(simulate=True, ready_after=60.0, clock=lambda: moment["t"])
    settings = ServeSettings(
        paths=(str(apps),), repo_root=str(repo), interval=3600, poll_interval=0.02
    )
    app = create_app(settings, cluster=cluster)
    with InProcessServer(app) as server, httpx.Client(base_url=server.url) as client:

        def operation() -> dict[str, Any]:
            shown = client.get("/api/v1/applications/web").json()
            return dict((shown.get("status") or {}).get("operationState") or {})

        state = wait_for(lambda: (s := operation()).get("message") == WAITING and s, 30, "wait")
        assert state["phase"] == "Running"
        assert state["operation"]["initiatedBy"] == {"automated": True}
        assert "finishedAt" not in state
        results = [(r["kind"], r["name"], r["status"]) for r in state["syncResult"]["resources"]]
        assert ("Deployment", "web", "Synced") in results
        listed = client.get("/api/v1/applications").json()["items"]
        assert listed[0]["status"]["operationState"]["message"] == WAITING
        moment["t"] = 61.0  # the rollout completes
        done = wait_for(lambda: (s := operation()).get("phase") == "Succeeded" and s, 30, "end")
        assert done["message"] == "successfully synced (all tasks run)"
