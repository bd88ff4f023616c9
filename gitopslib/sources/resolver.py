"""Where a source's ``repoURL`` lives on this machine: a local folder or a Git repository.

CI jobs render offline: map the repository URL an Application names to the checkout the job
already has (``Resolver(default=Path("."))``), or to a :class:`~gitopslib.git.GitRepository`
cache. :func:`render_tree` renders an app-of-apps recursively: every ``Application`` a render
yields is rendered in turn through the same resolver.

>>> import pathlib
>>> r = Resolver({"https://github.com/org/repo.git": pathlib.Path(".")})
>>> with r.open("https://github.com/ORG/repo", "HEAD") as src:
...     src.revision is None
True
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from gitopslib.errors import GitOpsError, RenderError

if TYPE_CHECKING:
    from gitopslib.models import Application
    from gitopslib.sources.render import RenderResult

__all__ = ["AppNode", "RepositoryLike", "ResolvedSource", "Resolver", "render_tree"]


@runtime_checkable
class RepositoryLike(Protocol):
    """What the resolver needs of a Git repository (``gitopslib.git.GitRepository``)."""

    def resolve(self, rev: str) -> str: ...

    def checkout(self, sha: str) -> Any: ...


@dataclass(frozen=True)
class ResolvedSource:
    """A source's repository on disk: ``root`` and the commit it holds (None for a plain
    folder, unless the caller named one); ``repository`` the Git repository it came from
    (None for a folder)."""

    root: Path
    revision: str | None
    repository: RepositoryLike | None = field(default=None, compare=False, repr=False)


@functools.lru_cache(maxsize=4096)
def _normalize(url: str) -> str:
    try:
        from gitopslib.giturl import normalize_git_url
    except ImportError:  # pragma: no cover - the base layer always ships it
        return url.strip().lower().removesuffix(".git")
    return normalize_git_url(url)


Target = Path | str | RepositoryLike


class Resolver:
    """Maps repository URLs to local folders or Git repositories.

    ``repos`` maps URLs (compared after Argo CD's URL normalisation) to targets; ``default``
    serves every other URL. ``revision`` pins the commit for the default target (a local
    folder reports it as its revision; a Git repository resolves it instead of the source's
    ``targetRevision``).

    >>> Resolver(default=".").targets()
    ['<default>']
    """

    def __init__(
        self,
        repos: Mapping[str, Target] | None = None,
        *,
        default: Target | None = None,
        revision: str | None = None,
    ) -> None:
        self._repos: dict[str, Target] = {}
        for url, target in (repos or {}).items():
            self.add(url, target)
        self.default = default
        self.revision = revision

    def add(self, url: str, target: Target) -> None:
        """Map ``url`` to a folder or a repository."""
        self._repos[_normalize(url)] = target

    def targets(self) -> list[str]:
        """The mapped (normalised) URLs, and ``<default>`` when there is a default."""
        return sorted(self._repos) + (["<default>"] if self.default is not None else [])

    def lookup(self, repo_url: str) -> tuple[Target, bool]:
        """The target for ``repo_url`` and whether it is the default one."""
        target = self._repos.get(_normalize(repo_url or ""))
        if target is not None:
            return target, False
        if self.default is not None:
            return self.default, True
        from gitopslib.giturl import mask_credentials

        raise RenderError(
            f"no local folder or repository is known for {mask_credentials(repo_url)!r}: map it "
            "with Resolver({url: path}) or pass repo_root=/repository=",
            source_type=None,
            path=None,
        )

    @contextmanager
    def open(
        self,
        repo_url: str,
        target_revision: str | None,
        *,
        resolve: Callable[[RepositoryLike, str], str] | None = None,
        checkout: Callable[[RepositoryLike, str], AbstractContextManager[Any]] | None = None,
    ) -> Iterator[ResolvedSource]:
        """The checkout of ``repo_url`` at ``target_revision`` for the duration of the block.
        ``resolve(repository, revision)`` replaces ``repository.resolve(revision)`` and
        ``checkout(repository, sha)`` replaces ``repository.checkout(sha)`` (a
        :class:`~gitopslib.sources.RenderPass` resolves each revision and opens each checkout
        once per pass)."""
        target, is_default = self.lookup(repo_url)
        pinned = self.revision if is_default else None
        if isinstance(target, (str, os.PathLike)):
            root = Path(target)
            if not root.is_dir():
                raise RenderError(
                    f"repository folder {root} does not exist", source_type=None, path=str(root)
                )
            yield ResolvedSource(root, pinned)
            return
        rev = pinned or target_revision or "HEAD"
        sha = resolve(target, rev) if resolve is not None else target.resolve(rev)
        with checkout(target, sha) if checkout is not None else target.checkout(sha) as root:
            yield ResolvedSource(Path(root), sha, target)


@dataclass
class AppNode:
    """One Application of an app-of-apps tree with its render (or the error it raised)."""

    app: Application
    result: RenderResult | None = None
    error: GitOpsError | None = None
    children: list[AppNode] = field(default_factory=list)

    def walk(self) -> Iterator[AppNode]:
        """This node and every descendant, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


def _application_from_manifest(obj: Mapping[str, Any]) -> Application:
    from gitopslib.models import Application

    validate = getattr(Application, "model_validate", None)
    if validate is not None:
        return validate(dict(obj))  # type: ignore[no-any-return]
    from gitopslib.manifest import dump_manifests

    return Application.from_yaml(dump_manifests([obj]))


def _is_application(obj: Mapping[str, Any]) -> bool:
    return obj.get("kind") == "Application" and str(obj.get("apiVersion", "")).startswith(
        "argoproj.io/"
    )


def render_tree(
    root_app: Application,
    resolver: Resolver,
    *,
    max_depth: int = 10,
    strict: bool = False,
    **render_kwargs: Any,
) -> AppNode:
    """Render ``root_app`` and, recursively, every Application its manifests contain.

    Children that fail to render keep their error on the node (``strict=True`` raises it
    instead); an Application seen twice (a cycle) is not rendered again.

    >>> # see docs/sources.md for a runnable example
    """
    from gitopslib.sources.render import render

    seen: set[tuple[str, str]] = set()

    def visit(app: Application, depth: int) -> AppNode:
        node = AppNode(app)
        ident = (str(getattr(app.metadata, "namespace", None) or ""), str(app.metadata.name))
        seen.add(ident)
        try:
            node.result = render(app, resolver=resolver, **render_kwargs)
        except GitOpsError as exc:
            if strict:
                raise
            node.error = exc
            return node
        if depth >= max_depth:
            return node
        for obj in node.result.manifests:
            if not _is_application(obj):
                continue
            meta = obj.get("metadata") or {}
            child_ident = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            if child_ident in seen:
                continue
            child = _application_from_manifest(obj)
            node.children.append(visit(child, depth + 1))
        return node

    return visit(root_app, 0)
