"""Two threads or two processes sharing one cache: no corruption, no half-written state."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from gitlib_fixtures import Daemon, Fixture

from gitopslib.git import GitRepository


def test_two_threads_fetch_into_one_cache(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """Concurrent first fetches from two threads both succeed and agree."""
    daemon, fx = served
    cache = tmp_path / "shared"
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(i: int) -> None:
        try:
            with GitRepository(daemon.url("repo.git"), cache_dir=cache, backoff=0.01) as repo:
                barrier.wait()
                sha = repo.resolve("main")
                with repo.checkout(sha) as root:
                    results[i] = (root / "app" / "values.yaml").read_bytes()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert results[0] == results[1] == (fx.work / "app" / "values.yaml").read_bytes()
    trees = [p for p in (next(cache.iterdir()) / "trees").iterdir() if p.is_dir()]
    assert [p.name for p in trees] == [fx.shas["c2"]]  # no leftover temp dirs


SCRIPT = textwrap.dedent(
    """
    import sys
    from gitopslib.git import GitRepository
    url, cache = sys.argv[1], sys.argv[2]
    with GitRepository(url, cache_dir=cache, backoff=0.01) as repo:
        sha = repo.resolve("feature")
        with repo.checkout(sha) as root:
            print(sha, (root / "feature.txt").read_text().strip())
    """
)


def test_two_processes_fetch_into_one_cache(served: tuple[Daemon, Fixture], tmp_path: Path) -> None:
    """Two processes started together fill one cache and both read the same commit."""
    daemon, fx = served
    cache = tmp_path / "shared"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, daemon.url("repo.git"), str(cache)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    assert [o[0].strip() for o in outs] == [f"{fx.shas['c3']} feature"] * 2
