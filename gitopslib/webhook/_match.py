"""``apps_for_webhook``: the Applications a verified push refreshes (argocd-semantics §11.3-4).

A source is touched when its ``targetRevision`` names the pushed branch or tag (``HEAD`` or
empty: the push went to the default branch; a semver constraint: the pushed tag satisfies
it) and its ``repoURL`` is the pushed repository (Argo CD's web-URL pattern: any scheme,
user, ``ssh.``/``altssh.`` host prefix, port and ``.git`` suffix). An app with the
``argocd.argoproj.io/manifest-generate-paths`` annotation is refreshed only when a changed
file equals, lies under or ``filepath.Match``-es one of its paths (``;``-separated;
``/abs`` from the repository root, others relative to the source's ``path``; ``.`` is the
source path itself). Multi-source apps are refreshed when any source is touched, ``$ref``
value sources included.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from gitopslib.giturl import same_url
from gitopslib.globs import filepath_match
from gitopslib.webhook._parse import PushEvent, parse_revision

__all__ = [
    "MANIFEST_GENERATE_PATHS",
    "app_refresh_paths",
    "apps_for_webhook",
    "files_touch_paths",
    "url_matches",
]

#: The annotation that narrows which changed files refresh an app.
MANIFEST_GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"

_USER = r"[\w\.][\w\.-]{0,30}[\w\.\$-]?"

A = TypeVar("A")


def _web_url_regex(web_url: str) -> re.Pattern[str] | None:
    try:
        parts = urlsplit(web_url.strip())
        host = parts.hostname
    except ValueError:
        return None
    if not host:
        return None
    path = parts.path.strip("/")
    path = path.removesuffix(".git")
    if not path:
        return None
    return re.compile(
        rf"^((https?|ssh)://)?({_USER}@)?((alt)?ssh\.)?{re.escape(host)}(:\d+)?[:/]"
        rf"{re.escape(path)}(\.git)?/?$",
        re.IGNORECASE,
    )


def url_matches(web_url: str, repo_url: str) -> bool:
    """Whether an app's ``repoURL`` names the repository a provider calls ``web_url``.

    >>> url_matches("https://github.com/o/r", "git@github.com:o/r.git")
    True
    >>> url_matches("https://github.com/o/r", "https://github.com/o/r2")
    False
    """
    pattern = _web_url_regex(web_url)
    if pattern is not None and pattern.match(repo_url.strip()):
        return True
    return same_url(web_url, repo_url)


def _revision_touched(target: str | None, event: PushEvent) -> bool:
    raw = (target or "").strip()
    wanted = parse_revision(raw)
    if wanted in ("", "HEAD"):
        return event.touched_head
    if raw.startswith(("refs/heads/", "refs/tags/")):
        return wanted == event.revision
    if wanted == event.revision:
        return True
    from gitopslib.git._semver import parse_constraint, parse_version

    if parse_version(wanted) is None:
        constraint = parse_constraint(wanted)
        pushed = parse_version(event.revision)
        if constraint is not None and pushed is not None:
            return constraint.check(pushed)
    return False


def _annotations(app: Any) -> dict[str, str]:
    meta = getattr(app, "metadata", None)
    found = getattr(meta, "annotations", None) if meta is not None else None
    return dict(found or {})


def _sources(app: Any) -> list[Any]:
    spec = app.spec
    all_sources = getattr(spec, "all_sources", None)
    if callable(all_sources):
        return list(all_sources())
    many = getattr(spec, "sources", None)
    if many:
        return list(many)
    one = getattr(spec, "source", None)
    return [one] if one is not None else []


def app_refresh_paths(app: Any, source_path: str | None) -> list[str] | None:
    """The repository paths the annotation names for a source at ``source_path``, or None
    without the annotation (then every change counts).

    >>> from types import SimpleNamespace as NS
    >>> app = NS(metadata=NS(annotations={MANIFEST_GENERATE_PATHS: ".; ../common ;/lib"}))
    >>> app_refresh_paths(app, "apps/web")
    ['apps/web', 'apps/common', 'lib']
    """
    value = _annotations(app).get(MANIFEST_GENERATE_PATHS)
    if not value:
        return None
    paths: list[str] = []
    for item in value.split(";"):
        item = item.strip()
        if not item:
            continue
        if item.startswith("/"):
            paths.append(item[1:])
        else:
            paths.append(posixpath.normpath(posixpath.join(source_path or "", item)))
    return paths


def files_touch_paths(paths: Sequence[str] | None, changed: Sequence[str] | None) -> bool:
    """Argo CD's ``AppFilesHaveChanged``: no paths or no file list means "yes"; otherwise a
    changed file equal to a path, under it, or matching it as a ``filepath.Match`` pattern.

    >>> files_touch_paths(["apps/web"], ["apps/web/deploy.yaml"])
    True
    >>> files_touch_paths(["apps/web"], ["apps/webby/x.yaml", "README.md"])
    False
    """
    if not paths or not changed:
        return True
    for name in changed:
        f = "/" + posixpath.normpath(name.lstrip("/"))
        for item in paths:
            p = "/" + posixpath.normpath(item.lstrip("/"))
            if p in ("/", "/."):
                return True
            if f == p or f.startswith(p.rstrip("/") + "/") or filepath_match(p, f):
                return True
    return False


def _source_touched(app: Any, source: Any, event: PushEvent) -> bool:
    if not _revision_touched(getattr(source, "target_revision", None), event):
        return False
    repo_url = str(getattr(source, "repo_url", "") or "")
    urls = event.repo_urls or (event.repo_url,)
    if not repo_url or not any(url_matches(u, repo_url) for u in urls):
        return False
    paths = app_refresh_paths(app, getattr(source, "path", None))
    return files_touch_paths(paths, event.changed_files)


def apps_for_webhook(event: PushEvent | None, apps: Iterable[A]) -> list[A]:
    """The apps (in input order) that ``event`` refreshes; none for ``None`` (a ping).

    >>> import gitopslib as g
    >>> app = g.Application.from_yaml('''
    ... apiVersion: argoproj.io/v1alpha1
    ... kind: Application
    ... metadata:
    ...   name: web
    ...   annotations: {argocd.argoproj.io/manifest-generate-paths: .}
    ... spec:
    ...   source: {repoURL: https://github.com/o/r.git, path: apps/web, targetRevision: main}
    ...   destination: {name: in-cluster, namespace: web}
    ... ''')
    >>> ev = PushEvent("github", "https://github.com/o/r", "main", "refs/heads/main",
    ...                changed_files=("apps/web/deploy.yaml",))
    >>> [a.metadata.name for a in apps_for_webhook(ev, [app])]
    ['web']
    >>> ev = PushEvent("github", "https://github.com/o/r", "main", "refs/heads/main",
    ...                changed_files=("apps/api/deploy.yaml",))
    >>> apps_for_webhook(ev, [app])
    []
    """
    if event is None:
        return []
    return [app for app in apps if any(_source_touched(app, s, event) for s in _sources(app))]
