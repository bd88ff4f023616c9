"""Kubernetes objects as plain dicts: identity, annotations and fast, bounded YAML loading.

Every layer of gitopslib passes Kubernetes objects around as ``dict[str, Any]`` exactly as
they appear in YAML. This module says who an object is (:class:`ResourceKey`), reads the
Argo CD annotations that steer it, and parses manifests in bulk with libyaml.

>>> objs = load_manifests("apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: a}\\n")
>>> key_of(objs[0], default_namespace="prod")
ResourceKey(group='', kind='ConfigMap', namespace='prod', name='a')
"""

import gc
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import yaml

from gitopslib.errors import ManifestError

__all__ = [
    "ANNOTATION_COMPARE_OPTIONS",
    "ANNOTATION_HOOK",
    "ANNOTATION_HOOK_DELETE_POLICY",
    "ANNOTATION_IGNORE_HEALTHCHECK",
    "ANNOTATION_LAST_APPLIED",
    "ANNOTATION_SYNC_OPTIONS",
    "ANNOTATION_SYNC_WAVE",
    "ANNOTATION_TRACKING_ID",
    "CLUSTER_SCOPED_KINDS",
    "HELM_HOOK",
    "HELM_HOOK_DELETE_POLICY",
    "HELM_HOOK_WEIGHT",
    "LABEL_INSTANCE",
    "Manifest",
    "ResourceKey",
    "annotations",
    "api_group",
    "csv_annotation",
    "dump_manifests",
    "expand_list_objects",
    "is_cluster_scoped",
    "iter_yaml_documents",
    "key_of",
    "labels",
    "load_manifests",
    "load_yaml_documents",
    "paused_gc",
    "require_identity",
    "split_csv",
]

Manifest = dict[str, Any]

ANNOTATION_SYNC_WAVE = "argocd.argoproj.io/sync-wave"
ANNOTATION_HOOK = "argocd.argoproj.io/hook"
ANNOTATION_HOOK_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"
ANNOTATION_SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
ANNOTATION_COMPARE_OPTIONS = "argocd.argoproj.io/compare-options"
ANNOTATION_TRACKING_ID = "argocd.argoproj.io/tracking-id"
ANNOTATION_IGNORE_HEALTHCHECK = "argocd.argoproj.io/ignore-healthcheck"
ANNOTATION_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
HELM_HOOK = "helm.sh/hook"
HELM_HOOK_WEIGHT = "helm.sh/hook-weight"
HELM_HOOK_DELETE_POLICY = "helm.sh/hook-delete-policy"
LABEL_INSTANCE = "app.kubernetes.io/instance"

#: Built-in cluster-scoped kinds, by (group, kind). Custom resources are namespaced unless the
#: caller says otherwise (``extra``), which is what Argo CD assumes without API discovery.
CLUSTER_SCOPED_KINDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("networking.k8s.io", "IngressClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("policy", "PodSecurityPolicy"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("apiregistration.k8s.io", "APIService"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("argoproj.io", "ClusterWorkflowTemplate"),
    }
)


