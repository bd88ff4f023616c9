"""gitopslib serve with its Applications in the cluster: argoproj.io Application objects read
from the API server (over HTTP, the official client), synced, and their status kept on the
objects themselves, as Argo CD keeps it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from serve_fixtures import InProcessServer, application, build_repo, git_daemon, wait_for

from gitopslib.server import ServeSettings, create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cluster"))
from fake_apiserver import APPLICATION, KINDS, FakeApiServer


@pytest.fixture(scope="module")
def api() -> Iterator[FakeApiServer]:
    with FakeApiServer([*KINDS, APPLICATION], rollout=True) as server:
        yield server


def test_apps_loaded_from_the_cluster_are_synced_and_recorded_on_their_objects(
    api: FakeApiServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An Application object in namespace argocd is loaded, auto-synced (its ConfigMap lands
    in the cluster) and its status (operationState, sync) is written on the object; the read
    API shows it."""
    root = tmp_path_factory.mktemp("serve-cluster")
    api.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}})
    with git_daemon(root / "served") as port:
        repo = build_repo(root, port)
        api.put(yaml.safe_load(application("web", repo.url, "apps/web")))
        config = api.write_kubeconfig(root / "kubeconfig")
        settings = ServeSettings(
            kubeconfig=str(config),
            cache_dir=str(root / "cache"),
            interval=3600,
            poll_interval=0.1,
            log_format="text",
        )
        app = create_app(settings)
        with InProcessServer(app) as server, httpx.Client(base_url=server.url) as client:
            controller = app.state.controller

            def passes() -> int:
                rec = controller.record("web")
                return int(rec.passes) if rec is not None else -1

            wait_for(lambda: passes() >= 2, 60, "two passes of the cluster's app")
            live = api.get("Application", "argocd", "web") or {}
            status = live.get("status") or {}
            assert status["operationState"]["phase"] == "Succeeded"
            assert status["sync"]["status"] == "Synced"
            assert [o for o in api.store if o[1] == "ConfigMap" and o[2] == "web"]
            shown = client.get("/api/v1/applications/web").json()
            assert shown["status"]["sync"]["status"] == "Synced"
