"""API faults injected mid-sync by the loopback API server, through ``gitopslib.sync``:
transient ones are retried (honouring ``Retry-After``), final ones reported at once with the
server's message, and a write that hangs ends the sync as out of time, never Succeeded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from cluster_helpers import TOKEN, Sleeps
from fake_apiserver import FakeApiServer

import gitopslib
from gitopslib.cluster import KubernetesCluster
from gitopslib.cluster.kube import RequestPolicy
from gitopslib.errors import ClusterError, ClusterTimeoutError
from gitopslib.manifest import ResourceKey
from gitopslib.models import Application, OperationState
from gitopslib.sync.protocol import ApplyRequest

N = 4


def write_app(root: Path, n: int = N, options: tuple[str, ...] = ()) -> Application:
    """``n`` ConfigMaps in ``root/app`` and an Application for them (CreateNamespace)."""
    folder = root / "app"
    folder.mkdir(exist_ok=True)
    docs = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"cm-{i}"},
            "data": {"i": str(i)},
        }
        for i in range(n)
    ]
    (folder / "cms.yaml").write_text(yaml.safe_dump_all(docs))
    opts = ", ".join(["CreateNamespace=true", *options])
    return Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: faults, namespace: argocd}\n"
        "spec:\n  source: {repoURL: 'https://example.com/repo.git', path: app}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: demo}\n"
        f"  syncPolicy: {{syncOptions: [{opts}]}}\n"
    )


def run_sync(app: Application, cluster: Any, root: Path, **kw: Any) -> OperationState:
    kw.setdefault("poll_interval", 0.01)
    # these tests count and fault the app's own requests: no status record around them
    context = gitopslib.OperationContext(record_status=False)
    return gitopslib.sync(app, cluster=cluster, repo_root=root, context=context, **kw)


def stored(apiserver: FakeApiServer, n: int = N) -> list[str]:
    return sorted(name for i in range(n) if apiserver.get("ConfigMap", "demo", name := f"cm-{i}"))


def writes(apiserver: FakeApiServer, method: str = "POST", part: str = "/configmaps") -> int:
    return sum(
        1
        for m, p, q, _ in apiserver.requests
        if m == method and part in p and q.get("dryRun") != ["All"]
    )


def test_429_with_retry_after_is_retried_after_the_asked_wait(
    kube: KubernetesCluster, apiserver: FakeApiServer, sleeps: Sleeps, tmp_path: Path
) -> None:
    """One 429 with Retry-After: 2 on a write: retried no sooner than 2 s, sync Succeeded."""
    app = write_app(tmp_path)
    apiserver.fail("POST", "/configmaps", 429, "TooManyRequests", retry_after="2")
    op = run_sync(app, kube, tmp_path)
    assert op.phase == "Succeeded", op.message
    assert stored(apiserver) == [f"cm-{i}" for i in range(N)]
    assert writes(apiserver) == N + 1
    assert len(sleeps) == 1 and sleeps[0] >= 2.0


def test_503_mid_sync_is_retried(
    kube: KubernetesCluster, apiserver: FakeApiServer, sleeps: Sleeps, tmp_path: Path
) -> None:
    """One 503 on a write in the middle of the sync: retried after a backoff, Succeeded."""
    app = write_app(tmp_path)
    apiserver.fail("POST", "/configmaps", 503, "ServiceUnavailable")
    op = run_sync(app, kube, tmp_path)
    assert op.phase == "Succeeded", op.message
    assert stored(apiserver) == [f"cm-{i}" for i in range(N)]
    assert writes(apiserver) == N + 1 and len(sleeps) == 1


def test_connection_reset_mid_sync_is_retried(
    kube: KubernetesCluster, apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """A write whose connection is reset unanswered is sent again; the sync Succeeds."""
    app = write_app(tmp_path)
    apiserver.reset("POST", "/configmaps")
    op = run_sync(app, kube, tmp_path)
    assert op.phase == "Succeeded", op.message
    assert stored(apiserver) == [f"cm-{i}" for i in range(N)]
    assert writes(apiserver) == N + 1


def test_hanging_write_ends_the_sync_out_of_time(
    kubeconfig: Path, apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """A write that never answers, with sync(timeout=1): Failed, saying it ran out of time
    (the per-request timeout is 30 s: the operation's deadline cut it short)."""
    app = write_app(tmp_path, n=1)
    apiserver.hang("POST", "/configmaps")
    with KubernetesCluster.from_kubeconfig(kubeconfig) as cluster:
        op = run_sync(app, cluster, tmp_path, timeout=1.0)
    assert op.phase in ("Failed", "Error")
    assert op.message.startswith("Operation terminated: timed out after 1s")
    assert "ran out of time" in op.message
    assert apiserver.get("ConfigMap", "demo", "cm-0") is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [(400, "BadRequest"), (403, "Forbidden"), (404, "NotFound"), (422, "Invalid")],
)
def test_final_errors_are_reported_at_once(
    code: int,
    reason: str,
    kube: KubernetesCluster,
    apiserver: FakeApiServer,
    sleeps: Sleeps,
    tmp_path: Path,
) -> None:
    """400, 403, 404 and 422 on a write: not retried; the sync fails with the server's
    message, the status, and no credential."""
    app = write_app(tmp_path, n=1)
    apiserver.fail("POST", "/configmaps", code, reason)
    op = run_sync(app, kube, tmp_path)
    assert op.phase == "Failed"
    assert op.message == (
        "one or more objects failed to apply, reason: create ConfigMap demo/cm-0: "
        f"{code} {reason}: injected {reason.lower()}"
    )
    assert writes(apiserver) == 1 and sleeps == []
    assert TOKEN not in op.message


