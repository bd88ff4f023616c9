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
