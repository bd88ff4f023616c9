"""One command run's shared state: resolvers, render cache, live state, progress."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitopslib.cli.base import (
    EXIT_ERROR,
    EXIT_OK,
    CLIError,
    Progress,
    one_line,
    report_error,
    warn,
)
from gitopslib.cli.loading import (
    application_docs,
    application_files,
    load_applications,
    no_application,
    yaml_files,
)
from gitopslib.cli.locate import LocatedError, render_error_location
from gitopslib.cli.overrides import Overrides, apply_overrides, overrides_from
from gitopslib.cli.unmatched import unmatched_overrides
from gitopslib.errors import GitError, GitOpsError, RenderError

if TYPE_CHECKING:
    from gitopslib.diff import ComparisonResult
    from gitopslib.models import Application
    from gitopslib.project import AppProject
    from gitopslib.sources import RenderResult, Resolver
    from gitopslib.sync import SyncPlan


class Session:
    """What one command invocation shares: resolvers, caches, live state, progress."""

    def __init__(self, args: argparse.Namespace) -> None:
        plugins_dir = getattr(args, "plugins_dir", None)
        if plugins_dir and not Path(plugins_dir).is_dir():
            raise CLIError(f"--plugins-dir {plugins_dir}: no such folder")
        self.args = args
        self.progress = Progress()
        self._repos: dict[str, Any] = {}
        self._live: list[dict[str, Any]] | None = None
        self._cluster: Any = None
        self._cache: Any = None
        self.overrides = overrides_from(args) if hasattr(args, "helm_set") else Overrides()
        #: the worst exit code so far: an app that failed makes the command exit 2 in the end
        self.exit_code = EXIT_OK

    # one bad app does not hide the others

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Run the block for one file or app: an error is printed as one line, remembered
        for the exit code (2), and the command goes on with the next app."""
        try:
            yield
        except Exception as exc:
            report_error(exc, debug=getattr(self.args, "debug", False))
            self.exit_code = EXIT_ERROR

    def finish(self, code: int) -> int:
        """The command's exit code: the worse of ``code`` and the errors seen."""
        return max(code, self.exit_code)

    def apps(self) -> list[Application]:
        """Every Application of the command's files and folders with the override flags
        applied; a file or app that fails is reported and the others go on."""
        named = {Path(p) for p in self.args.apps}
        apps: list[Application] = []
        for raw in self.args.apps:
            files: list[Path] = []
            with self.guard():
                files = application_files([raw])
            for file in files:
                found: list[Application] = []
                with self.guard():
                    found = application_docs(file)
                    if not found and file in named:
                        no_application(file)
                for app in found:
                    with self.guard():
                        apps.append(apply_overrides(app, self.overrides))
        if not apps and self.exit_code == EXIT_OK:
            raise CLIError(f"no Application found in {', '.join(map(str, self.args.apps))}")
        return apps

    # what was read

    @property
    def reads_git(self) -> bool:
        """Whether sources come from Git (no ``--repo-root``): outputs then show the
        resolved revision."""
        return not getattr(self.args, "repo_root", None)

    def revision_of(self, result: RenderResult) -> str | None:
        """The commit the render came from, when Git was read (None for a local folder)."""
        return result.revision if self.reads_git else None

    # rendering

    def resolver(self, app: Application) -> Resolver:
        from gitopslib.sources import Resolver

        args = self.args
        if args.repo_root:
            root = Path(args.repo_root)
            if not root.is_dir():
                raise CLIError(f"--repo-root {root}: no such folder")
            return Resolver(default=root, revision=args.revision)
        from gitopslib.git import GitRepository

        urls: list[str] = []
        for source in app.spec.all_sources():
            if source.chart:
                raise CLIError(
                    f"Application {app.metadata.name!r}: Helm repository charts "
                    f"({source.repo_url} {source.chart}) are not fetched; vendor the chart "
                    "and use --repo-root"
                )
            if source.repo_url and source.repo_url not in urls:
                urls.append(source.repo_url)
        if not urls:
            raise CLIError(f"Application {app.metadata.name!r} names no repoURL")
        repos = {}
        for url in urls:
            if url not in self._repos:
                self.progress(f"fetching {url}")
                git_cache = Path(args.cache_dir) / "git" if args.cache_dir else None
                self._repos[url] = GitRepository(url, cache_dir=git_cache)
            repos[url] = self._repos[url]
        default = repos.pop(urls[0])
        return Resolver(repos, default=default, revision=args.revision)

    def secrets_options(self) -> dict[str, Any] | None:
        """Render options for SOPS from ``--sops-key-location`` / ``--sops-age-key-file``
        (None without them: helm-secrets schemes are then refused as Argo CD's default)."""
        locations = getattr(self.args, "sops_key_location", None) or []
        key_files = getattr(self.args, "sops_age_key_file", None) or []
        if not locations and not key_files:
            return None
        from gitopslib.secrets import SopsKeys
        from gitopslib.sources import HelmSecrets

        mapping: dict[str, str] = {}
        for item in locations:
            prefix, sep, folder = item.partition("=")
            if not sep or not prefix.startswith("/") or not folder:
                raise CLIError(f"--sops-key-location {item!r}: expected /PREFIX=DIR")
            mapping[prefix] = folder
        try:
            keys = SopsKeys(age_files=key_files) if key_files else SopsKeys.from_environment()
        except GitOpsError as exc:
            raise CLIError(str(exc)) from exc
        return {"helm_secrets": HelmSecrets(keys=keys, key_locations=mapping), "sops_keys": keys}

    def render(self, app: Application) -> RenderResult:
        from gitopslib.sources import RenderCache, render

        if self._cache is None and self.args.cache_dir:
            self._cache = RenderCache(directory=Path(self.args.cache_dir) / "render")
        self.progress(f"rendering {app.metadata.name}")
        resolver = self.resolver(app)
        try:
            result = render(
                app,
                resolver=resolver,
                cache=self._cache,
                kube_version=self.args.kube_version,
                api_versions=self.args.api_versions or (),
                plugins_dir=self.args.plugins_dir,
                timeout=self.args.timeout,
                options=self.secrets_options(),
            )
        except RenderError as exc:
            raise LocatedError(render_error_location(app, exc)) from exc
        except GitError as exc:
            if self.args.repo_root:
                raise
            raise CLIError(
                f"{one_line(str(exc))} (to render a local checkout instead: --repo-root DIR)"
            ) from exc
        if not self.overrides.empty():
            for message in unmatched_overrides(app, self.overrides, result, resolver):
                warn(f"{app.metadata.name}: {message}")
        return result

    # live state

    def live(self, app: Application, desired: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        args = self.args
        if args.live:
            if self._live is None:
                self._live = read_live(Path(args.live))
            return self._live
        if args.kubeconfig or args.context:
            return self._kube_live(app, desired)
        return []

    def _kube_live(
        self, app: Application, desired: Sequence[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        from gitopslib.cluster import KubernetesCluster, live_state

        if self._cluster is None:
            self.progress("connecting to the cluster")
            self._cluster = KubernetesCluster.from_kubeconfig(
                path=self.args.kubeconfig, context=self.args.context
            )
        return live_state(app, self._cluster, desired)


def read_live(path: Path) -> list[dict[str, Any]]:
    from gitopslib.manifest import load_manifests

    if path.is_dir():
        try:
            from gitopslib.cluster import SnapshotCluster
        except ImportError:  # pragma: no cover - the cluster package is always shipped
            objs: list[dict[str, Any]] = []
            for file in yaml_files(path):
                objs.extend(load_manifests(file))
            return objs
        return SnapshotCluster(path).objects()
    if path.is_file():
        from gitopslib.manifest import require_identity

        objs = load_manifests(path)
        require_identity(objs, file=str(path))
        return objs
    raise CLIError(f"--live {path}: no such file or folder")


@dataclass
class AppRun:
    app: Application
    result: RenderResult
    live: list[dict[str, Any]]
    comparison: ComparisonResult


def compare_app(session: Session, app: Application) -> AppRun:
    from gitopslib.diff import compare

    result = session.render(app)
    live = session.live(app, result.manifests)
    return AppRun(app, result, live, compare(result.manifests, live, app=app))


def plan_of(run: AppRun, project: AppProject | None, prune: bool | None) -> SyncPlan:
    from gitopslib.sync import SyncPlanOptions, plan_sync

    options = SyncPlanOptions(
        revision=run.result.revision,
        started_at=0,  # deterministic generateName hook names (see docs/cli.md)
        permits=project,
        prune=prune,
    )
    return plan_sync(run.comparison, app=run.app, options=options)


def apps_of(args: argparse.Namespace) -> list[Application]:
    apps = load_applications(args.apps)
    overrides = overrides_from(args)
    return [apply_overrides(app, overrides) for app in apps]