class ResourceKey(NamedTuple):
    """Who an object is: API group (no version; "" for core), kind, namespace, name."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        gk = f"{self.group}/{self.kind}" if self.group else self.kind
        return f"{gk} {self.namespace}/{self.name}" if self.namespace else f"{gk} {self.name}"


def api_group(obj: Mapping[str, Any]) -> str:
    """The API group of ``obj`` without its version ("" for the core group)."""
    api_version = str(obj.get("apiVersion") or "")
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def crd_cluster_scoped(objs: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """The (group, kind) pairs that the CustomResourceDefinitions among ``objs`` declare
    cluster-scoped (``spec.scope: Cluster``): how a custom kind's scope is learned from the
    desired and live objects when no cluster discovery is at hand.

    >>> crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    ...        "spec": {"group": "example.com", "scope": "Cluster", "names": {"kind": "Quota"}}}
    >>> sorted(crd_cluster_scoped([crd]))
    [('example.com', 'Quota')]
    """
    out: set[tuple[str, str]] = set()
    for obj in objs:
        if (
            obj.get("kind") != "CustomResourceDefinition"
            or api_group(obj) != "apiextensions.k8s.io"
        ):
            continue
        spec = obj.get("spec")
        if not isinstance(spec, Mapping) or spec.get("scope") != "Cluster":
            continue
        names = spec.get("names")
        kind = names.get("kind") if isinstance(names, Mapping) else None
        if spec.get("group") and kind:
            out.add((str(spec["group"]), str(kind)))
    return out


def is_cluster_scoped(group: str, kind: str, extra: Iterable[tuple[str, str]] = ()) -> bool:
    """Whether (group, kind) is cluster-scoped, from the built-in table plus ``extra``."""
    return (group, kind) in CLUSTER_SCOPED_KINDS or (group, kind) in set(extra)


def key_of(obj: Mapping[str, Any], default_namespace: str | None = None) -> ResourceKey:
    """The :class:`ResourceKey` of ``obj``.

    A namespaced object without ``metadata.namespace`` gets ``default_namespace`` (the
    Application's destination namespace); cluster-scoped objects always get "".
    """
    meta = obj.get("metadata") or {}
    group = api_group(obj)
    kind = str(obj.get("kind") or "")
    if is_cluster_scoped(group, kind):
        namespace = ""
    else:
        namespace = str(meta.get("namespace") or default_namespace or "")
    name = str(meta.get("name") or meta.get("generateName") or "")
    return ResourceKey(group, kind, namespace, name)


def annotations(obj: Mapping[str, Any]) -> dict[str, str]:
    """The object's annotations (an empty dict when it has none)."""
    meta = obj.get("metadata") or {}
    return dict(meta.get("annotations") or {})


def labels(obj: Mapping[str, Any]) -> dict[str, str]:
    """The object's labels (an empty dict when it has none)."""
    meta = obj.get("metadata") or {}
    return dict(meta.get("labels") or {})


def csv_annotation(obj: Mapping[str, Any], key: str) -> list[str]:
    """A comma-separated annotation as Argo CD reads it: items trimmed, empties and repeats
    dropped, order kept."""
    raw = annotations(obj).get(key)
    return [] if raw is None else split_csv(raw)


def split_csv(value: Any) -> list[str]:
    """A comma-separated value as Argo CD reads it: items trimmed, empties and repeats
    dropped, order kept.

    >>> split_csv(" Prune=false,,Validate=false, Prune=false")
    ['Prune=false', 'Validate=false']
    """
    seen: list[str] = []
    for item in str(value).split(","):
        item = item.strip()
        if item and item not in seen:
            seen.append(item)
    return seen


# --- loading -------------------------------------------------------------------------------

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_SPECIAL_KEYS = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


class _Fallback(Exception):
    """A document needs PyYAML's general constructor (merge keys, unusual tags)."""


class _ManifestLoader(_Loader):  # type: ignore[valid-type,misc]
    """libyaml's safe loader, tuned for bulk manifests.

    * No timestamp resolver: Kubernetes tooling (go-yaml via sigs.k8s.io/yaml) keeps
      ``2024-01-01`` a string, and so must we.
    * A direct builder for the common case (plain maps, sequences and strings), with
      PyYAML's own constructor for every other scalar and for documents using merge keys or
      unusual tags, so results equal the safe loader's. Aliased nodes are built once and
      shared, as PyYAML does.
    """

    _resolvers_by_first: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # PyYAML's Resolver.resolve without path resolvers (never used here) and without
        # building a list per scalar.
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self._resolvers_by_first.get(value[:1] or "", ()):
                    if regexp.match(value):
                        return tag
            return _STR_TAG
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG

    def construct_document(self, node: Any) -> Any:
        try:
            data = self._build(node, {})
        except _Fallback:
            return super().construct_document(node)
        self.constructed_objects: dict[Any, Any] = {}
        self.recursive_objects: dict[Any, Any] = {}
        return data

    def _build(self, node: Any, memo: dict[int, Any]) -> Any:
        cls = node.__class__
        if cls is yaml.ScalarNode:
            if node.tag == _STR_TAG:
                return node.value
            return self.construct_object(node, deep=True)
        found = memo.get(id(node))
        if found is not None:
            return found
        if cls is yaml.MappingNode:
            if node.tag != _MAP_TAG:
                raise _Fallback
            out: dict[Any, Any] = {}
            memo[id(node)] = out
            for key_node, value_node in node.value:
                if key_node.tag in _SPECIAL_KEYS:
                    raise _Fallback
                key = self._build(key_node, memo)
                try:
                    out[key] = self._build(value_node, memo)
                except TypeError:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        "found unhashable key",
                        key_node.start_mark,
                    ) from None
            return out
        if node.tag != _SEQ_TAG:
            raise _Fallback
        seq: list[Any] = []
        memo[id(node)] = seq
        seq.extend(self._build(child, memo) for child in node.value)
        return seq


_ManifestLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}
_ManifestLoader._resolvers_by_first = {
    first: [*resolvers, *_ManifestLoader.yaml_implicit_resolvers.get(None, [])]
    for first, resolvers in _ManifestLoader.yaml_implicit_resolvers.items()
    if first is not None
}


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk load (parsed manifests are trees, never
    cycles, so collections during the load are pure overhead)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: Default bound on the bytes one ``load_manifests`` call reads.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
#: Bound on the nodes an aliased document may expand to (a "billion laughs" stops here).
MAX_EXPANDED_NODES = 2_000_000


def _count_nodes(value: Any, budget: int) -> int:
    """How many nodes ``value`` has once aliases are expanded, without expanding them.

    YAML aliases load as shared Python objects, so the expanded size of a container is
    memoised by identity: a "billion laughs" document is measured in a few thousand steps.
    Returns as soon as the count passes ``budget``.
    """
    memo: dict[int, int] = {}

    def size(node: Any) -> int:
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            return 1
        key = id(node)
        if key not in memo:
            total = 1
            for child in children:
                total += size(child)
                if total > budget:
                    break
            memo[key] = total
        return memo[key]

    try:
        return size(value)
    except RecursionError:
        return budget + 1  # nested deeper than any Kubernetes object: refuse it as well


def _read_source(text_or_path: str | os.PathLike[str], max_bytes: int) -> tuple[str, str | None]:
    if isinstance(text_or_path, os.PathLike) or (
        isinstance(text_or_path, str)
        and "\n" not in text_or_path
        and len(text_or_path) < 4096
        and Path(text_or_path).suffix in {".yaml", ".yml", ".json"}
    ):
        path = Path(text_or_path)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ManifestError(f"cannot read file: {exc.strerror}", file=str(path)) from None
        if size > max_bytes:
            raise ManifestError(
                f"file is {size} bytes, over the limit of {max_bytes}", file=str(path)
            )
        return path.read_text(encoding="utf-8"), str(path)
    text = str(text_or_path)
    if len(text) > max_bytes:
        raise ManifestError(f"document is {len(text)} bytes, over the limit of {max_bytes}")
    return text, None


def _yaml_error(exc: yaml.YAMLError, file: str | None) -> ManifestError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return ManifestError(
            f"malformed YAML: {exc.problem or exc.context}",
            file=file,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        )
    return ManifestError(f"malformed YAML: {exc}", file=file)


