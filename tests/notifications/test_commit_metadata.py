"""`call .repo.GetCommitMetadata` read through gitopslib's Git adapter from a real repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitopslib.notifications import Notifier
from gitopslib.notifications.helpers import commit_metadata_from_git


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    return proc.stdout.strip()


def test_get_commit_metadata_from_the_apps_repository(tmp_path: Path) -> None:
    """Author, first message line, date and tags of the synced revision, from the repository
    named by the app's spec.source.repoURL."""
    import os

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.yaml").write_text("a: 1\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ann Dev",
        "GIT_AUTHOR_EMAIL": "ann@example.com",
        "GIT_AUTHOR_DATE": "2024-03-04T05:06:07+02:00",
        "GIT_COMMITTER_NAME": "Ann Dev",
        "GIT_COMMITTER_EMAIL": "ann@example.com",
    }
    _git(src, "init", "-q", "-b", "main", env=env)
    _git(src, "add", ".", env=env)
    _git(src, "commit", "-qm", "Bump the web image\n\nLonger text.", env=env)
    _git(src, "tag", "v1.2.0", env=env)
    sha = _git(src, "rev-parse", "HEAD")
    n = Notifier.from_yaml(
        {
            "data": {
                "template.t": (
                    "message: '{{with call .repo.GetCommitMetadata .app.status.sync.revision}}"
                    '{{.Author}}|{{.Date.Format "2006-01-02T15:04:05Z07:00"}}|{{.Tags}}|'
                    "{{.Message | trim}}{{end}}'"
                )
            }
        },
        commit_metadata=commit_metadata_from_git(cache_dir=tmp_path / "cache"),
    )
    app = {
        "metadata": {"name": "web"},
        "spec": {"project": "default", "source": {"repoURL": str(src)}},
        "status": {"sync": {"revision": sha}},
    }
    assert n.render("t", app)["message"] == (
        "Ann Dev <ann@example.com>|2024-03-04T05:06:07+02:00|[v1.2.0]|"
        "Bump the web image\n\nLonger text."
    )


def test_get_commit_metadata_without_repo_url_is_an_error(tmp_path: Path) -> None:
    """An app without spec.source.repoURL: the template fails, naming the reason."""
    import pytest

    from gitopslib.errors import NotificationError

    n = Notifier.from_yaml(
        {"data": {"template.t": "message: '{{(call .repo.GetCommitMetadata \"abc\").Author}}'"}},
        commit_metadata=commit_metadata_from_git(cache_dir=tmp_path / "cache"),
    )
    with pytest.raises(NotificationError, match="failed to get application source repo URL"):
        n.render("t", {"metadata": {"name": "x"}, "spec": {}})
