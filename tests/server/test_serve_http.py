"""gitopslib serve over real HTTP: uvicorn on loopback, httpx, apps from a git daemon repo."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from serve_fixtures import (
    InProcessServer,
    Repo,
    application,
    build_repo,
    configmap,
    git_daemon,
    passes,
    wait_for,
)

from gitopslib import ResourceKey
from gitopslib.server import ServeSettings, create_app
from gitopslib.webhook import WebhookSecrets

SECRET = "s3cret"
TOKEN = "t0ken-for-tests"
LIMIT = 64 * 1024
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Env:
    url: str
    repo: Repo
    controller: Any
    client: httpx.Client

    def passes(self, name: str) -> int:
        return passes(self.controller, name)

    def app(self, name: str) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/applications/{name}", headers=AUTH)
        assert r.status_code == 200
        return dict(r.json())

    def metrics(self) -> dict[str, Any]:
        text = self.client.get("/metrics", headers=AUTH).text
        return {f.name: f for f in text_string_to_metric_families(text)}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    root = tmp_path_factory.mktemp("serve")
    with git_daemon(root / "served") as port:
        repo = build_repo(root, port)
        apps = root / "apps"
        apps.mkdir()
        (apps / "web.yaml").write_text(application("web", repo.url, "apps/web"))
        (apps / "api.yaml").write_text(application("api", repo.url, "apps/api"))
        settings = ServeSettings(
            paths=(str(apps),),
            memory=True,
            cache_dir=str(root / "cache"),
            interval=3600,
            token=TOKEN,
            webhook_secrets=WebhookSecrets(github=SECRET),
            max_payload_size=LIMIT,
            poll_interval=0.1,
        )
        app = create_app(settings)
        with InProcessServer(app) as server, httpx.Client(base_url=server.url) as client:
            e = Env(server.url, repo, app.state.controller, client)
            # the startup pass syncs each app, the pass after it records Synced
            wait_for(lambda: e.passes("web") >= 2 and e.passes("api") >= 2, 60, "first passes")
            yield e


def _push_payload(repo: Repo, sha: str, files: list[str], ref: str = "refs/heads/main") -> bytes:
    return json.dumps(
        {
            "ref": ref,
            "before": "0" * 40,
            "after": sha,
            "commits": [{"id": sha, "added": [], "removed": [], "modified": files}],
            "repository": {
                "html_url": repo.url.replace(".git", ""),
                "clone_url": repo.url,
                "default_branch": "main",
            },
        }
    ).encode()


def _signed(body: bytes, event: str = "push", secret: str = SECRET) -> dict[str, str]:
    sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-GitHub-Event": event,
        "X-Hub-Signature-256": f"sha256={sig}",
        "Content-Type": "application/json",
    }


def test_healthz(env: Env) -> None:
    """/healthz answers 200 with the number of apps, without a token."""
    r = env.client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["apps"] == 2


def test_api_needs_the_bearer_token(env: Env) -> None:
    """/api/v1 and /metrics refuse a missing or wrong token with 401."""
    for path in ("/api/v1/applications", "/api/v1/applications/web", "/metrics"):
        assert env.client.get(path).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert env.client.get(path, headers=wrong).status_code == 401


def test_list_applications_shape(env: Env) -> None:
    """The list is Argo CD's ApplicationList: items with metadata, spec and status."""
    data = env.client.get("/api/v1/applications", headers=AUTH).json()
    assert sorted(i["metadata"]["name"] for i in data["items"]) == ["api", "web"]
    for item in data["items"]:
        assert item["apiVersion"] == "argoproj.io/v1alpha1"
        assert item["kind"] == "Application"
        assert item["status"]["sync"]["status"] == "Synced"


def test_application_status_after_auto_sync(env: Env) -> None:
    """An auto-synced app shows the synced revision, resources, history and operation."""
    app = env.app("web")
    status = app["status"]
    assert status["sync"]["status"] == "Synced"
    assert len(status["sync"]["revision"]) == 40
    assert status["health"]["status"] == "Healthy"
    assert status["resources"] == [
        {
            "group": "",
            "version": "v1",
            "kind": "ConfigMap",
            "namespace": "web",
            "name": "web",
            "status": "Synced",  # a ConfigMap has no health check: no health field
        }
    ]
    assert status["operationState"]["phase"] == "Succeeded"
    assert status["history"][0]["id"] == 0
    assert status["sourceType"] == "Directory"


def test_unknown_application_is_404(env: Env) -> None:
    """An unknown app is 404 with grpc-gateway's error body (code 5, NotFound)."""
    r = env.client.get("/api/v1/applications/nope", headers=AUTH)
    assert r.status_code == 404
    assert r.json()["code"] == 5
    assert "nope" in r.json()["message"]


def test_webhook_wrong_and_missing_signature(env: Env) -> None:
    """A push signed with another secret, or not signed, is refused with 401."""
    body = _push_payload(env.repo, "a" * 40, ["apps/web/cm.yaml"])
    assert (
        env.client.post("/api/webhook", content=body, headers=_signed(body, secret="x")).status_code
        == 401
    )
    unsigned = {"X-GitHub-Event": "push", "Content-Type": "application/json"}
    assert env.client.post("/api/webhook", content=body, headers=unsigned).status_code == 401


