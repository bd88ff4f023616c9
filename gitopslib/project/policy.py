"""AppProject admission rules: source repositories, destinations, app namespaces, resources.

Pure functions over duck-typed project and application objects (anything with the
attribute names of :mod:`gitopslib.models`). :class:`gitopslib.project.AppProject` wraps them
as methods; they are public here so planners and linters can call one rule alone.

Semantics follow Argo CD (argocd-semantics.md section 8), quirks included:

* ``sourceRepos``: URLs are normalised with :func:`gitopslib.giturl.normalize_git_url`, globs
  use ``/`` as separator, ``!pattern`` denies; a list made only of deny entries permits every
  repository it does not deny.
* ``destinations``: the deny precedence of Argo CD's matcher, including its operator-precedence
  quirk (see :func:`is_destination_permitted`).
* resource lists: ``filepath.Match`` globs; an absent namespaced whitelist permits everything,
  an empty one nothing; cluster-scoped resources need an entry in the cluster whitelist.

>>> is_source_permitted(["!https://github.com/evil/*"], "https://github.com/good/repo")
True
>>> is_source_permitted(["!https://github.com/evil/*"], "https://github.com/evil/repo")
False
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gitopslib.giturl import mask_credentials, normalize_git_url, repo_identity
from gitopslib.globs import filepath_match, glob_match

__all__ = [
    "DEFAULT_CONTROL_PLANE_NAMESPACE",
    "IN_CLUSTER_NAME",
    "IN_CLUSTER_SERVER",
    "Violation",
    "check_application",
    "is_app_namespace_permitted",
    "is_destination_permitted",
    "is_group_kind_permitted",
    "is_source_permitted",
]

#: Namespace Argo CD's control plane runs in (apps there are always allowed).
DEFAULT_CONTROL_PLANE_NAMESPACE = "argocd"
#: The cluster Argo CD runs in.
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"


@dataclass(frozen=True)
class Violation:
    """One refusal by an AppProject rule.

    ``rule`` is the AppProject field that refused (``sourceRepos``, ``destinations``,
    ``sourceNamespaces``, ``project``, ``permitOnlyProjectScopedClusters``), ``value`` the
    refused value, ``field`` where it came from in the Application (``spec.source.repoURL``,
    ``spec.sources[1].repoURL``, ``spec.destination``, ``metadata.namespace``).

    >>> v = Violation("sourceRepos", "https://x/y", "spec.source.repoURL", "not permitted")
    >>> str(v)
    'spec.source.repoURL: not permitted'
    """

    rule: str
    value: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def _is_deny(pattern: str) -> bool:
    return pattern.startswith("!")


def _glob_match_negatable(pattern: str, value: str, separators: str = "") -> bool:
    """Argo CD's project ``globMatch``: ``!p`` inverts, ``*`` alone matches everything."""
    if _is_deny(pattern):
        return not glob_match(pattern[1:], value, separators)
    if pattern == "*":
        return True
    return glob_match(pattern, value, separators)


def _normalize_pattern(pattern: str) -> str:
    if _is_deny(pattern):
        return "!" + normalize_git_url(pattern[1:])
    return normalize_git_url(pattern)


def is_source_permitted(source_repos: Iterable[str] | None, repo_url: str) -> bool:
    """Whether ``repo_url`` is permitted by a project's ``sourceRepos`` list.

    Any deny entry whose pattern matches refuses at once; otherwise the URL is permitted when
    some entry "matched", where a deny entry that does not match counts as matched (Argo CD's
    behaviour, which makes a list of only deny entries permit everything else).

    Stricter than Argo CD: a deny entry also refuses every other spelling of the repository
    it names (scheme, scp form, credentials, default port, ``//``, ``/./``, ``x/../``, a
    trailing ``/`` or ``.git``), compared by :func:`~gitopslib.giturl.repo_identity`; Argo
    CD's glob over its normalised URL lets such spellings through.

    >>> is_source_permitted(["*", "!https://github.com/evil/*"], "git@github.com:evil/x.git")
    False

    >>> is_source_permitted(["git@github.com:argoproj/*"], "git@GITHUB.com:argoproj/cd.git")
    True
    >>> is_source_permitted([], "https://github.com/a/b")
    False
    """
    wanted = normalize_git_url(repo_url)
    identity = repo_identity(repo_url)
    any_matched = False
    for entry in source_repos or ():
        if _is_deny(entry) and glob_match(repo_identity(entry[1:]), identity, "/"):
            return False
        pattern = _normalize_pattern(entry)
        if _glob_match_negatable(pattern, wanted, "/"):
            any_matched = True
        elif _is_deny(pattern):
            return False
    return any_matched


def _field(item: Any, name: str) -> str:
    value = getattr(item, name, None)
    if value is None and isinstance(item, Mapping):
        value = item.get(name)
    return str(value or "")


