"""Fleet rendering: a commit re-renders exactly the apps whose inputs it touched, each
revision is resolved once per pass, and a render that decrypted something is never cached.
Real Git (the git CLI builds the repository, dulwich reads it), real Directory and Kustomize
renderers; renders are counted, not timed."""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from git_daemon import run_git
from render_counting import CountingDirectory, registry

from gitopslib.git import GitRepository
from gitopslib.models import Application
from gitopslib.sources import RenderCache, RenderPass, render


def git(work: Path, *args: str) -> None:
    run_git(*args, cwd=work)


def app(name: str, path: str, annotations: str = "") -> Application:
    return Application.from_yaml(
        f"apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        f"metadata: {{name: {name}{annotations}}}\n"
        f"spec: {{project: default, source: {{repoURL: 'https://example.com/fleet.git', "
        f"path: '{path}', targetRevision: main}}, destination: {{name: in-cluster, "
        f"namespace: {name}}}}}\n"
    )


def cm(name: str, value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{v: '{value}'}}\n"


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A Git work tree with three directory apps and a shared folder, committed."""
    work = tmp_path / "work"
    for i in range(3):
        (work / "apps" / f"app-{i}").mkdir(parents=True)
        (work / "apps" / f"app-{i}" / "cm.yaml").write_text(cm(f"cm-{i}", "1"))
    (work / "shared").mkdir()
    (work / "shared" / "cm.yaml").write_text(cm("shared", "1"))
    (work / "README.md").write_text("fleet\n")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", ".")
    git(work, "commit", "-qm", "init")
    return work


APPS = [app(f"app-{i}", f"apps/app-{i}") for i in range(3)]


def render_all(
    apps: list[Application], counter: CountingDirectory, cache: RenderCache, **where: Any
) -> None:
    the_pass = RenderPass()
    for a in apps:
        render(a, cache=cache, registry=registry(counter), render_pass=the_pass, **where)


def test_git_commit_rerenders_only_the_touched_app(fleet: Path, tmp_path: Path) -> None:
    """After a commit changing apps/app-1 and the README, only app-1 renders again."""
    repo = GitRepository(str(fleet), cache_dir=tmp_path / "cache")
    counter, cache = CountingDirectory(), RenderCache(directory=None)
    render_all(APPS, counter, cache, repository=repo)
    (fleet / "apps" / "app-1" / "cm.yaml").write_text(cm("cm-1", "2"))
    (fleet / "README.md").write_text("changed\n")
    git(fleet, "commit", "-qam", "touch app-1")
    render_all(APPS, counter, cache, repository=repo)
    assert counter.renders == {"app-0": 1, "app-1": 2, "app-2": 1}


def test_git_rerender_shows_the_new_content(fleet: Path, tmp_path: Path) -> None:
    """The re-rendered app carries the new commit's content and SHA; an untouched app's
    cached render reports the new SHA too."""
    repo = GitRepository(str(fleet), cache_dir=tmp_path / "cache")
    cache = RenderCache(directory=None)
    render(APPS[0], repository=repo, cache=cache)
    render(APPS[1], repository=repo, cache=cache)
    (fleet / "apps" / "app-1" / "cm.yaml").write_text(cm("cm-1", "2"))
    git(fleet, "commit", "-qam", "touch app-1")
    head = repo.resolve("main")
    untouched = render(APPS[0], repository=repo, cache=cache)
    touched = render(APPS[1], repository=repo, cache=cache)
    assert untouched.cached and untouched.revision == head
    assert not touched.cached and touched.manifests[0]["data"] == {"v": "2"}


def test_folder_change_rerenders_only_the_touched_app(fleet: Path) -> None:
    """In a local folder, editing one app's file re-renders that app only."""
    counter, cache = CountingDirectory(), RenderCache(directory=None)
    render_all(APPS, counter, cache, repo_root=fleet)
    (fleet / "apps" / "app-2" / "cm.yaml").write_text(cm("cm-2", "changed"))
    render_all(APPS, counter, cache, repo_root=fleet)
    assert counter.renders == {"app-0": 1, "app-1": 1, "app-2": 2}