def test_webhook_unverified_provider_refused_once_a_secret_is_set(env: Env) -> None:
    """With a GitHub secret configured, an unsigned GitLab push is refused too."""
    body = json.dumps({"ref": "refs/heads/main", "project": {"web_url": env.repo.url}}).encode()
    r = env.client.post("/api/webhook", content=body, headers={"X-Gitlab-Event": "Push Hook"})
    assert r.status_code == 401


def test_webhook_oversized_body(env: Env) -> None:
    """A body over the limit is refused with 413, whether or not Content-Length says so."""
    big = b"{" + b" " * (LIMIT + 10) + b"}"
    r = env.client.post("/api/webhook", content=big, headers=_signed(big))
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b" " * (LIMIT // 4)

    r = env.client.post("/api/webhook", content=chunks(), headers={"X-GitHub-Event": "push"})
    assert r.status_code == 413


def test_webhook_malformed_body(env: Env) -> None:
    """A correctly signed body that is not JSON is a 400."""
    body = b"{this is not json"
    assert env.client.post("/api/webhook", content=body, headers=_signed(body)).status_code == 400


def test_webhook_ping_is_ignored(env: Env) -> None:
    """A signed ping is answered 200 without refreshing anything."""
    before = env.passes("web"), env.passes("api")
    body = b'{"zen": "Design for failure.", "hook_id": 1}'
    r = env.client.post("/api/webhook", content=body, headers=_signed(body, event="ping"))
    assert r.status_code == 200 and r.json() == {"status": "ignored"}
    assert (env.passes("web"), env.passes("api")) == before


def test_webhook_no_provider_is_400(env: Env) -> None:
    """A POST without any provider header is a 400."""
    assert env.client.post("/api/webhook", content=b"{}").status_code == 400


def test_push_refreshes_only_the_touched_app(env: Env) -> None:
    """A push changing apps/web syncs web to the new commit; api is not refreshed; the
    reconcile, sync, git and webhook metrics move."""
    before_metrics = env.metrics()
    api_before = env.passes("api")
    web_before = env.passes("web")
    sha = env.repo.commit({"apps/web/cm.yaml": configmap("web", "2")}, "web: v2")
    body = _push_payload(env.repo, sha, ["apps/web/cm.yaml"])
    r = env.client.post("/api/webhook", content=body, headers=_signed(body))
    assert r.status_code == 202
    assert r.json()["refresh"] == ["web"]
    wait_for(
        lambda: (
            env.app("web")["status"]["sync"].get("revision") == sha
            and env.app("web")["status"]["sync"]["status"] == "Synced"
        ),
        60,
        "web to sync the new commit",
    )
    assert env.passes("web") > web_before
    assert env.passes("api") == api_before
    web_live = env.controller.cluster.get(ResourceKey("", "ConfigMap", "web", "web"))
    assert web_live["data"] == {"v": "2"}
    after = env.metrics()

    def total(fams: dict[str, Any], family: str, **labels: str) -> float:
        fam = fams.get(family)
        if fam is None:
            return 0.0
        return sum(
            s.value
            for s in fam.samples
            if s.name.endswith(("_total", "_count"))
            and all(s.labels.get(k) == v for k, v in labels.items())
        )

    assert (
        total(after, "argocd_app_sync", name="web")
        == total(before_metrics, "argocd_app_sync", name="web") + 1
    )
    assert total(after, "argocd_app_sync", name="api") == total(
        before_metrics, "argocd_app_sync", name="api"
    )
    assert total(after, "argocd_app_reconcile") > total(before_metrics, "argocd_app_reconcile")
    assert total(after, "argocd_git_request", request_type="ls-remote") > total(
        before_metrics, "argocd_git_request", request_type="ls-remote"
    )
    assert (
        total(after, "argocd_webhook_requests")
        == total(before_metrics, "argocd_webhook_requests") + 1
    )


def test_metrics_scrape_parses(env: Env) -> None:
    """/metrics parses with prometheus_client's parser: one argocd_app_info per app."""
    fams = env.metrics()
    infos = fams["argocd_app_info"].samples
    assert sorted(s.labels["name"] for s in infos) == ["api", "web"]
    for s in infos:
        assert s.labels["sync_status"] == "Synced"
        assert s.labels["autosync_enabled"] == "true"
        assert s.labels["repo"].endswith("apps")
    assert fams["argocd_app_reconcile"].type == "histogram"
    assert fams["gitopslib_render_duration_seconds"].type == "histogram"
    depth = [
        s for s in fams["workqueue_depth"].samples if s.labels["name"] == "app_reconciliation_queue"
    ]
    assert depth


def test_webhook_flood_coalesces(env: Env) -> None:
    """A burst of forty identical pushes costs a few passes, never one per request."""
    from concurrent.futures import ThreadPoolExecutor

    sha = env.repo.commit({"apps/api/cm.yaml": configmap("api", "3")}, "api: v3")
    body = _push_payload(env.repo, sha, ["apps/api/cm.yaml"])
    before = env.passes("api")

    def post(_: int) -> int:
        return env.client.post("/api/webhook", content=body, headers=_signed(body)).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(post, range(40)))
    assert codes == [202] * 40
    wait_for(lambda: env.app("api")["status"]["sync"].get("revision") == sha, 60, "api synced")
    wait_for(lambda: env.controller.queue.depth == 0, 30, "an empty queue")
    # an app is queued at most once and re-run at most once after its running pass
    assert env.passes("api") - before < 20