def is_destination_permitted(
    destinations: Iterable[Any] | None,
    *,
    server: str = "",
    name: str = "",
    namespace: str = "",
) -> bool:
    """Whether a destination (cluster ``server`` and/or ``name``, ``namespace``) is permitted.

    Per entry: ``server_ok = server != "" and glob(item.server)``, likewise ``name_ok``, and
    ``ns_ok = glob(item.namespace)`` (``*`` matches the empty namespace; ``!`` negates a field).
    An entry matches when ``(server_ok or name_ok) and ns_ok``. A non-matching entry refuses
    outright when its ``name`` is a deny pattern that did not match, or its ``server`` is a
    deny pattern that did not match while the namespace matched, or its ``namespace`` is a
    deny pattern that did not match while the server matched (Argo CD's precedence, kept).

    >>> d = [{"server": "*", "namespace": "*"}]
    >>> is_destination_permitted(d, server="https://k", namespace="")
    True
    >>> d = [{"server": "*", "namespace": "*"}, {"server": "*", "namespace": "!kube-system"}]
    >>> is_destination_permitted(d, server="https://k", namespace="kube-system")
    False
    """
    any_matched = False
    for item in destinations or ():
        p_server, p_name, p_ns = (
            _field(item, "server"),
            _field(item, "name"),
            _field(item, "namespace"),
        )
        name_ok = name != "" and _glob_match_negatable(p_name, name)
        server_ok = server != "" and _glob_match_negatable(p_server, server)
        ns_ok = _glob_match_negatable(p_ns, namespace)
        if (server_ok or name_ok) and ns_ok:
            any_matched = True
        elif (
            (not name_ok and _is_deny(p_name))
            or (not server_ok and _is_deny(p_server) and ns_ok)
            or (not ns_ok and _is_deny(p_ns) and server_ok)
        ):
            return False
    return any_matched


