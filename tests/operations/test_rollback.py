"""rollback(): Argo CD's rules (refused under auto-sync, unknown id, prune) and an exact
redeploy of a history entry's revision from a real Git repository, recorded as new history."""

from __future__ import annotations

from pathlib import Path

import pytest
from git_daemon import run_git
from ops_helpers import make_app, write_repo

import gitopslib as g
from gitopslib.cluster import MemoryCluster
from gitopslib.errors import OperationError
from gitopslib.git import GitRepository
from gitopslib.manifest import ResourceKey
from gitopslib.models import Application
from gitopslib.operations import OperationContext

WEB = ResourceKey("apps", "Deployment", "shop", "web")
EXTRA = ResourceKey("", "ConfigMap", "shop", "extra")


def image(cluster: MemoryCluster) -> str:
    live = cluster.get(WEB) or {}
    return str(live["spec"]["template"]["spec"]["containers"][0]["image"])


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    root = write_repo(tmp_path / "origin", tag="1")
    run_git("init", "-q", "-b", "main", cwd=root)
    run_git("add", ".", cwd=root)
    run_git("commit", "-qm", "v1", cwd=root)
    return root


def app_for(origin: Path, policy: str = "") -> Application:
    return Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata: {name: web, namespace: argocd}\n"
        f"spec:\n  source: {{repoURL: '{origin.as_uri()}', path: web, targetRevision: main}}\n"
        "  destination: {server: 'https://kubernetes.default.svc', namespace: shop}\n" + policy
    )


def test_rollback_redeploys_the_recorded_revision(
    origin: Path, tmp_path: Path, ctx: OperationContext
) -> None:
    """v1 then v2 synced from Git; rollback to id 0 runs nginx:1 again, from the first
    commit, with syncStrategy apply, and is recorded as history id 2."""
    repo = GitRepository(origin.as_uri(), cache_dir=tmp_path / "cache")
    app = app_for(origin)
    cluster = MemoryCluster(simulate=True)
    first = run_git("rev-parse", "HEAD", cwd=origin)
    g.sync(app, cluster=cluster, repository=repo, context=ctx)
    write_repo(origin, tag="2")
    run_git("commit", "-qam", "v2", cwd=origin)
    g.sync(app, cluster=cluster, repository=repo, context=ctx)
    assert image(cluster) == "nginx:2"
    op = g.rollback(app, 0, cluster=cluster, repository=repo, context=ctx)
    assert op.phase == "Succeeded"
    assert image(cluster) == "nginx:1"
    assert op.operation is not None and op.operation.sync is not None
    assert op.operation.sync.sync_strategy is not None
    assert op.operation.sync.sync_strategy.apply is not None
    history = g.app_status(app, cluster).history or []
    assert [(h.id, h.revision) for h in history][-1] == (2, first)
    assert history[0].revision == first != history[1].revision


def test_rollback_without_id_takes_the_previous(
    origin: Path, tmp_path: Path, ctx: OperationContext
) -> None:
    """No id: the deployment before the last one (the CLI's rule)."""
    repo = GitRepository(origin.as_uri(), cache_dir=tmp_path / "cache")
    app = app_for(origin)
    cluster = MemoryCluster(simulate=True)
    g.sync(app, cluster=cluster, repository=repo, context=ctx)
    write_repo(origin, tag="2")
    run_git("commit", "-qam", "v2", cwd=origin)
    g.sync(app, cluster=cluster, repository=repo, context=ctx)
    g.rollback(app, cluster=cluster, repository=repo, context=ctx)
    assert image(cluster) == "nginx:1"


def test_refused_while_auto_sync_is_on(repo: Path, ctx: OperationContext) -> None:
    """Automated sync enabled: refused with Argo CD's message, nothing runs."""
    app = make_app(policy="  syncPolicy:\n    automated: {prune: true}\n")
    cluster = MemoryCluster(simulate=True)
    g.sync(app, cluster=cluster, repo_root=repo, context=ctx)
    with pytest.raises(OperationError, match="rollback cannot be initiated when auto-sync"):
        g.rollback(app, 0, cluster=cluster, repo_root=repo, context=ctx)


def test_unknown_id_names_the_known_ones(
    app: Application, repo: Path, ctx: OperationContext
) -> None:
    """An id not in the history: one line naming the app, the id and the ids there are."""
    cluster = MemoryCluster(simulate=True)
    g.sync(app, cluster=cluster, repo_root=repo, context=ctx)
    with pytest.raises(OperationError) as info:
        g.rollback(app, 7, cluster=cluster, repo_root=repo, context=ctx)
    assert str(info.value) == (
        "application web does not have deployment with id 7 (history ids: 0)"
    )


def test_never_synced_app(app: Application, repo: Path, ctx: OperationContext) -> None:
    """An app that was never synced has nothing to roll back to."""
    with pytest.raises(OperationError, match="application web has no deployment history"):
        g.rollback(app, 0, cluster=MemoryCluster(), repo_root=repo, context=ctx)


def test_prune_like_the_cli_flag(origin: Path, tmp_path: Path, ctx: OperationContext) -> None:
    """An object added after the target deployment stays without prune (requires pruning)
    and goes with prune=True."""
    repo = GitRepository(origin.as_uri(), cache_dir=tmp_path / "cache")
    app = app_for(origin)
    cluster = MemoryCluster(simulate=True)
    g.sync(app, cluster=cluster, repository=repo, context=ctx)
    (origin / "web" / "extra.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n"
    )
    run_git("add", ".", cwd=origin)
    run_git("commit", "-qm", "extra", cwd=origin)
    g.sync(app, cluster=cluster, repository=repo, context=ctx)
    g.rollback(app, 0, cluster=cluster, repository=repo, context=ctx)
    assert cluster.get(EXTRA) is not None
    g.rollback(app, 0, cluster=cluster, repository=repo, prune=True, context=ctx)
    assert cluster.get(EXTRA) is None
