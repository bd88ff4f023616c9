"""Benchmark the Git adapter against the git CLI, in the same run.

    python benchmarks/bench_git.py [--quick] [--files N] [--transport file|git]

Builds a repository of N files (default 1,000) with the git CLI, then times:

* first ``GitRepository.checkout`` (fetch into an empty cache + materialise the tree) against
  ``git clone --no-checkout`` + ``git checkout`` of the same ``file://`` URL (the floor);
* a repeated ``checkout`` of the now cached SHA (goal: at least 50x faster than the first).

``--transport git`` serves the repository with a real ``git daemon`` on 127.0.0.1 instead of
``file://`` (both sides use the same URL).

Prints each timing and the ratios. ``--quick`` uses tiny sizes (for the test that keeps this
script from rotting).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gitopslib.git import GitRepository

ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": "/nonexistent",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, timeout=600)


def build(root: Path, files: int) -> Path:
    """A bare repository with ``files`` small YAML files spread over sub-directories."""
    work = root / "work"
    work.mkdir()
    git("init", "-q", "-b", "main", str(work))
    for i in range(files):
        d = work / f"dir{i % 20:02d}" / f"sub{i % 7}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"file{i:05d}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  k: v{i}\n"
        )
    git("add", ".", cwd=work)
    git("commit", "-qm", "bench", cwd=work)
    bare = root / "repo.git"
    git("clone", "-q", "--bare", str(work), str(bare))
    return bare


@contextlib.contextmanager
def served(bare: Path, transport: str) -> Iterator[str]:
    """The URL to fetch ``bare`` from: file:// or a git daemon on a free loopback port."""
    if transport == "file":
        yield f"file://{bare}"
        return
    (bare / "git-daemon-export-ok").touch()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exec_path = subprocess.run(
        ["git", "--exec-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    proc = subprocess.Popen(
        [f"{exec_path}/git-daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={port}",
         f"--base-path={bare.parent}", str(bare.parent)],
        env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"git://127.0.0.1:{port}/{bare.name}"
    finally:
        proc.terminate()
        proc.wait(10)


def time_git_cli(url: str, root: Path, reps: int) -> float:
    times = []
    for i in range(reps):
        dest = root / f"cli-{i}"
        start = time.perf_counter()
        git("clone", "-q", "--no-checkout", url, str(dest))
        git("checkout", "-q", "main", cwd=dest)
        times.append(time.perf_counter() - start)
        shutil.rmtree(dest)
    return statistics.median(times)


def time_first_checkout(url: str, root: Path, reps: int) -> tuple[float, GitRepository, str]:
    times = []
    repo: GitRepository | None = None
    sha = ""
    for i in range(reps):
        if repo is not None:
            repo.close()
        start = time.perf_counter()
        repo = GitRepository(url, cache_dir=root / f"cache-{i}")
        sha = repo.resolve("main")
        with repo.checkout(sha) as tree:
            assert (tree / "dir00").is_dir()
        times.append(time.perf_counter() - start)
    assert repo is not None
    return statistics.median(times), repo, sha


def time_cached_checkout(repo: GitRepository, sha: str, reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        with repo.checkout(sha) as tree:
            assert tree.is_dir()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--files", type=int, default=None)
    parser.add_argument("--transport", choices=["file", "git"], default="file")
    args = parser.parse_args(argv)
    files = args.files or (30 if args.quick else 1000)
    reps = 1 if args.quick else 3
    with tempfile.TemporaryDirectory(prefix="bench-git-") as tmp:
        root = Path(tmp)
        bare = build(root, files)
        with served(bare, args.transport) as url:
            cli = time_git_cli(url, root, reps)
            first, repo, sha = time_first_checkout(url, root, reps)
            cached = time_cached_checkout(repo, sha, 20 if args.quick else 200)
            repo.close()
    print(f"files: {files}, transport: {args.transport}")
    print(f"git clone + git checkout (CLI):   {cli * 1000:9.2f} ms")
    print(f"first GitRepository.checkout:     {first * 1000:9.2f} ms")
    print(f"cached GitRepository.checkout:    {cached * 1000:9.3f} ms")
    print(f"ratio first checkout / git CLI:   {first / cli:9.2f}x (lower is better)")
    print(f"ratio first / cached checkout:    {first / cached:9.0f}x (goal >= 50x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