def test_manifest_generate_paths_add_inputs(fleet: Path) -> None:
    """An app naming /shared in manifest-generate-paths re-renders when /shared changes;
    the others do not."""
    watching = app(
        "app-0",
        "apps/app-0",
        ", annotations: {argocd.argoproj.io/manifest-generate-paths: '.;/shared'}",
    )
    apps = [watching, *APPS[1:]]
    counter, cache = CountingDirectory(), RenderCache(directory=None)
    render_all(apps, counter, cache, repo_root=fleet)
    (fleet / "shared" / "cm.yaml").write_text(cm("shared", "2"))
    render_all(apps, counter, cache, repo_root=fleet)
    assert counter.renders == {"app-0": 2, "app-1": 1, "app-2": 1}


def test_kustomize_base_outside_the_path_still_invalidates(tmp_path: Path) -> None:
    """A kustomization reaching ../../base is keyed by the whole repository, so a change to
    the base is rendered (real kustomize)."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "cm.yaml").write_text(cm("base", "1"))
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    overlay = tmp_path / "overlays" / "prod"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text("resources: [../../base]\nnamePrefix: prod-\n")
    the_app = app("prod", "overlays/prod")
    cache = RenderCache(directory=None)
    first = render(the_app, repo_root=tmp_path, cache=cache)
    (tmp_path / "base" / "cm.yaml").write_text(cm("base", "2"))
    second = render(the_app, repo_root=tmp_path, cache=cache)
    assert first.manifests[0]["data"] == {"v": "1"}
    assert not second.cached and second.manifests[0]["data"] == {"v": "2"}


def test_symlink_under_the_path_keys_the_whole_repository(tmp_path: Path) -> None:
    """An app whose folder links to a file elsewhere sees that file change."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "cm.yaml").write_text(cm("linked", "1"))
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "cm.yaml").symlink_to("../shared/cm.yaml")
    the_app = app("linked", "app")
    cache = RenderCache(directory=None)
    render(the_app, repo_root=tmp_path, cache=cache)
    (tmp_path / "shared" / "cm.yaml").write_text(cm("linked", "2"))
    again = render(the_app, repo_root=tmp_path, cache=cache)
    assert not again.cached and again.manifests[0]["data"] == {"v": "2"}


class CountingRepository(GitRepository):
    """A real GitRepository counting resolve calls."""

    calls = 0

    def resolve(self, revision: str = "HEAD") -> str:
        CountingRepository.calls += 1
        return super().resolve(revision)


def test_one_resolution_per_repository_and_revision_per_pass(fleet: Path, tmp_path: Path) -> None:
    """Three apps on main in one pass ask the repository once; a second pass asks again
    only after the TTL."""
    CountingRepository.calls = 0
    repo = CountingRepository(str(fleet), cache_dir=tmp_path / "cache")
    now = [0.0]
    the_pass = RenderPass(ttl=180, clock=lambda: now[0])
    for a in APPS:
        render(a, repository=repo, render_pass=the_pass)
    assert (CountingRepository.calls, the_pass.resolutions) == (1, 1)
    now[0] = 179.0
    render(APPS[0], repository=repo, render_pass=the_pass)
    now[0] = 181.0
    render(APPS[0], repository=repo, render_pass=the_pass)
    assert CountingRepository.calls == 2


def test_pass_sizes_the_memory_cache_to_the_fleet(fleet: Path) -> None:
    """A pass over more apps than the memory LRU holds grows it, so the next pass is all
    memory hits."""
    cache = RenderCache(directory=None, memory_items=1)
    counter = CountingDirectory()
    render_all(APPS, counter, cache, repo_root=fleet)
    render_all(APPS, counter, cache, repo_root=fleet)
    assert cache.memory_items >= 3 and counter.renders == {"app-0": 1, "app-1": 1, "app-2": 1}