def iter_yaml_documents(data: bytes | str, *, file: str | None = None) -> Iterator[Any]:
    """The documents of a YAML stream one by one (``None`` for empty ones), parsed by libyaml
    with timestamps kept as strings. A syntax error raises :class:`ManifestError` with
    file:line once the documents before it have been yielded; so does a document that
    expands to more than :data:`MAX_EXPANDED_NODES` nodes through aliases (an alias bomb).

    >>> docs = iter_yaml_documents("a: 1\\n---\\nb: [\\n")
    >>> next(docs)
    {'a': 1}
    """
    check_aliases = _may_alias(data)
    try:
        for index, doc in enumerate(yaml.load_all(data, Loader=_ManifestLoader)):
            if check_aliases and _count_nodes(doc, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
                raise ManifestError(
                    f"document {index + 1} expands to more than {MAX_EXPANDED_NODES} nodes "
                    "through YAML aliases (an alias bomb?)",
                    file=file,
                )
            yield doc
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None


def _may_alias(data: bytes | str) -> bool:
    """Whether ``data`` may hold YAML aliases (an anchor ``&`` and an alias ``*``)."""
    if isinstance(data, bytes):
        return b"&" in data and b"*" in data
    return "&" in data and "*" in data


def load_yaml_documents(data: bytes | str, *, file: str | None = None) -> list[Any]:
    """Every document of a YAML stream (``None`` for empty ones), parsed by libyaml with
    timestamps kept as strings. Syntax errors raise :class:`ManifestError` with file:line.

    >>> load_yaml_documents("a: 2024-01-01\\n---\\n")
    [{'a': '2024-01-01'}, None]
    """
    return list(iter_yaml_documents(data, file=file))


def load_manifests(
    text_or_path: str | os.PathLike[str],
    *,
    max_bytes: int = MAX_MANIFEST_BYTES,
    expand_lists: bool = True,
) -> list[Manifest]:
    """Parse multi-document Kubernetes YAML (or JSON) into a list of dicts.

    Empty documents are skipped; list objects (``kind: List``, ``ConfigMapList``: anything
    whose ``items`` is an array) are expanded into their items, as Argo CD does
    (:func:`expand_list_objects`). Input over ``max_bytes`` and alias bombs are refused with a
    :class:`~gitopslib.errors.ManifestError`; so is a document that is not a mapping.

    >>> [o["kind"] for o in load_manifests("kind: A\\n---\\n---\\nkind: B\\n")]
    ['A', 'B']
    """
    text, file = _read_source(text_or_path, max_bytes)
    out: list[Manifest] = []
    for index, doc in enumerate(iter_yaml_documents(text, file=file)):  # alias bombs refused
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ManifestError(
                f"document {index + 1} is a {type(doc).__name__}, not a Kubernetes object",
                file=file,
            )
        out.append(doc)
    return expand_list_objects(out, file=file) if expand_lists else out


def expand_list_objects(objs: Iterable[Manifest], *, file: str | None = None) -> list[Manifest]:
    """Argo CD's list handling (``GenerateManifests``): an object whose ``items`` is an array
    is replaced by its items (each must be an object); an object whose ``items`` is null and
    that has no ``spec`` or ``status`` (``isNullList``) disappears, whatever its kind.

    >>> expand_list_objects([{"kind": "List", "items": [{"kind": "A"}]},
    ...                      {"kind": "BList", "items": None}])
    [{'kind': 'A'}]
    """
    out: list[Manifest] = []
    for obj in objs:
        if "items" not in obj:
            out.append(obj)
            continue
        items = obj["items"]
        if isinstance(items, list):
            for item in items:
                if not isinstance(item, dict):
                    raise ManifestError(
                        f"{obj.get('kind') or 'list'}: items member is not an object "
                        f"({type(item).__name__})",
                        file=file,
                    )
                out.append(item)
            continue
        if items is None and "spec" not in obj and "status" not in obj:
            continue
        out.append(obj)
    return out


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


def dump_manifests(objs: Iterable[Mapping[str, Any]]) -> str:
    """Objects as a multi-document YAML stream (keys in their given order, stable output)."""
    return "---\n".join(
        yaml.dump(
            dict(o),
            Dumper=_Dumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            width=10_000,
        )
        for o in objs
    )


def require_identity(objs: Iterable[Mapping[str, Any]], file: str | None = None) -> None:
    """Refuse objects that cannot be live Kubernetes objects: each needs ``apiVersion``,
    ``kind`` and ``metadata.name`` (a snapshot of a cluster never lacks them).

    >>> require_identity([{"apiVersion": "v1", "kind": "ConfigMap"}], file="live.yaml")
    Traceback (most recent call last):
    ...
    gitopslib.errors.ManifestError: live.yaml: object 1 (ConfigMap): metadata.name is missing
    """
    for index, obj in enumerate(objs, start=1):
        kind = obj.get("kind")
        missing = [
            field
            for field, value in (
                ("apiVersion", obj.get("apiVersion")),
                ("kind", kind),
                ("metadata.name", (obj.get("metadata") or {}).get("name")),
            )
            if not value
        ]
        if missing:
            what = f"object {index} ({kind})" if kind else f"object {index}"
            raise ManifestError(f"{what}: {', '.join(missing)} is missing", file=file)
