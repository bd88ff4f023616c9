"""The serve building blocks that need no server: the work queue, sharding and settings."""

from __future__ import annotations

import threading

import pytest

from gitopslib.server import ServeSettings, SettingsError, shard_of
from gitopslib.server.queue import WorkQueue
from gitopslib.webhook import WebhookSecrets


def test_queue_coalesces_waiting_keys() -> None:
    """A key queued twice while waiting is handed out once."""
    q: WorkQueue[str] = WorkQueue(10)
    assert q.put("a", "resync") and q.put("a", "webhook")
    assert q.get(0) == ("a", "webhook")
    assert q.get(0) is None


def test_queue_requeues_a_key_asked_for_while_running() -> None:
    """A key asked for while being worked on runs once more afterwards, not twice."""
    q: WorkQueue[str] = WorkQueue(10)
    q.put("a", "resync")
    assert q.get(0) == ("a", "resync")
    assert q.put("a", "webhook") and q.put("a", "webhook")
    assert q.depth == 0
    q.done("a")
    assert q.get(0) == ("a", "webhook")
    q.done("a")
    assert q.get(0) is None


def test_queue_is_bounded() -> None:
    """A full queue refuses a new key but still coalesces a queued one."""
    q: WorkQueue[str] = WorkQueue(2)
    assert q.put("a", "r") and q.put("b", "r")
    assert not q.put("c", "r")
    assert q.put("a", "webhook")


def test_queue_close_wakes_workers() -> None:
    """close() releases a worker blocked in get()."""
    q: WorkQueue[str] = WorkQueue(2)
    got: list[object] = []
    t = threading.Thread(target=lambda: got.append(q.get(30)))
    t.start()
    q.close()
    t.join(5)
    assert got == [None]
    assert not q.put("a", "r")


def test_shard_hash_is_the_documented_one() -> None:
    """shard_of is sha256("<namespace>/<name>")[:8] big-endian modulo N (docs/serve.md)."""
    import hashlib

    for name in ("guestbook", "api", "web-1", "x"):
        digest = hashlib.sha256(f"argocd/{name}".encode()).digest()
        assert shard_of("argocd", name, 5) == int.from_bytes(digest[:8], "big") % 5


def test_shards_partition_a_fleet() -> None:
    """Every app falls on exactly one of N shards, and all shards get some of 300 apps."""
    names = [f"app-{i}" for i in range(300)]
    counts = [0, 0, 0]
    for n in names:
        counts[shard_of("argocd", n, 3)] += 1
    assert sum(counts) == 300 and min(counts) > 50


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"shards": 0}, "shards"),
        ({"shard": 3, "shards": 3}, "shard"),
        ({"interval": 0}, "interval"),
        ({"jitter": 1.5}, "jitter"),
        ({"listen": "localhost"}, "listen"),
        ({"paths": ()}, "paths"),
        ({"paths": ("/nonexistent/apps",)}, "paths"),
    ],
)
def test_settings_refuse_bad_values(kwargs: dict[str, object], field: str) -> None:
    """Each wrong setting is a SettingsError naming the field."""
    base: dict[str, object] = {"paths": ("examples/01-directory-app",), "memory": True}
    with pytest.raises(SettingsError) as exc:
        ServeSettings(**{**base, **kwargs})  # type: ignore[arg-type]
    assert exc.value.field == field


def test_secrets_make_unsigned_providers_refused() -> None:
    """With any webhook secret configured, serve refuses providers without one by default."""
    base = ServeSettings(paths=("examples/01-directory-app",))
    assert not base.refuse_unsigned
    signed = ServeSettings(paths=base.paths, webhook_secrets=WebhookSecrets(gitlab="x"))
    assert signed.refuse_unsigned
    allowed = ServeSettings(
        paths=base.paths, webhook_secrets=WebhookSecrets(gitlab="x"), require_secret=False
    )
    assert not allowed.refuse_unsigned


def test_settings_repr_hides_the_token() -> None:
    """The bearer token never appears in the settings' repr."""
    s = ServeSettings(paths=("examples/01-directory-app",), token="sup3r-secret")
    assert "sup3r-secret" not in repr(s)


@pytest.mark.parametrize(
    ("kwargs", "in_cluster"),
    [
        ({}, True),  # nothing said, in a pod: the service account
        ({"kubeconfig": "kubeconfig"}, False),  # an explicit kubeconfig wins
        ({"paths": ("examples/01-directory-app",)}, False),  # apps from files: in memory
        ({"paths": ("examples/01-directory-app",), "memory": True}, False),
    ],
)
def test_in_cluster_is_the_default_only_in_a_pod_when_nothing_else_is_said(
    monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, object], in_cluster: bool
) -> None:
    """With KUBERNETES_SERVICE_HOST set, no APP, no --kubeconfig and no --memory mean
    in-cluster (and the settings say it came from the environment)."""
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    s = ServeSettings(**kwargs)  # type: ignore[arg-type]
    assert s.in_cluster is in_cluster
    assert s.in_cluster_from_env is in_cluster


def test_outside_a_pod_serve_without_apps_names_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    """No APP, no kubeconfig, no KUBERNETES_SERVICE_HOST: the error names --kubeconfig and
    --in-cluster and says the variable is not set."""
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(SettingsError) as exc:
        ServeSettings()
    assert exc.value.field == "paths"
    assert "--kubeconfig FILE, or --in-cluster" in str(exc.value)
    assert "KUBERNETES_SERVICE_HOST is not set" in str(exc.value)
    explicit = ServeSettings(in_cluster=True)  # asked for: no variable needed to decide
    assert explicit.in_cluster and not explicit.in_cluster_from_env


@pytest.mark.parametrize(
    ("kwargs", "field", "said"),
    [
        ({"in_cluster": True, "memory": True}, "in_cluster", "--in-cluster and --memory"),
        ({"in_cluster": True, "kubeconfig": "k"}, "in_cluster", "--in-cluster and --kubeconfig"),
        ({"in_cluster": True, "context": "dev"}, "context", "--context needs --kubeconfig"),
        ({"kubeconfig": "k", "service_account_token": "t"}, "service_account_token", "needs"),
        ({"kubeconfig": "k", "service_account_ca": "c"}, "service_account_ca", "needs"),
    ],
)
def test_in_cluster_settings_that_exclude_each_other(
    kwargs: dict[str, object], field: str, said: str
) -> None:
    """--in-cluster excludes --memory and --kubeconfig; the service account files need it."""
    with pytest.raises(SettingsError) as exc:
        ServeSettings(**kwargs)  # type: ignore[arg-type]
    assert exc.value.field == field
    assert said in str(exc.value)


def test_serve_flags_give_in_cluster_settings() -> None:
    """``serve --in-cluster --service-account-token F --service-account-ca C`` become the
    settings; --in-cluster with --kubeconfig is a usage error."""
    from gitopslib.cli import build_parser
    from gitopslib.cli.serve import settings_from_args

    parser = build_parser()
    args = parser.parse_args(
        ["serve", "--in-cluster", "--service-account-token", "t", "--service-account-ca", "c"]
    )
    s = settings_from_args(args)
    assert (s.in_cluster, s.service_account_token, s.service_account_ca) == (True, "t", "c")
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--in-cluster", "--kubeconfig", "k"])
