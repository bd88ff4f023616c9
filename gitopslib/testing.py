"""Runner-neutral helpers for deployment checks: render, compare and plan an Application in a
test, and assertions whose failure messages show a readable diff.

Works with any test runner (the assertions raise :class:`AssertionError`); the pytest plugin
(:mod:`gitopslib.pytest_plugin`) only wraps :class:`GitOps` in a ``gitops`` fixture.

>>> gitops = GitOps(repo_root="examples/01-directory-app/repo")
>>> app = "examples/01-directory-app/application.yaml"
>>> sorted(o["kind"] for o in gitops.render(app).manifests)
['ConfigMap', 'Deployment', 'Service']
>>> assert_plan_order(gitops.plan(app), ["ConfigMap/guestbook-settings", "Deployment/guestbook-ui"])
"""

from __future__ import annotations

import difflib
import fnmatch
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitopslib.diff import ComparisonResult
    from gitopslib.models import Application
    from gitopslib.sources import RenderCache, RenderResult, Resolver
    from gitopslib.sync import SyncPlan, SyncPlanOptions, SyncTask

__all__ = [
    "GitOps",
    "assert_no_drift",
    "assert_only_changes",
    "assert_plan_order",
    "changed_paths",
]


def _resolve(value: Any, base_dir: Path | None) -> Any:
    """A relative path that does not exist from the working directory but does under
    ``base_dir`` (the pytest rootdir), made absolute; anything else as it is."""
    if base_dir is None or not isinstance(value, (str, os.PathLike)):
        return value
    text = os.fspath(value)
    if "\n" in text or not text or Path(text).is_absolute() or Path(text).exists():
        return value
    candidate = base_dir / text
    return candidate if candidate.exists() else value


def _load_app(app: Any) -> Application:
    from gitopslib.models import Application

    if isinstance(app, Application):
        return app
    if isinstance(app, Mapping):
        return Application.from_dict(app)
    if isinstance(app, (str, os.PathLike)):
        return Application.from_yaml(app)
    raise TypeError(f"expected an Application, its YAML, a path or a dict, got {type(app)!r}")


def _load_live(live: Any) -> list[dict[str, Any]]:
    """Live objects from a list of dicts, a folder or file of YAML, or a cluster object with
    ``objects()`` (MemoryCluster, SnapshotCluster)."""
    from gitopslib.manifest import load_manifests

    if live is None:
        return []
    objects = getattr(live, "objects", None)
    if callable(objects):
        return list(objects())
    if isinstance(live, (str, os.PathLike)):
        path = Path(live)
        if path.is_dir():
            from gitopslib.cluster import SnapshotCluster

            return SnapshotCluster(path).objects()
        return load_manifests(path)
    return [dict(o) for o in live]


def _manifests(value: Any) -> list[dict[str, Any]]:
    manifests = getattr(value, "manifests", None)
    if manifests is not None:
        return list(manifests)
    if isinstance(value, (str, os.PathLike)):
        return _load_live(value)
    return list(value)


