"""The guide's argocd-notifications-cm end to end: its DingTalk webhook pointed at a local HTTP
server, an app walking through a sync (Running, Succeeded while Progressing, Healthy), and the
exact bodies received."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from notify_servers import Recorder

from gitopslib.notifications import Notifier


@pytest.fixture
def guide(corpus_dir: Path, http: Recorder) -> Notifier:
    """The guide's ConfigMap with the DingTalk host replaced by the local server."""
    text = (corpus_dir / "seed/configmap-argocd-notifications-cm.yaml").read_text()
    assert "https://oapi.dingtalk.com" in text
    return Notifier.from_yaml(text.replace("https://oapi.dingtalk.com", http.url))


def guestbook(phase: str, health: str, revision: str = "4e2b1f0") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "guestbook", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://example.com/guestbook.git", "path": "guestbook"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
        },
        "status": {
            "sync": {"status": "Synced", "revision": revision},
            "health": {"status": health},
            "operationState": {
                "phase": phase,
                "startedAt": "2024-05-01T10:00:00Z",
                "syncResult": {"revision": revision},
            },
        },
    }


def advance(app: dict[str, Any], phase: str, health: str) -> dict[str, Any]:
    app["status"]["operationState"]["phase"] = phase
    app["status"]["health"]["status"] = health
    return app


def test_a_sync_sends_running_succeeded_then_deployed_once(guide: Notifier, http: Recorder) -> None:
    """Running -> one on-sync-running; Succeeded -> one on-sync-succeeded; Healthy -> one
    on-deployed; another pass of the same revision sends nothing."""
    app = guestbook("Running", "Progressing")
    sent = [d.trigger for d in guide.process(app)]
    sent += [d.trigger for d in guide.process(advance(app, "Succeeded", "Progressing"))]
    sent += [d.trigger for d in guide.process(advance(app, "Succeeded", "Healthy"))]
    assert sent == ["on-sync-running", "on-sync-succeeded", "on-deployed"]
    assert guide.process(app) == []
    assert len(http.requests) == 3


def test_next_revision_deploys_again(guide: Notifier, http: Recorder) -> None:
    """on-deployed is once per revision: a new revision that ends healthy sends it again."""
    app = guestbook("Succeeded", "Healthy")
    assert {d.trigger for d in guide.process(app)} == {"on-sync-succeeded", "on-deployed"}
    app["status"]["sync"]["revision"] = "9c0ffee"
    advance(app, "Running", "Progressing")
    assert [d.trigger for d in guide.process(app)] == ["on-sync-running"]
    advance(app, "Succeeded", "Healthy")
    assert [d.trigger for d in guide.process(app)] == ["on-deployed", "on-sync-succeeded"]


def test_exact_body_received(guide: Notifier, http: Recorder) -> None:
    """The server receives the template's JSON with the app's name, phase, start time and the
    context's argocdUrl filled in, as a POST with the configured Content-Type."""
    guide.process(guestbook("Running", "Progressing"))
    (req,) = http.requests
    assert req.method == "POST"
    assert req.path.startswith("/robot/send?access_token=")
    assert req.headers["Content-Type"] == "application/json"
    body = json.loads(req.body)
    assert body == {
        "msgtype": "markdown",
        "markdown": {
            "title": "ArgoCD同步状态",
            "text": "### ArgoCD同步状态\n> - app名称: guestbook\n> - app同步状态: Running\n"
            "> - 时间:2024-05-01T10:00:00Z\n> - URL: [点击跳转ArgoCD](http://argocd.k8s.local"
            "/applications/guestbook?operation=true) \n",
        },
    }


def test_failed_sync_sends_on_sync_failed(guide: Notifier, http: Recorder) -> None:
    """A failed operation sends on-sync-failed and nothing about success."""
    assert [d.trigger for d in guide.process(guestbook("Failed", "Degraded"))] == ["on-sync-failed"]


# --- a real sync --------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return proc.stdout.strip()


class Recording:
    """Wraps the notifier the loop calls, keeping what each call sent."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        self.calls: list[list[str]] = []

    def process(self, app: Any) -> list[Any]:
        deliveries = self.notifier.process(app)
        self.calls.append([d.trigger for d in deliveries if d.sent])
        return deliveries


def test_real_sync_sends_succeeded_and_deployed_once_per_revision(
    guide: Notifier, http: Recorder, tmp_path: Path
) -> None:
    """`g.sync(..., notifier=n)` of example 01's manifests from a Git repository into a
    MemoryCluster: the loop hands each recorded state to the notifier, which sends one
    on-sync-running, one on-sync-succeeded and (healthy) one on-deployed per revision; a
    reconcile pass of the same revision and a restarted notifier send nothing more."""
    import gitopslib as g
    from gitopslib.notifications.cluster_state import ClusterStateStore
    from gitopslib.reconcile import reconcile

    example = Path(__file__).resolve().parents[2] / "examples/01-directory-app"
    src = tmp_path / "src"
    shutil.copytree(example / "repo", src)
    _git(src, "init", "-q", "-b", "main")
    _git(src, "add", ".")
    _git(src, "commit", "-qm", "first")
    repo = g.GitRepository(str(src), cache_dir=tmp_path / "cache")
    app = g.Application.from_yaml(example / "application.yaml")
    cluster = g.MemoryCluster(simulate=True)
    guide_cm = guide.config
    notifier = Recording(Notifier(guide_cm, state_store=ClusterStateStore(cluster)))

    revisions = []
    for change in ("first", "second"):
        if change == "second":
            (src / "guestbook" / "extra.yaml").write_text(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: b}\n"
            )
            _git(src, "add", ".")
            _git(src, "commit", "-qm", "second")
        revisions.append(_git(src, "rev-parse", "HEAD"))
        op = g.sync(
            app, cluster=cluster, repository=repo, revision="main", poll_interval=0.0,
            notifier=notifier,
        )  # fmt: skip
        assert op.phase == "Succeeded"
        reconcile(app, cluster, repository=repo, revision="main", notifier=notifier)
    assert revisions[0] != revisions[1]
    sent = [triggers for triggers in notifier.calls if triggers]
    assert sent == [
        ["on-sync-running"], ["on-deployed", "on-sync-succeeded"],
        ["on-sync-running"], ["on-deployed", "on-sync-succeeded"],
    ]  # fmt: skip
    assert len(http.requests) == 6
    # a new process: the state kept in the cluster stops a resend of the recorded status
    again = Notifier(guide_cm, state_store=ClusterStateStore(cluster))
    view = app.model_copy(update={"status": g.app_status(app, cluster=cluster)})
    assert view.status.sync.revision == revisions[1]
    assert again.process(view) == []
    assert len(http.requests) == 6