def _regex_search(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


def is_app_namespace_permitted(
    source_namespaces: Iterable[str] | None,
    app_namespace: str | None,
    control_plane_namespace: str = DEFAULT_CONTROL_PLANE_NAMESPACE,
) -> bool:
    """Whether an Application living in ``app_namespace`` may use the project.

    Apps without a namespace or in the control-plane namespace always may; others need an
    entry of ``sourceNamespaces`` that matches as a glob, or as a regular expression when the
    entry is wrapped in slashes (``/^team-.*$/``; searched, not anchored, as Go does).

    >>> is_app_namespace_permitted(["team-*"], "team-a"), is_app_namespace_permitted([], "x")
    (True, False)
    >>> is_app_namespace_permitted(["/^ci-[0-9]+$/"], "ci-42")
    True
    """
    if not app_namespace or app_namespace == control_plane_namespace:
        return True
    for entry in source_namespaces or ():
        if (
            len(entry) >= 2
            and entry.startswith("/")
            and entry.endswith("/")
            and _regex_search(entry[1:-1], app_namespace)
        ):
            return True
        if glob_match(entry, app_namespace):
            return True
    return False


def _in_list(items: Iterable[Any] | None, group: str, kind: str, name: str | None) -> bool:
    for item in items or ():
        if not filepath_match(_field(item, "kind"), kind):
            continue
        if not filepath_match(_field(item, "group"), group):
            continue
        if name is None:  # namespaced lists carry no name
            return True
        pattern = _field(item, "name")
        if pattern == "" or filepath_match(pattern, name):
            return True
    return False


def is_group_kind_permitted(
    spec: Any, group: str, kind: str, namespaced: bool, name: str | None = None
) -> bool:
    """Argo CD's ``IsGroupKindNamePermitted`` over an AppProject ``spec``.

    Namespaced: permitted when ``namespaceResourceWhitelist`` is absent (None) or non-empty and
    lists the kind, and a non-empty ``namespaceResourceBlacklist`` does not. An explicitly empty
    whitelist permits nothing. Cluster-scoped: the kind must be in a non-empty
    ``clusterResourceWhitelist`` (absent or empty: none) and not in the blacklist; entries may
    restrict ``name`` (empty = any; an unknown ``name`` is the empty name).

    >>> from types import SimpleNamespace as NS
    >>> spec = NS(namespace_resource_whitelist=None, namespace_resource_blacklist=None,
    ...           cluster_resource_whitelist=None, cluster_resource_blacklist=None)
    >>> is_group_kind_permitted(spec, "apps", "Deployment", True)
    True
    >>> is_group_kind_permitted(spec, "", "Namespace", False)
    False
    """
    if namespaced:
        white = getattr(spec, "namespace_resource_whitelist", None)
        black = getattr(spec, "namespace_resource_blacklist", None)
        whitelisted = white is None or (len(white) != 0 and _in_list(white, group, kind, None))
        blacklisted = bool(black) and _in_list(black, group, kind, None)
        return whitelisted and not blacklisted
    cwhite = getattr(spec, "cluster_resource_whitelist", None)
    cblack = getattr(spec, "cluster_resource_blacklist", None)
    the_name = name or ""
    whitelisted = bool(cwhite) and _in_list(cwhite, group, kind, the_name)
    blacklisted = bool(cblack) and _in_list(cblack, group, kind, the_name)
    return whitelisted and not blacklisted


# --- the whole Application ------------------------------------------------------------------


def _sources_with_fields(spec: Any) -> list[tuple[str, Any]]:
    sources = getattr(spec, "sources", None)
    if sources:
        return [(f"spec.sources[{i}]", s) for i, s in enumerate(sources)]
    source = getattr(spec, "source", None)
    return [("spec.source", source)] if source is not None else []


def _resolve_cluster(server: str, name: str, clusters: Mapping[str, str]) -> tuple[str, str]:
    if name and not server:
        return clusters.get(name, ""), name
    if server and not name:
        for cname, cserver in clusters.items():
            if cserver.rstrip("/") == server:
                return server, cname
    return server, name


def _project_name(project: Any) -> str:
    return str(getattr(getattr(project, "metadata", None), "name", None) or "")


def check_application(
    project: Any,
    app: Any,
    *,
    control_plane_namespace: str = DEFAULT_CONTROL_PLANE_NAMESPACE,
    clusters: Mapping[str, str] | None = None,
    project_clusters: Iterable[str] | None = None,
) -> list[Violation]:
    """Every reason ``project`` refuses ``app``; an empty list means permitted.

    ``clusters`` maps cluster names to servers so a destination given by name is checked
    against ``server`` patterns too (and vice versa); by default only Argo CD's ``in-cluster``
    is known. ``project_clusters`` (names or servers) is consulted when the project sets
    ``permitOnlyProjectScopedClusters``.

    >>> from types import SimpleNamespace as NS
    >>> proj = NS(metadata=NS(name="p"), spec=NS(source_repos=["*"], source_namespaces=None,
    ...     destinations=[NS(server="*", name=None, namespace="dev-*")],
    ...     permit_only_project_scoped_clusters=False))
    >>> app = NS(metadata=NS(name="a", namespace="argocd"), spec=NS(project="p",
    ...     source=NS(repo_url="https://x/y"), sources=None,
    ...     destination=NS(server="https://k", name=None, namespace="prod")))
    >>> [v.rule for v in check_application(proj, app)]
    ['destinations']
    """
    pname = _project_name(project)
    pspec = project.spec
    meta = getattr(app, "metadata", None)
    spec = app.spec
    out: list[Violation] = []

    app_project = str(getattr(spec, "project", None) or "default")
    if pname and app_project != pname:
        out.append(
            Violation(
                "project",
                app_project,
                "spec.project",
                f"application uses project '{app_project}', not '{pname}'",
            )
        )

    app_ns = str(getattr(meta, "namespace", None) or "")
    if not is_app_namespace_permitted(
        getattr(pspec, "source_namespaces", None), app_ns, control_plane_namespace
    ):
        out.append(
            Violation(
                "sourceNamespaces",
                app_ns,
                "metadata.namespace",
                f"application namespace '{app_ns}' is not permitted in project '{pname}'",
            )
        )

    repos = getattr(pspec, "source_repos", None)
    for prefix, source in _sources_with_fields(spec):
        url = str(getattr(source, "repo_url", None) or "")
        if not is_source_permitted(repos, url):
            shown = mask_credentials(url)  # a repoURL may carry a token
            out.append(
                Violation(
                    "sourceRepos",
                    shown,
                    f"{prefix}.repoURL",
                    f"application repo {shown} is not permitted in project '{pname}'",
                )
            )

    dest = getattr(spec, "destination", None)
    server = str(getattr(dest, "server", None) or "").rstrip("/")
    name = str(getattr(dest, "name", None) or "")
    namespace = str(getattr(dest, "namespace", None) or "")
    if server and name:
        out.append(
            Violation(
                "destinations",
                f"server={server} name={name}",
                "spec.destination",
                "application destination can't have both name and server defined",
            )
        )
        return out
    if not server and not name:
        out.append(
            Violation(
                "destinations",
                "",
                "spec.destination",
                "application destination needs a server or a name",
            )
        )
        return out
    known = dict(clusters) if clusters is not None else {IN_CLUSTER_NAME: IN_CLUSTER_SERVER}
    r_server, r_name = _resolve_cluster(server, name, known)
    shown = f"server '{server}'" if server else f"name '{name}'"
    if not is_destination_permitted(
        getattr(pspec, "destinations", None), server=r_server, name=r_name, namespace=namespace
    ):
        out.append(
            Violation(
                "destinations",
                f"{server or name} namespace={namespace}",
                "spec.destination",
                f"application destination {shown} and namespace '{namespace}' do not match "
                f"any of the allowed destinations in project '{pname}'",
            )
        )
    elif getattr(pspec, "permit_only_project_scoped_clusters", False):
        scoped = set(project_clusters or ())
        if not ({r_server, r_name} - {""}) & scoped:
            out.append(
                Violation(
                    "permitOnlyProjectScopedClusters",
                    server or name,
                    "spec.destination",
                    f"application destination {shown} is not a cluster scoped to project '{pname}'",
                )
            )
    return out