def test_decrypted_render_is_never_cached(fleet: Path, tmp_path: Path) -> None:
    """A render whose renderer set contains_secrets is not stored (memory or disk) and says
    so on the result; rendering again renders again."""
    counter = CountingDirectory(secret=True)
    cache = RenderCache(directory=tmp_path / "render-cache")
    first = render(APPS[0], repo_root=fleet, cache=cache, registry=registry(counter))
    second = render(APPS[0], repo_root=fleet, cache=cache, registry=registry(counter))
    assert first.contains_secrets and not second.cached
    assert counter.renders["app-0"] == 2
    assert not list((tmp_path / "render-cache").rglob("*.json"))


class CheckoutCountingRepository(GitRepository):
    """A real GitRepository counting the checkouts opened and those still open."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened = 0
        self.open_now = 0

    @contextlib.contextmanager
    def checkout(self, sha: str) -> Iterator[Path]:
        self.opened += 1
        self.open_now += 1
        try:
            with super().checkout(sha) as root:
                yield root
        finally:
            self.open_now -= 1


def in_use(repo: GitRepository, sha: str) -> bool:
    """Whether some open checkout holds the use lock of ``sha``'s tree (what the pruner asks)."""
    fd = os.open(repo.cache_path / "trees" / f"{sha}.use", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def test_pass_opens_one_checkout_per_repository_and_commit(fleet: Path, tmp_path: Path) -> None:
    """Three apps at one commit open one checkout, held until the pass closes; a pass after a
    new commit opens one more."""
    repo = CheckoutCountingRepository(str(fleet), cache_dir=tmp_path / "cache")
    cache = RenderCache(directory=None)
    with RenderPass() as the_pass:
        for a in APPS:
            render(a, repository=repo, cache=cache, render_pass=the_pass)
        assert (repo.opened, repo.open_now, the_pass.checkouts) == (1, 1, 1)
        assert in_use(repo, repo.resolve("main"))
    assert repo.open_now == 0 and not in_use(repo, repo.resolve("main"))
    (fleet / "apps" / "app-1" / "cm.yaml").write_text(cm("cm-1", "2"))
    git(fleet, "commit", "-qam", "touch app-1")
    with RenderPass() as the_pass:
        for a in APPS:
            render(a, repository=repo, cache=cache, render_pass=the_pass)
    assert (repo.opened, repo.open_now) == (2, 0)


def test_tree_held_by_a_pass_is_not_pruned(fleet: Path, tmp_path: Path) -> None:
    """While a pass holds a commit's tree, another user of the cache pruning down to one tree
    keeps it; once the pass is closed the next prune removes it."""
    first = GitRepository(str(fleet), cache_dir=tmp_path / "cache", keep_trees=1)
    held = first.resolve("main")
    the_pass = RenderPass()
    render(APPS[0], repository=first, render_pass=the_pass)
    (fleet / "README.md").write_text("two\n")
    git(fleet, "commit", "-qam", "two")
    other = GitRepository(str(fleet), cache_dir=tmp_path / "cache", keep_trees=1)
    with other.checkout(other.resolve("main")):
        pass
    assert (first.cache_path / "trees" / held / "apps" / "app-0" / "cm.yaml").is_file()
    the_pass.close()
    with other.checkout(other.resolve("main")):
        pass
    assert not (first.cache_path / "trees" / held).exists()


def test_pass_releases_checkouts_when_dropped_or_stale(fleet: Path, tmp_path: Path) -> None:
    """A render without a pass leaves nothing open; a pass that is dropped releases its
    checkout; after ``ttl`` the checkout is opened again and the stale one released."""
    repo = CheckoutCountingRepository(str(fleet), cache_dir=tmp_path / "cache")
    render(APPS[0], repository=repo)
    assert (repo.opened, repo.open_now) == (1, 0)
    the_pass = RenderPass()
    render(APPS[0], repository=repo, render_pass=the_pass)
    assert repo.open_now == 1
    del the_pass
    gc.collect()
    assert repo.open_now == 0
    now = [0.0]
    the_pass = RenderPass(ttl=180, clock=lambda: now[0])
    render(APPS[0], repository=repo, render_pass=the_pass)
    now[0] = 181.0
    render(APPS[1], repository=repo, render_pass=the_pass)
    assert (repo.opened, repo.open_now, the_pass.checkouts) == (4, 1, 2)
    the_pass.close()
    assert repo.open_now == 0
