"""The guide's CI pipeline, end to end, on one machine.

1. A Git server: ``git daemon`` on 127.0.0.1 serving the deploy repository (``repo/``: the
   Helm chart in ``helm/`` with ``my-values.yaml``).
2. A Kubernetes API on 127.0.0.1 over HTTP (the test suite's loopback API server, which
   reports a Deployment rolled out once written), reached through a kubeconfig.
3. What the guide's Tekton task does after building an image: write the new tag into
   ``helm/my-values.yaml`` with ``gitopslib.set_yaml_value`` (comments kept), commit, push.
4. ``gitopslib sync`` and ``gitopslib wait --health``, as ``argocd app sync`` / ``wait``.
5. ``gitopslib history``, then ``gitopslib rollback`` to the previous id.

The live image is checked after each step. Run from the repository root::

    python examples/10-ci-pipeline/pipeline.py

Exit code 0 when every check held.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gitopslib import set_yaml_value

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
IMAGE = "registry.example.com/course/devops-demo"
GIT_ENV = {
    "PATH": "/usr/bin:/bin:/usr/local/bin",
    "HOME": "/nonexistent",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "CI",
    "GIT_AUTHOR_EMAIL": "ci@example.com",
    "GIT_COMMITTER_NAME": "CI",
    "GIT_COMMITTER_EMAIL": "ci@example.com",
}


def git(*args: str | Path, cwd: Path | None = None) -> str:
    """Run the git CLI (the pipeline's own commits and pushes)."""
    done = subprocess.run(
        ["git", *map(str, args)],
        cwd=cwd,
        env=GIT_ENV,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_git_daemon(base: Path) -> tuple[subprocess.Popen[bytes], int]:
    """``git daemon`` serving ``base`` on a free loopback port, pushes allowed."""
    port = free_port()
    daemon = Path(git("--exec-path")) / "git-daemon"
    proc = subprocess.Popen(
        [
            str(daemon),
            "--reuseaddr",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={base}",
            "--export-all",
            "--enable=receive-pack",
            str(base),
        ],
        env=GIT_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("git daemon did not start") from None
            time.sleep(0.05)


def gitopslib(*args: str | Path, expect: int = 0) -> str:
    """Run the ``gitopslib`` command as the pipeline would, echoing it and its output."""
    argv = [sys.executable, "-m", "gitopslib.cli", *map(str, args)]
    print("$ gitopslib " + " ".join(map(str, args)), flush=True)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    print(done.stdout, end="", flush=True)
    if done.returncode != expect:
        print(done.stderr, end="", file=sys.stderr)
        raise SystemExit(f"gitopslib {args[0]} exited {done.returncode}, expected {expect}")
    return done.stdout


def release(work: Path, tag: str) -> str:
    """What the guide's Tekton task does: write the tag, commit, push; returns the commit."""
    values = work / "helm" / "my-values.yaml"
    values.write_text(set_yaml_value(values.read_text(), "image.tag", tag))
    git("commit", "-q", "-am", f"deploy {tag}", cwd=work)
    git("push", "-q", "origin", "HEAD:main", cwd=work)
    return git("rev-parse", "HEAD", cwd=work)


def live_image(server: object) -> str:
    obj = server.get("Deployment", "default", "devops-demo")  # type: ignore[attr-defined]
    if obj is None:
        return "<none>"
    return str(obj["spec"]["template"]["spec"]["containers"][0]["image"])


def check(what: str, got: str, want: str) -> None:
    print(f"check: {what}: {got}", flush=True)
    if got != want:
        raise SystemExit(f"{what}: expected {want}, got {got}")


def main() -> int:
    sys.path.insert(0, str(ROOT / "tests" / "cluster"))
    from fake_apiserver import FakeApiServer

    with tempfile.TemporaryDirectory(prefix="gitopslib-ci-") as tmp:
        tmpdir = Path(tmp)
        served = tmpdir / "served"
        served.mkdir()
        bare = served / "devops-demo-deploy.git"
        seed = tmpdir / "seed"
        shutil.copytree(HERE / "repo", seed)
        git("init", "-q", "-b", "main", seed)
        git("add", ".", cwd=seed)
        git("commit", "-q", "-m", "chart and my-values.yaml (image v1)", cwd=seed)
        git("clone", "-q", "--bare", seed, bare)
        daemon, port = start_git_daemon(served)
        try:
            url = f"git://127.0.0.1:{port}/devops-demo-deploy.git"
            work = tmpdir / "work"
            git("clone", "-q", url, work)
            app = tmpdir / "application.yaml"
            app.write_text(
                (HERE / "application.yaml")
                .read_text()
                .replace("http://git.k8s.local/course/devops-demo-deploy.git", url)
            )
            with FakeApiServer(rollout=True) as server:
                server.put(
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
                )
                kubeconfig = server.write_kubeconfig(tmpdir / "kubeconfig")
                cluster = ["--kubeconfig", kubeconfig]
                cache = ["--cache-dir", tmpdir / "cache"]

                gitopslib("sync", app, *cluster, *cache)
                gitopslib("wait", app, "--health", *cluster, "--timeout", "60")
                check("live image after the first sync", live_image(server), f"{IMAGE}:v1")

                sha = release(work, "v2")
                out = gitopslib("sync", app, *cluster, *cache)
                check("synced revision", out.split("Revision:")[1].split()[0], sha)
                gitopslib("wait", app, "--health", *cluster, "--timeout", "60")
                check("live image after the release", live_image(server), f"{IMAGE}:v2")

                history = gitopslib("history", app, *cluster)
                previous = history.splitlines()[-2].split()[0]
                gitopslib("rollback", app, previous, *cluster, *cache)
                gitopslib("wait", app, "--health", *cluster, "--timeout", "60")
                check("live image after the rollback", live_image(server), f"{IMAGE}:v1")
                gitopslib("history", app, *cluster)
        finally:
            daemon.terminate()
            try:
                daemon.wait(timeout=5)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
    print("pipeline: every check held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
