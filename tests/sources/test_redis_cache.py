"""The shared render cache on a real redis-server (started here on 127.0.0.1, random port,
no persistence): replicas share renders, entries are compressed with a TTL, decrypted renders
never reach Redis, and Redis going away mid-run falls back to local rendering."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from git_daemon import free_port
from render_counting import CountingDirectory, registry

from gitopslib.models import Application
from gitopslib.sources import RedisStore, RenderCache, render

redis = pytest.importorskip("redis")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
# A developer machine without redis-server skips these with one reason; CI (CI=true, where
# .ci/run installs it) runs them and fails if it is missing.
pytestmark = pytest.mark.skipif(
    not Path(REDIS_SERVER).exists() and os.environ.get("CI", "").lower() != "true",
    reason="needs redis-server on PATH (Debian: apt-get install redis-server)",
)


class Server:
    """A redis-server process on loopback."""

    def __init__(self) -> None:
        if not Path(REDIS_SERVER).exists():
            pytest.fail("redis-server is not installed (.ci/run installs it)")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.url = f"redis://127.0.0.1:{self.port}/0"
        client = redis.Redis.from_url(self.url)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        else:
            self.stop()
            pytest.fail("redis-server did not start")
        self.client = client

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.stop()


@pytest.fixture
def store(server: Server) -> RedisStore:
    server.client.flushdb()
    return RedisStore(server.url, ttl=600)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata:\n"
        + "".join(f"  key{i}: value-{i}-abcdefghij\n" for i in range(50))
    )
    return tmp_path


APP = Application.from_yaml(
    "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\n"
    "spec: {project: default, source: {repoURL: 'https://example.com/r.git', path: web}, "
    "destination: {name: in-cluster, namespace: web}}\n"
)


def replica(store: RedisStore) -> RenderCache:
    """A process of its own: empty memory, no disk, the shared store."""
    return RenderCache(directory=None, shared=store)


def test_replicas_share_a_render(store: RedisStore, repo: Path) -> None:
    """What one replica rendered, another reads from Redis without rendering."""
    counter = CountingDirectory()
    first = render(APP, repo_root=repo, cache=replica(store), registry=registry(counter))
    other = replica(store)
    second = render(APP, repo_root=repo, cache=other, registry=registry(counter))
    assert counter.renders["web"] == 1
    assert second.sources[0].cached == "shared" and other.stats.shared_hits == 1
    assert second.manifests == first.manifests


def test_entries_are_compressed_with_a_ttl(server: Server, store: RedisStore, repo: Path) -> None:
    """The stored value is zlib-compressed JSON holding the manifests, smaller than the
    JSON, and expires within the configured TTL."""
    render(APP, repo_root=repo, cache=replica(store))
    keys = server.client.keys("gitopslib:render:*")
    assert len(keys) == 1
    raw = server.client.get(keys[0])
    data = zlib.decompress(raw[4:])
    assert orjson.loads(data)["value"]["manifests"][0]["metadata"]["name"] == "web"
    assert len(raw) < len(data)
    assert 0 < server.client.ttl(keys[0]) <= 600


def test_decrypted_render_never_reaches_redis(
    server: Server, store: RedisStore, repo: Path
) -> None:
    """A render whose inputs were decrypted leaves Redis empty and renders again next time."""
    counter = CountingDirectory(secret=True)
    render(APP, repo_root=repo, cache=replica(store), registry=registry(counter))
    render(APP, repo_root=repo, cache=replica(store), registry=registry(counter))
    assert server.client.dbsize() == 0 and counter.renders["web"] == 2


def test_corrupt_entry_is_a_miss(server: Server, store: RedisStore, repo: Path) -> None:
    """A value that is not ours (or is damaged) is rendered again and replaced."""
    render(APP, repo_root=repo, cache=replica(store))
    (key,) = server.client.keys("gitopslib:render:*")
    server.client.set(key, b"GLR1not-zlib")
    counter = CountingDirectory()
    again = render(APP, repo_root=repo, cache=replica(store), registry=registry(counter))
    assert counter.renders["web"] == 1 and again.manifests[0]["metadata"]["name"] == "web"
    assert zlib.decompress(server.client.get(key)[4:])


def test_redis_going_away_falls_back_to_local_rendering(
    repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With Redis stopped mid-run, renders still succeed locally, with one warning that
    names the masked URL."""
    srv = Server()
    try:
        url = f"redis://:pw-secret@127.0.0.1:{srv.port}/0"
        srv.client.config_set("requirepass", "pw-secret")
        store = RedisStore(url, timeout=0.5)
        counter = CountingDirectory()
        render(APP, repo_root=repo, cache=replica(store), registry=registry(counter))
    finally:
        srv.stop()
    with caplog.at_level(logging.WARNING, logger="gitopslib.sources.cache"):
        for _ in range(2):
            result = render(APP, repo_root=repo, cache=replica(store), registry=registry(counter))
            assert result.manifests[0]["metadata"]["name"] == "web"
    assert counter.renders["web"] == 3
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "rendering locally" in warnings[0]
    assert "pw-secret" not in warnings[0]