class GitOps:
    """Render, compare and plan Applications in tests, with one render cache per instance.

    ``repo_root`` (a local checkout) serves every repository URL; without it, each source's
    ``repoURL`` is cloned into ``cache_dir`` (the Git cache). ``render_options`` reach
    :func:`gitopslib.sources.render` (``kube_version``, ``plugins_dir``, ...). Apps may be
    given as :class:`~gitopslib.models.Application`, a file path, YAML text or a dict.
    A relative path (app, live state, manifests) that does not exist from the working
    directory is looked up under ``base_dir`` (the pytest fixture passes the rootdir, so
    tests run from any directory).

    >>> GitOps(repo_root="examples/01-directory-app/repo").compare(
    ...     "examples/01-directory-app/application.yaml").sync_status
    'OutOfSync'
    """

    def __init__(
        self,
        repo_root: str | os.PathLike[str] | None = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        base_dir: str | os.PathLike[str] | None = None,
        **render_options: Any,
    ) -> None:
        self.base_dir = Path(base_dir) if base_dir is not None else None
        self.repo_root = Path(repo_root) if repo_root is not None else None
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.render_options = render_options
        self._cache: RenderCache | None = None
        self._repos: dict[str, Any] = {}

    @property
    def cache(self) -> RenderCache:
        """The render cache (on disk under ``cache_dir``, else in memory)."""
        if self._cache is None:
            from gitopslib.sources import RenderCache

            directory = self.cache_dir / "render" if self.cache_dir is not None else None
            self._cache = RenderCache(directory=directory)
        return self._cache

    def application(self, app: Any) -> Application:
        """``app`` as an Application model (from a model, a path, YAML text or a dict)."""
        return _load_app(_resolve(app, self.base_dir))

    def _resolver(self, app: Application, repo_root: Any) -> Resolver:
        from gitopslib.sources import Resolver

        root = repo_root if repo_root is not None else self.repo_root
        if root is not None:
            return Resolver(default=Path(root))
        from gitopslib.git import GitRepository

        git_cache = self.cache_dir / "git" if self.cache_dir is not None else None
        mapping: dict[str, Any] = {}
        for source in app.spec.all_sources():
            url = str(source.repo_url or "")
            if url not in self._repos:
                self._repos[url] = GitRepository(url, cache_dir=git_cache)
            mapping[url] = self._repos[url]
        return Resolver(mapping)

    def render(
        self, app: Any, *, repo_root: str | os.PathLike[str] | None = None, **options: Any
    ) -> RenderResult:
        """The desired manifests of ``app`` (see :func:`gitopslib.sources.render`)."""
        from gitopslib.sources import render

        model = self.application(app)
        kwargs = {**self.render_options, **options}
        return render(model, resolver=self._resolver(model, repo_root), cache=self.cache, **kwargs)

    def compare(
        self,
        app: Any,
        live: Any = None,
        *,
        repo_root: str | os.PathLike[str] | None = None,
        desired: Iterable[dict[str, Any]] | None = None,
    ) -> ComparisonResult:
        """Desired (rendered, or ``desired``) against ``live`` (None: an empty cluster; a list
        of objects, a YAML folder or file, or a cluster with ``objects()``)."""
        from gitopslib.diff import compare

        model = self.application(app)
        objs = (
            list(desired)
            if desired is not None
            else self.render(model, repo_root=repo_root).manifests
        )
        return compare(objs, _load_live(_resolve(live, self.base_dir)), app=model)

    def plan(
        self,
        app: Any,
        live: Any = None,
        *,
        repo_root: str | os.PathLike[str] | None = None,
        options: SyncPlanOptions | None = None,
    ) -> SyncPlan:
        """The sync plan of ``app`` against ``live`` (see :func:`gitopslib.sync.plan_sync`)."""
        from gitopslib.sync import SyncPlanOptions, plan_sync

        model = self.application(app)
        comparison = self.compare(model, live, repo_root=repo_root)
        return plan_sync(comparison, app=model, options=options or SyncPlanOptions(started_at=0))

    # the assertions, for convenience: gitops.assert_no_drift(...)
    # (``__tracebackhide__``: pytest reports the failure at the test's line, not in here)
    @staticmethod
    def assert_no_drift(comparison: ComparisonResult) -> None:
        """See :func:`assert_no_drift`."""
        __tracebackhide__ = True
        assert_no_drift(comparison)

    @staticmethod
    def assert_plan_order(plan: SyncPlan, expected: Sequence[Any]) -> None:
        """See :func:`assert_plan_order`."""
        __tracebackhide__ = True
        assert_plan_order(plan, expected)

    def assert_only_changes(self, base: Any, head: Any, paths: Iterable[str] = ()) -> None:
        """See :func:`assert_only_changes` (relative paths are looked up as for apps)."""
        __tracebackhide__ = True
        assert_only_changes(
            _resolve(base, self.base_dir), _resolve(head, self.base_dir), paths=paths
        )


# ------------------------------------------------------------------------------ assertions


