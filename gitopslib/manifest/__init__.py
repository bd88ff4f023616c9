"""Kubernetes objects as plain dicts: identity, annotations and fast, bounded YAML loading.

Every layer of gitopslib passes Kubernetes objects around as ``dict[str, Any]`` exactly as
they appear in YAML. This module says who an object is (:class:`ResourceKey`), reads the
Argo CD annotations that steer it, and parses manifests in bulk with libyaml
(:mod:`gitopslib.manifest.loading`, whose names are all importable from here).

>>> objs = load_manifests("apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: a}\\n")
>>> key_of(objs[0], default_namespace="prod")
ResourceKey(group='', kind='ConfigMap', namespace='prod', name='a')
"""

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import yaml

from gitopslib.errors import ManifestError
from gitopslib.manifest.loading import (
    MAX_DEPTH,
    MAX_EXPANDED_BYTES,
    MAX_EXPANDED_NODES,
    MAX_MANIFEST_BYTES,
    Manifest,
    expand_list_objects,
    expanded_size,
    iter_yaml_documents,
    load_manifests,
    load_yaml_documents,
    paused_gc,
    too_deep,
)

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
    "MAX_DEPTH",
    "MAX_EXPANDED_BYTES",
    "MAX_EXPANDED_NODES",
    "MAX_MANIFEST_BYTES",
    "Manifest",
    "ResourceKey",
    "annotations",
    "api_group",
    "csv_annotation",
    "dump_manifests",
    "expand_list_objects",
    "expanded_size",
    "is_cluster_scoped",
    "iter_yaml_documents",
    "key_of",
    "labels",
    "load_manifests",
    "load_yaml_documents",
    "paused_gc",
    "require_identity",
    "split_csv",
    "too_deep",
]

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
