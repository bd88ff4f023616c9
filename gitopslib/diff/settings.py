"""Diff settings: what Argo CD reads from ``argocd-cm`` to steer the comparison.

:class:`DiffSettings` holds the system-level knobs (ignoreDifferences per group/kind, known
types, the status-field policy, sensitive annotations, the tracking method);
:class:`IgnoreRule` is one ignoreDifferences entry, from the Application or from the system.

>>> s = DiffSettings.from_argocd_cm({"data": {
...     "resource.customizations.ignoreDifferences.apps_Deployment":
...         "jsonPointers: [/spec/replicas]",
...     "application.resourceTrackingMethod": "label"}})
>>> s.tracking_method, s.ignore_differences[0].group, s.ignore_differences[0].json_pointers
('label', 'apps', ('/spec/replicas',))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from gitopslib.errors import DiffError
from gitopslib.globs import glob_match as _gobwas_match

__all__ = ["DiffSettings", "IgnoreRule", "KnownTypeField"]

StatusPolicy = Literal["all", "crd", "none"]
TrackingMethod = Literal["annotation", "label", "annotation+label"]

_CM_IGNORE_PREFIX = "resource.customizations.ignoreDifferences."
_CM_KNOWN_PREFIX = "resource.customizations.knownTypeFields."


def glob_match(pattern: str, value: str) -> bool:
    """Argo CD's group/kind glob for ignoreDifferences (gobwas syntax: ``*``, ``?``,
    ``[...]``, ``{a,b}``; no separator); exact when there is no wildcard.

    >>> glob_match("*.crossplane.io", "s3.aws.crossplane.io"), glob_match("{apps,batch}", "batch")
    (True, True)
    """
    if pattern == value or pattern == "*":
        return True
    return _gobwas_match(pattern, value)


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise DiffError(f"{where}: expected a list of strings, got {type(value).__name__}")
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class IgnoreRule:
    """One ignoreDifferences rule.

    ``group``/``kind`` are globs (``*`` allowed; group "" is the core group); ``name`` and
    ``namespace`` match exactly and "" matches any.

    >>> r = IgnoreRule(group="apps", kind="*", json_pointers=("/spec/replicas",))
    >>> r.matches("apps", "Deployment", "prod", "web"), r.matches("", "Service", "", "x")
    (True, False)
    """

    group: str = "*"
    kind: str = "*"
    name: str = ""
    namespace: str = ""
    json_pointers: tuple[str, ...] = ()
    jq_path_expressions: tuple[str, ...] = ()
    managed_fields_managers: tuple[str, ...] = ()

    def matches(self, group: str, kind: str, namespace: str, name: str) -> bool:
        """Whether this rule applies to the object with the given identity."""
        if self.name and self.name != name:
            return False
        if self.namespace and self.namespace != namespace:
            return False
        return glob_match(self.group, group) and glob_match(self.kind, kind)

    @classmethod
    def from_obj(cls, obj: Any, where: str = "ignoreDifferences") -> IgnoreRule:
        """Build a rule from a YAML mapping (camelCase or snake_case keys) or from a model
        object with ``.group .kind .name .namespace .json_pointers .jq_path_expressions
        .managed_fields_managers``."""
        if isinstance(obj, IgnoreRule):
            return obj
        if isinstance(obj, Mapping):

            def get(camel: str, snake: str) -> Any:
                return obj.get(camel, obj.get(snake))
        else:

            def get(camel: str, snake: str) -> Any:
                return getattr(obj, snake, None)

        return cls(
            group=str(get("group", "group") or ""),
            kind=str(get("kind", "kind") or "*"),
            name=str(get("name", "name") or ""),
            namespace=str(get("namespace", "namespace") or ""),
            json_pointers=_strs(get("jsonPointers", "json_pointers"), f"{where}.jsonPointers"),
            jq_path_expressions=_strs(
                get("jqPathExpressions", "jq_path_expressions"), f"{where}.jqPathExpressions"
            ),
            managed_fields_managers=_strs(
                get("managedFieldsManagers", "managed_fields_managers"),
                f"{where}.managedFieldsManagers",
            ),
        )


@dataclass(frozen=True)
class KnownTypeField:
    """A field (dotted path, e.g. ``spec.template.spec``) of a group/kind whose value is of a
    known Kubernetes type (``core/Quantity``, ``meta/v1/Duration``, ``core/v1/PodSpec``...) and
    is canonicalised as that type before comparing."""

    group: str
    kind: str
    field: str
    type: str


def _default_known_types() -> tuple[KnownTypeField, ...]:
    # Argo CD's one built-in entry: a Rollout's pod template is a PodSpec.
    return (KnownTypeField("argoproj.io", "Rollout", "spec.template.spec", "core/v1/PodSpec"),)


@dataclass(frozen=True)
class DiffSettings:
    """System-level diff settings (Argo CD's ``argocd-cm``).

    >>> DiffSettings().ignore_resource_status_field
    'all'
    """

    #: System-level ignoreDifferences (group/kind globs, ``*/*`` for ``all``).
    ignore_differences: tuple[IgnoreRule, ...] = ()
    #: Fields canonicalised through a known Kubernetes type.
    known_types: tuple[KnownTypeField, ...] = field(default_factory=_default_known_types)
    #: ``all``: ``/status`` ignored for every kind; ``crd``: only for CRDs; ``none``: never.
    ignore_resource_status_field: StatusPolicy = "all"
    #: Roles with an ``aggregationRule`` have their ``rules`` ignored.
    ignore_aggregated_roles: bool = False
    #: Annotations whose values are masked in diffs (``resource.sensitive.mask.annotations``).
    sensitive_annotations: tuple[str, ...] = ()
    #: ``application.resourceTrackingMethod``.
    tracking_method: TrackingMethod = "annotation"
    #: ``application.instanceLabelKey``.
    instance_label_key: str = "app.kubernetes.io/instance"
    #: ``installationID``: tracked objects must carry the same installation-id annotation.
    installation_id: str | None = None
    #: Namespace of the Argo CD controller (apps elsewhere are tracked as ``<ns>_<name>``).
    controller_namespace: str = "argocd"
    #: Timeout of one jq path expression, seconds (Argo CD's default is 1 s).
    jq_timeout: float = 1.0

    @classmethod
    def from_argocd_cm(cls, configmap: Mapping[str, Any]) -> DiffSettings:
        """Read the diff-related keys of an ``argocd-cm`` ConfigMap (the whole object or just
        its ``data``)."""
        data = configmap.get("data") if "data" in configmap else configmap
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise DiffError("argocd-cm: data must be a mapping")
        rules: list[IgnoreRule] = []
        known: list[KnownTypeField] = list(_default_known_types())

        def load(key: str, text: Any) -> Any:
            try:
                return yaml.safe_load(str(text)) if text is not None else None
            except yaml.YAMLError as exc:
                raise DiffError(f"argocd-cm: {key}: malformed YAML: {exc}") from None

        def add_ignore(key: str, group: str, kind: str, spec: Any) -> None:
            if spec is None:
                return
            if not isinstance(spec, Mapping):
                raise DiffError(f"argocd-cm: {key}: expected a mapping of ignore rules")
            rule = IgnoreRule.from_obj(dict(spec), where=f"argocd-cm {key}")
            rules.append(
                IgnoreRule(
                    group=group,
                    kind=kind,
                    json_pointers=rule.json_pointers,
                    jq_path_expressions=rule.jq_path_expressions,
                    managed_fields_managers=rule.managed_fields_managers,
                )
            )

        def add_known(key: str, group: str, kind: str, spec: Any) -> None:
            if spec is None:
                return
            if not isinstance(spec, list):
                raise DiffError(f"argocd-cm: {key}: expected a list of {{field, type}}")
            for item in spec:
                if not isinstance(item, Mapping) or "field" not in item or "type" not in item:
                    raise DiffError(f"argocd-cm: {key}: each entry needs field and type")
                known.append(KnownTypeField(group, kind, str(item["field"]), str(item["type"])))

        overrides = load("resource.customizations", data.get("resource.customizations"))
        if overrides is not None:
            if not isinstance(overrides, Mapping):
                raise DiffError("argocd-cm: resource.customizations: expected a mapping")
            for gk, spec in overrides.items():
                group, kind = _split_gk(str(gk), "/")
                if not isinstance(spec, Mapping):
                    continue
                where = f"resource.customizations[{gk}]"
                ign = spec.get("ignoreDifferences")
                add_ignore(where, group, kind, load(where, ign) if isinstance(ign, str) else ign)
                add_known(where, group, kind, spec.get("knownTypeFields"))
        for key in sorted(data):
            if key.startswith(_CM_IGNORE_PREFIX):
                group, kind = _split_gk(key[len(_CM_IGNORE_PREFIX) :], "_")
                add_ignore(key, group, kind, load(key, data[key]))
            elif key.startswith(_CM_KNOWN_PREFIX):
                group, kind = _split_gk(key[len(_CM_KNOWN_PREFIX) :], "_")
                add_known(key, group, kind, load(key, data[key]))

        status: StatusPolicy = "all"
        aggregated = False
        opts = load("resource.compareoptions", data.get("resource.compareoptions"))
        if opts is not None:
            if not isinstance(opts, Mapping):
                raise DiffError("argocd-cm: resource.compareoptions: expected a mapping")
            raw = opts.get("ignoreResourceStatusField")
            # YAML reads a bare off/false as a boolean.
            raw_status = "all" if raw is None or raw == "" else str(raw).lower()
            if raw_status == "crd":
                status = "crd"
            elif raw_status in ("none", "off", "false"):
                status = "none"
            aggregated = bool(opts.get("ignoreAggregatedRoles", False))

        method_raw = str(data.get("application.resourceTrackingMethod") or "annotation")
        method: TrackingMethod = "annotation"
        if method_raw == "label":
            method = "label"
        elif method_raw == "annotation+label":
            method = "annotation+label"
        sensitive = tuple(
            s.strip()
            for s in str(data.get("resource.sensitive.mask.annotations") or "").split(",")
            if s.strip()
        )
        timeout = 1.0
        raw_timeout = data.get("ignore.normalizer.jq.timeout")
        if raw_timeout:
            timeout = _parse_timeout(str(raw_timeout))
        return cls(
            ignore_differences=tuple(rules),
            known_types=tuple(known),
            ignore_resource_status_field=status,
            ignore_aggregated_roles=aggregated,
            sensitive_annotations=sensitive,
            tracking_method=method,
            instance_label_key=str(
                data.get("application.instanceLabelKey") or "app.kubernetes.io/instance"
            ),
            installation_id=str(data["installationID"]) if data.get("installationID") else None,
            jq_timeout=timeout,
        )

    def system_rules(self, group: str, kind: str) -> list[IgnoreRule]:
        """System ignore rules for a group/kind, with the status rule first."""
        out: list[IgnoreRule] = []
        if self.ignore_resource_status_field == "all" or (
            self.ignore_resource_status_field == "crd"
            and (group, kind) == ("apiextensions.k8s.io", "CustomResourceDefinition")
        ):
            out.append(IgnoreRule(group="*", kind="*", json_pointers=("/status",)))
        out.extend(r for r in self.ignore_differences if r.matches(group, kind, "", ""))
        return out


def _split_gk(text: str, sep: str) -> tuple[str, str]:
    if text == "all" or text == "*/*":
        return "*", "*"
    if sep in text:
        group, kind = text.rsplit(sep, 1)
        return group, kind
    return "", text


def _parse_timeout(text: str) -> float:
    from gitopslib.diff.normalize import parse_duration

    try:
        return parse_duration(text)
    except ValueError:
        raise DiffError(f"argocd-cm: ignore.normalizer.jq.timeout: bad duration {text!r}") from None