def assert_no_drift(comparison: ComparisonResult) -> None:
    """Fail unless every resource of the comparison is Synced; the message lists each
    drifted resource with its (Secret-masked) unified diff.

    >>> from gitopslib.diff import compare
    >>> cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "d"}}
    >>> assert_no_drift(compare([cm], [cm]))
    """
    __tracebackhide__ = True
    drifted = [
        r
        for r in comparison.resources
        if r.status == "OutOfSync" and not (r.requires_pruning and r.ignore_extraneous)
    ]
    if not drifted:
        return
    lines = [f"{len(drifted)} resource(s) drifted from Git:"]
    for r in drifted:
        what = (
            "live only, would be pruned"
            if r.requires_pruning
            else ("missing live" if r.live is None else "differs")
        )
        lines.append(f"  {_display(r.group, r.kind, r.namespace, r.name)} ({what})")
    for r in drifted:
        if r.diff:
            lines.append("")
            lines.append(r.diff.rstrip("\n"))
    raise AssertionError("\n".join(lines))


def _display(group: str, kind: str, namespace: str, name: str) -> str:
    gk = f"{group}/{kind}" if group else kind
    return f"{gk} {namespace}/{name}" if namespace else f"{gk} {name}"


def _task_label(task: SyncTask) -> str:
    return f"{task.phase}/{task.wave}: {task.kind}/{task.name}"


def _matches(task: SyncTask, item: Any) -> bool:
    if isinstance(item, str):
        kind, sep, name = item.partition("/")
        if not sep:
            kind, _, name = item.partition(" ")
        name = name or "*"  # a bare "Kind" is any object of that kind
    else:
        kind, name = item[0], item[1]
    names = {task.name}
    if task.generate_name:
        names.add(task.generate_name)
    return task.kind == kind and any(fnmatch.fnmatchcase(n, name) for n in names)


def assert_plan_order(plan: SyncPlan, expected: Sequence[Any]) -> None:
    """Fail unless the tasks named in ``expected`` appear in the plan in that order (other
    tasks may come between). Items are ``"Kind/name"`` (glob allowed in the name; a
    ``generateName`` hook matches its prefix; a bare ``"Kind"`` is any object of that kind)
    or ``(kind, name)`` tuples.

    >>> from gitopslib.sync import SyncPlan, SyncTask
    >>> plan = SyncPlan(tasks=[SyncTask("Sync", 0, "", "ConfigMap", "ns", "cfg", "create"),
    ...                        SyncTask("Sync", 1, "apps", "Deployment", "ns", "web", "create")])
    >>> assert_plan_order(plan, ["ConfigMap/cfg", "Deployment/web"])
    """
    __tracebackhide__ = True
    tasks = list(plan.tasks)
    position = 0
    found: list[int] = []
    problem = ""
    for item in expected:
        index = next((i for i in range(position, len(tasks)) if _matches(tasks[i], item)), None)
        if index is None:
            earlier = next((i for i in range(position) if _matches(tasks[i], item)), None)
            problem = (
                f"{item!r} is not in the plan"
                if earlier is None
                else f"{item!r} comes at position {earlier + 1}, before "
                f"{expected[len(found) - 1]!r} (position {found[-1] + 1})"
            )
            break
        found.append(index)
        position = index + 1
    if not problem:
        return
    lines = [f"plan order: {problem}", "expected, in this order:"]
    lines += [f"  {item}" for item in expected]
    lines.append("the plan:")
    lines += [f"  {i + 1:>3}. {_task_label(t)}" for i, t in enumerate(tasks)]
    raise AssertionError("\n".join(lines))