def test_conflict_on_replace_rereads_once(
    kube: KubernetesCluster, apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """Replace=true meets a 409 Conflict: the object is read again and the PUT sent once
    more with the fresh resourceVersion; a second conflict is reported."""
    app = write_app(tmp_path, n=1, options=("Replace=true",))
    assert run_sync(app, kube, tmp_path).phase == "Succeeded"
    (tmp_path / "app" / "cms.yaml").write_text(
        yaml.safe_dump(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm-0"}, "data": {}}
        )
    )
    apiserver.fail("PUT", "/configmaps/cm-0", 409, "Conflict")
    assert run_sync(app, kube, tmp_path).phase == "Succeeded"
    assert writes(apiserver, "PUT") == 2
    assert apiserver.get("ConfigMap", "demo", "cm-0")["data"] == {}  # type: ignore[index]
    apiserver.fail("PUT", "/configmaps/cm-0", 409, "Conflict", times=2)
    (tmp_path / "app" / "cms.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "cm-0"},
                "data": {"a": "b"},
            }
        )
    )
    op = run_sync(app, kube, tmp_path)
    assert op.phase == "Failed"
    assert op.message.endswith("replace ConfigMap demo/cm-0: 409 Conflict: injected conflict")
    assert writes(apiserver, "PUT") == 4


def test_persistent_503_gives_up_after_the_attempts(
    kube: KubernetesCluster, apiserver: FakeApiServer, sleeps: Sleeps
) -> None:
    """A server that keeps answering 503: six tries with growing (jittered) waits, then a
    ClusterError saying so."""
    apiserver.fail("GET", "/configmaps/x", 503, "ServiceUnavailable", times=10)
    with pytest.raises(ClusterError, match=r"503 ServiceUnavailable.*gave up after 6 attempts"):
        kube.get(ResourceKey("", "ConfigMap", "demo", "x"))
    assert apiserver.count("GET", "/configmaps/x") == 6
    assert len(sleeps) == 5 and all(0 <= s <= 10.0 for s in sleeps)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    def record_k8s_request(
        self, *, server: str, verb: str, kind: str, response_code: int, app: str | None = None
    ) -> None:
        assert TOKEN not in server
        self.calls.append((verb, kind, response_code))


def test_metrics_see_every_request_and_retry(
    kubeconfig: Path, apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """metrics= gets one record_k8s_request per request, the retried 503 included."""
    recorder = Recorder()
    with KubernetesCluster.from_kubeconfig(
        kubeconfig, metrics=recorder, sleep=lambda s: None
    ) as cluster:
        apiserver.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
        before, recorded = len(apiserver.requests), len(recorder.calls)
        apiserver.fail("POST", "/configmaps", 503, "ServiceUnavailable")
        op = run_sync(write_app(tmp_path, n=1), cluster, tmp_path)
    assert op.phase == "Succeeded", op.message
    sent = apiserver.requests[before:]
    assert len(recorder.calls) - recorded == len(sent)
    assert [c for c in recorder.calls if c[0] == "Create"] == [
        ("Create", "ConfigMap", 503),
        ("Create", "ConfigMap", 201),
    ]


def test_every_request_has_a_timeout(kubeconfig: Path, apiserver: FakeApiServer) -> None:
    """Without any deadline, a request that never answers times out after request_timeout,
    is tried again (a timeout is transient) and ends in a ClusterTimeoutError."""
    apiserver.hang("GET", "/configmaps/x")
    apiserver.hang("GET", "/configmaps/x")
    policy = RequestPolicy(request_timeout=0.2, attempts=2)
    with (
        KubernetesCluster.from_kubeconfig(
            kubeconfig, requests=policy, sleep=lambda s: None
        ) as cluster,
        pytest.raises(ClusterTimeoutError) as err,
    ):
        cluster.get(ResourceKey("", "ConfigMap", "demo", "x"))
    assert str(err.value) == (
        f"get ConfigMap demo/x: 0 Timeout: no answer from the API server at {apiserver.url} "
        "in time (gave up after 2 attempts)"
    )
    assert apiserver.count("GET", "/configmaps/x") == 2


def test_create_of_an_object_that_appeared_meanwhile_patches_it(
    kube: KubernetesCluster, apiserver: FakeApiServer
) -> None:
    """A client-side apply told the object is absent creates it; when the create meets 409
    AlreadyExists (someone, or our own retried create, made it meanwhile) the object is read
    and patched instead."""
    apiserver.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    apiserver.put(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "demo"}}
    )
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "namespace": "demo"},
        "data": {"a": "1"},
    }
    since = len(apiserver.requests)
    (result,) = kube.apply_many([ApplyRequest(cm, exists=False)])
    assert not isinstance(result, ClusterError)
    assert result.message == "configmap/x configured"
    assert [m for m, _, _, _ in apiserver.requests[since:]] == ["POST", "GET", "PATCH"]
    assert apiserver.get("ConfigMap", "demo", "x")["data"] == {"a": "1"}  # type: ignore[index]
