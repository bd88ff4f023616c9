"""Helpers for the git adapter tests: fixture repositories built with the git CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from git_daemon import GIT_ENV, free_port, run_git

__all__ = ["ENV", "Daemon", "Fixture", "build_repo", "free_port", "git"]

#: The shared fixture environment with fixed dates: the same commits get the same SHAs.
ENV = {
    **GIT_ENV,
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
}


def git(*args: str | Path, cwd: Path | None = None) -> str:
    """Run the git CLI (fixtures only) and return stdout."""
    return run_git(*args, cwd=cwd, env=ENV)


@dataclass
class Fixture:
    """A bare repository with known history; SHAs taken from the git CLI."""

    bare: Path
    work: Path
    shas: dict[str, str]

    def rev_parse(self, rev: str) -> str:
        return git("rev-parse", rev, cwd=self.bare)


def build_repo(root: Path, name: str = "repo") -> Fixture:
    """main: c1 -> c2 (HEAD); branch 'feature' at c3 (child of c1); tags: light 'v1.0.0' on c1,
    annotated 'v1.2.0' on c2, annotated 'v2.0.0-rc.1' on c3; 'release' branch and tag 'release'
    both exist (branch wins, as in Argo CD's ref order)."""
    work = root / f"{name}-work"
    bare = root / f"{name}.git"
    git("init", "-q", "-b", "main", work)
    (work / "app").mkdir()
    (work / "app" / "values.yaml").write_text(
        "image:\n  repository: nginx  # upstream\n  tag: v1\n"
    )
    (work / "README.md").write_text("c1\n")
    git("add", ".", cwd=work)
    git("commit", "-qm", "c1", cwd=work)
    c1 = git("rev-parse", "HEAD", cwd=work)
    git("tag", "v1.0.0", cwd=work)
    git("checkout", "-qb", "feature", cwd=work)
    (work / "feature.txt").write_text("feature\n")
    git("add", ".", cwd=work)
    git("commit", "-qm", "c3", cwd=work)
    c3 = git("rev-parse", "HEAD", cwd=work)
    git("tag", "-a", "v2.0.0-rc.1", "-m", "rc", cwd=work)
    git("checkout", "-q", "main", cwd=work)
    (work / "README.md").write_text("c2\n")
    os.symlink("app/values.yaml", work / "values-link.yaml")
    os.symlink("../../etc/passwd", work / "app" / "escape")
    (work / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (work / "run.sh").chmod(0o755)
    git("add", ".", cwd=work)
    git("commit", "-qm", "c2", cwd=work)
    c2 = git("rev-parse", "HEAD", cwd=work)
    git("tag", "-a", "v1.2.0", "-m", "annotated", cwd=work)
    git("branch", "release", c1, cwd=work)
    git("tag", "release", c3, cwd=work)
    git("clone", "-q", "--bare", work, bare)
    (bare / "git-daemon-export-ok").touch()
    # receive-pack into the bare repo must update the branch the fixture checks.
    git("config", "receive.denyNonFastForwards", "true", cwd=bare)
    tag_obj = git("rev-parse", "v1.2.0", cwd=bare)
    return Fixture(bare, work, {"c1": c1, "c2": c2, "c3": c3, "v1.2.0-tagobj": tag_obj})


@dataclass
class Daemon:
    base: Path
    port: int

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"