def _leaf_changes(before: Any, after: Any, pointer: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            token = str(key).replace("~", "~0").replace("/", "~1")
            if key not in before or key not in after:
                out.append(f"{pointer}/{token}")
            else:
                out.extend(_leaf_changes(before[key], after[key], f"{pointer}/{token}"))
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out.extend(_leaf_changes(b, a, f"{pointer}/{i}"))
        return out
    return [] if before == after else [pointer]


def _label(obj: Mapping[str, Any]) -> tuple[str, str]:
    """``([group/]Kind[/namespace]/name, Kind/name)`` of an object."""
    from gitopslib.manifest import key_of

    key = key_of(dict(obj))
    gk = f"{key.group}/{key.kind}" if key.group else key.kind
    label = f"{gk}/{key.namespace}/{key.name}" if key.namespace else f"{gk}/{key.name}"
    return label, f"{key.kind}/{key.name}"


def _index(objs: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {_label(obj)[0]: obj for obj in objs}


def changed_paths(base: Any, head: Any) -> dict[str, list[str]]:
    """What differs between two sets of manifests: ``{"[group/]Kind[/namespace]/name":
    [pointers]}`` (JSON pointers of changed leaves; ``[""]`` for an added or removed object).

    >>> a = [{"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "1"}}]
    >>> b = [{"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "2"}}]
    >>> changed_paths(a, b)
    {'ConfigMap/c': ['/data/k']}
    """
    before, after = _index(_manifests(base)), _index(_manifests(head))
    changes: dict[str, list[str]] = {}
    for label in sorted(set(before) | set(after)):
        b, a = before.get(label), after.get(label)
        if b is None or a is None:
            changes[label] = [""]
        elif b != a:
            changes[label] = _leaf_changes(b, a)
    return changes


def _allowed(names: tuple[str, str], pointer: str, patterns: Sequence[str]) -> bool:
    label, short = names
    for pattern in patterns:
        if pattern.startswith("/"):
            obj_pat, ptr_pat = "*", pattern
        else:
            obj_pat, sep, ptr_pat = pattern.partition(":")
            if not sep:
                ptr_pat = "*"
        if not (fnmatch.fnmatchcase(label, obj_pat) or fnmatch.fnmatchcase(short, obj_pat)):
            continue
        if ptr_pat == "*" or fnmatch.fnmatchcase(pointer, ptr_pat):
            return True
        if pointer and pointer.startswith(ptr_pat.rstrip("/") + "/"):
            return True
    return False


def assert_only_changes(base: Any, head: Any, paths: Iterable[str] = ()) -> None:
    """Fail when ``head`` differs from ``base`` anywhere ``paths`` does not allow.

    ``base``/``head`` are lists of manifests, :class:`~gitopslib.sources.RenderResult`
    objects or YAML paths. Each entry of ``paths`` is a JSON pointer for any object
    (``/spec/replicas``, covering everything below it; globs allowed), ``Kind/name:pointer``
    for one object (``Deployment/web:/spec/template/spec/containers/*/image``), or
    ``Kind/name`` for any change of that object, including adding or removing it. The
    failure message lists the unexpected paths and a unified diff (Secret values masked).

    >>> a = [{"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "1"}}]
    >>> b = [{"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "2"}}]
    >>> assert_only_changes(a, b, paths=["ConfigMap/c:/data"])
    """
    __tracebackhide__ = True
    patterns = list(paths)
    base_objs, head_objs = _manifests(base), _manifests(head)
    names = {_label(o)[0]: _label(o) for o in [*base_objs, *head_objs]}
    unexpected = {
        label: bad
        for label, pointers in changed_paths(base_objs, head_objs).items()
        if (bad := [p for p in pointers if not _allowed(names[label], p, patterns)])
    }
    if not unexpected:
        return
    lines = ["unexpected changes (allowed: " + (", ".join(patterns) or "nothing") + "):"]
    for label, pointers in unexpected.items():
        shown = ", ".join(p or "(whole object added or removed)" for p in pointers)
        lines.append(f"  {label}: {shown}")
    lines.append("")
    lines.append(_masked_diff(base_objs, head_objs, set(unexpected)))
    raise AssertionError("\n".join(lines).rstrip("\n"))


def _masked_diff(
    base: Sequence[dict[str, Any]], head: Sequence[dict[str, Any]], labels: set[str]
) -> str:
    from gitopslib.diff import mask_secrets
    from gitopslib.manifest import dump_manifests

    before, after = _index(base), _index(head)
    chunks = []
    for label in sorted(labels):
        b, a = mask_secrets([before.get(label), after.get(label)])
        lb = dump_manifests([b]).splitlines(keepends=True) if b is not None else []
        la = dump_manifests([a]).splitlines(keepends=True) if a is not None else []
        chunks.append("".join(difflib.unified_diff(lb, la, f"base/{label}", f"head/{label}")))
    return "".join(chunks)
