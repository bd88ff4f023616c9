"""Normalisation: turn an object into the form that is compared.

Every step is a pure function returning a new object (the input is never changed), and every
step is idempotent. :func:`normalize` runs them all in Argo CD's order:

1. :func:`copy_canonical` deep copy, floats with an integral value become ints (JSON noise);
2. :func:`strip_server_fields` drops ``uid``, ``resourceVersion``, ``generation``,
   ``creationTimestamp``, ``managedFields``, ``selfLink`` (and ``/status`` per settings);
3. :func:`fold_secret_data` moves a Secret's ``stringData`` into base64 ``data``;
4. :func:`normalize_role_rules` (Role/ClusterRole ``rules: []`` == absent) and
   :func:`normalize_endpoints` (port protocol defaults to TCP, stable ordering);
5. :func:`canonicalize_quantities` for built-in kinds (``1000m`` == ``1``, ``1Gi`` ==
   ``1024Mi``), plus the known-type fields configured in :class:`DiffSettings`.

>>> obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "uid": "1"},
...        "stringData": {"a": "x"}}
>>> normalize(obj)
{'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 's'}, 'data': {'a': 'eA=='}}
>>> canonical_quantity("1000m"), canonical_quantity("1024Mi")
('1', '1Gi')
"""

from __future__ import annotations

import base64
import json
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from typing import Any

from gitopslib.diff import _schema
from gitopslib.diff.settings import DiffSettings, glob_match
from gitopslib.manifest import api_group
from gitopslib.models._duration import format_go_duration, parse_go_duration_ns

__all__ = [
    "SERVER_METADATA_FIELDS",
    "canonical_duration",
    "canonical_quantity",
    "canonicalize_quantities",
    "copy_canonical",
    "fold_secret_data",
    "normalize",
    "normalize_endpoints",
    "normalize_known_types",
    "normalize_role_rules",
    "parse_duration",
    "strip_server_fields",
]

#: Metadata the API server fills in; never part of a comparison.
SERVER_METADATA_FIELDS = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
)


def copy_canonical(value: Any) -> Any:
    """A deep copy in which floats with an integral value are ints (``1.0`` -> ``1``), as a
    JSON round trip in Go would make them compare equal."""
    t = type(value)
    if t is dict:
        return {k: copy_canonical(v) for k, v in value.items()}
    if t is list:
        return [copy_canonical(v) for v in value]
    if t is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def strip_server_fields(obj: dict[str, Any], *, status: bool = False) -> dict[str, Any]:
    """``obj`` without server-populated metadata (and without ``status`` if asked).

    >>> strip_server_fields({"metadata": {"name": "a", "uid": "u"}, "status": {}}, status=True)
    {'metadata': {'name': 'a'}}
    """
    out = dict(obj)
    meta = out.get("metadata")
    if isinstance(meta, dict) and any(f in meta for f in SERVER_METADATA_FIELDS):
        out["metadata"] = {k: v for k, v in meta.items() if k not in SERVER_METADATA_FIELDS}
    if status:
        out.pop("status", None)
    return out


def fold_secret_data(obj: dict[str, Any]) -> dict[str, Any]:
    """A core Secret with ``stringData`` folded into base64 ``data`` (``stringData`` wins for
    a key in both) and ``None`` values as ""; other objects unchanged.

    >>> fold_secret_data({"apiVersion": "v1", "kind": "Secret", "stringData": {"k": "v"}})
    {'apiVersion': 'v1', 'kind': 'Secret', 'data': {'k': 'dg=='}}
    """
    if obj.get("kind") != "Secret" or api_group(obj) != "":
        return obj
    string_data = obj.get("stringData")
    data = obj.get("data")
    if string_data is None and not (isinstance(data, dict) and None in data.values()):
        return obj
    out = {k: v for k, v in obj.items() if k != "stringData"}
    merged: dict[str, Any] = dict(data) if isinstance(data, dict) else {}
    if isinstance(string_data, dict):
        for key, value in string_data.items():
            text = "" if value is None else str(value)
            merged[key] = base64.b64encode(text.encode("utf-8")).decode("ascii")
    out["data"] = {k: ("" if v is None else v) for k, v in merged.items()}
    return out


def normalize_role_rules(obj: dict[str, Any], *, ignore_aggregated: bool = False) -> dict[str, Any]:
    """Role/ClusterRole with ``rules: []`` treated as absent; with ``ignore_aggregated``, an
    object with an ``aggregationRule`` has its ``rules`` dropped (the controller fills them)."""
    if obj.get("kind") not in ("Role", "ClusterRole"):
        return obj
    if api_group(obj) != "rbac.authorization.k8s.io" or "rules" not in obj:
        return obj
    rules = obj.get("rules")
    if rules in ([], None) or (ignore_aggregated and obj.get("aggregationRule") is not None):
        return {k: v for k, v in obj.items() if k != "rules"}
    return obj


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def normalize_endpoints(obj: dict[str, Any]) -> dict[str, Any]:
    """Core Endpoints with port protocol defaulted to TCP and addresses, ports and subsets in
    a stable order (the API server repacks them)."""
    if obj.get("kind") != "Endpoints" or api_group(obj) != "":
        return obj
    subsets = obj.get("subsets")
    if not isinstance(subsets, list):
        return obj
    new_subsets = []
    for subset in subsets:
        if not isinstance(subset, dict):
            new_subsets.append(subset)
            continue
        s = dict(subset)
        if isinstance(s.get("ports"), list):
            ports = [
                {**p, "protocol": p.get("protocol") or "TCP"} if isinstance(p, dict) else p
                for p in s["ports"]
            ]
            s["ports"] = sorted(ports, key=_sort_key)
        for field in ("addresses", "notReadyAddresses"):
            if isinstance(s.get(field), list):
                s[field] = sorted(s[field], key=_sort_key)
        new_subsets.append(s)
    return {**obj, "subsets": sorted(new_subsets, key=_sort_key)}


# --- quantities -----------------------------------------------------------------------------

_QUANTITY = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$"
)
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -3, "u": -2, "m": -1, "": 0, "k": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}


def parse_quantity(text: str) -> Fraction:
    """The exact value of a Kubernetes quantity string (``ValueError`` if it is not one)."""
    m = _QUANTITY.match(text.strip())
    if m is None:
        raise ValueError(f"not a quantity: {text!r}")
    number, exponent, suffix = m.groups()
    try:
        value = Fraction(Decimal(number))
    except InvalidOperation:  # pragma: no cover - the regex admits only decimals
        raise ValueError(f"not a quantity: {text!r}") from None
    scale: Fraction
    if exponent:
        scale = Fraction(10) ** int(exponent[1:])
    elif suffix in _BINARY:
        scale = Fraction(1024) ** _BINARY[suffix]
    else:
        scale = Fraction(1000) ** _DECIMAL[suffix or ""]
    return value * scale


def canonical_quantity(value: Any) -> Any:
    """One spelling per value: the largest binary suffix that divides an integer value
    exactly (``1024Mi`` -> ``1Gi``), else the largest decimal one (``1000m`` -> ``1``,
    ``1500m`` -> ``1500m``, ``2000`` -> ``2k``). Not a quantity: returned unchanged.

    >>> canonical_quantity("0.5"), canonical_quantity(2), canonical_quantity("abc")
    ('500m', '2', 'abc')
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return value
    if type(value) is str:
        return _canonical_quantity_str(value)
    return _canonical_quantity(value)


@lru_cache(maxsize=4096)
def _canonical_quantity_str(value: str) -> str:
    result: str = _canonical_quantity(value)
    return result


def _canonical_quantity(value: Any) -> Any:
    try:
        q = parse_quantity(str(value)) if not isinstance(value, float) else Fraction(value)
    except (ValueError, OverflowError):
        return value
    if q == 0:
        return "0"
    sign = "-" if q < 0 else ""
    q = abs(q)
    if q.denominator == 1:
        n = q.numerator
        for suffix, power in sorted(_BINARY.items(), key=lambda kv: -kv[1]):
            if n % (1024**power) == 0:
                return f"{sign}{n // 1024**power}{suffix}"
    for suffix, power in sorted(_DECIMAL.items(), key=lambda kv: -kv[1]):
        scaled = q / Fraction(1000) ** power
        if scaled.denominator == 1:
            return f"{sign}{scaled.numerator}{suffix}"
    # Finer than a nano: keep an exact decimal.
    return sign + format(Decimal(q.numerator) / Decimal(q.denominator), "f")


def canonicalize_quantities(obj: dict[str, Any]) -> dict[str, Any]:
    """A built-in object with every quantity field (per the OpenAPI schema) canonical."""
    api_version = str(obj.get("apiVersion") or "")
    version = api_version.rsplit("/", 1)[-1]
    type_name = _schema.type_of_gvk(api_group(obj), version, str(obj.get("kind") or ""))
    if not type_name:
        return obj
    result: dict[str, Any] = _quantities_in(obj, type_name)
    return result


def _quantities_in(value: Any, type_name: str | None) -> Any:
    if not type_name or type(value) is not dict:
        return value
    out = None
    for key, child in value.items():
        desc = _schema.field_of(type_name, key)
        if desc is None:
            continue
        new = _by_descriptor(child, desc)
        if new is not child:
            if out is None:
                out = dict(value)
            out[key] = new
    return value if out is None else out


def _by_descriptor(value: Any, desc: list[Any]) -> Any:
    kind = desc[0]
    if kind == "q":
        return canonical_quantity(value)
    if kind == "o":
        return _quantities_in(value, desc[1])
    if kind == "m":
        if type(value) is not dict:
            return value
        if desc[1] == "q":
            return {k: canonical_quantity(v) for k, v in value.items()}
        return {k: _quantities_in(v, desc[1]) for k, v in value.items()}
    if kind == "l" and type(value) is list and desc[1]:
        if desc[1] == "q":
            return [canonical_quantity(v) for v in value]
        return [_quantities_in(v, desc[1]) for v in value]
    return value


# --- durations ------------------------------------------------------------------------------


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string (``1h30m``, ``90s``, ``250ms``)."""
    try:
        return parse_go_duration_ns(text.strip()) / 1e9
    except ValueError:
        raise ValueError(f"not a duration: {text!r}") from None


def canonical_duration(value: Any) -> Any:
    """A Go duration in Go's canonical spelling (``90m`` -> ``1h30m0s``); other values
    unchanged.

    >>> canonical_duration("90m"), canonical_duration("1.5s"), canonical_duration("0s")
    ('1h30m0s', '1.5s', '0s')
    """
    if not isinstance(value, str):
        return value
    try:
        return format_go_duration(parse_go_duration_ns(value.strip()))
    except ValueError:
        return value


# --- known types ----------------------------------------------------------------------------


#: Scalar fields of the PodSpec tree that Go keeps when zero: pointers (``*bool``,
#: ``*int64``, ``*string``: a set ``false`` or ``0`` means something) and fields without
#: ``omitempty`` (required ones). Every other scalar field of a Kubernetes type is
#: ``omitempty``, so a typed round trip (what Argo CD's knownTypeFields does) drops its zero
#: value: ``readOnly: false`` on a VolumeMount disappears, ``runAsNonRoot: false`` stays.
_KEPT_WHEN_ZERO: dict[str, frozenset[str]] = {
    "core.v1.PodSpec": frozenset(
        [
            "terminationGracePeriodSeconds",
            "activeDeadlineSeconds",
            "automountServiceAccountToken",
            "shareProcessNamespace",
            "priority",
            "enableServiceLinks",
            "setHostnameAsFQDN",
            "hostUsers",
            "preemptionPolicy",
            "runtimeClassName",
            "containers",
        ]
    ),
    "core.v1.Container": frozenset({"name", "restartPolicy"}),
    "core.v1.EphemeralContainer": frozenset({"name", "restartPolicy"}),
    "core.v1.SecurityContext": frozenset(
        [
            "privileged",
            "runAsUser",
            "runAsGroup",
            "runAsNonRoot",
            "readOnlyRootFilesystem",
            "allowPrivilegeEscalation",
            "procMount",
        ]
    ),
    "core.v1.PodSecurityContext": frozenset(
        [
            "runAsUser",
            "runAsGroup",
            "runAsNonRoot",
            "fsGroup",
            "fsGroupChangePolicy",
        ]
    ),
    "core.v1.WindowsSecurityContextOptions": frozenset(
        [
            "gmsaCredentialSpecName",
            "gmsaCredentialSpec",
            "runAsUserName",
            "hostProcess",
        ]
    ),
    "core.v1.Probe": frozenset({"terminationGracePeriodSeconds"}),
    "core.v1.Toleration": frozenset({"tolerationSeconds"}),
    "core.v1.VolumeMount": frozenset(
        {"name", "mountPath", "mountPropagation", "recursiveReadOnly"}
    ),
    "core.v1.VolumeDevice": frozenset({"name", "devicePath"}),
    "core.v1.Volume": frozenset({"name"}),
    "core.v1.EnvVar": frozenset({"name"}),
    "core.v1.ContainerPort": frozenset({"containerPort"}),
    "core.v1.KeyToPath": frozenset({"key", "path", "mode"}),
    "core.v1.ConfigMapKeySelector": frozenset({"key", "optional"}),
    "core.v1.SecretKeySelector": frozenset({"key", "optional"}),
    "core.v1.ConfigMapEnvSource": frozenset({"optional"}),
    "core.v1.SecretEnvSource": frozenset({"optional"}),
    "core.v1.ConfigMapVolumeSource": frozenset({"defaultMode", "optional"}),
    "core.v1.SecretVolumeSource": frozenset({"defaultMode", "optional"}),
    "core.v1.ProjectedVolumeSource": frozenset({"defaultMode"}),
    "core.v1.DownwardAPIVolumeSource": frozenset({"defaultMode"}),
    "core.v1.DownwardAPIVolumeFile": frozenset({"path", "mode"}),
    "core.v1.ConfigMapProjection": frozenset({"optional"}),
    "core.v1.SecretProjection": frozenset({"optional"}),
    "core.v1.ServiceAccountTokenProjection": frozenset({"path", "expirationSeconds"}),
    "core.v1.CSIVolumeSource": frozenset({"driver", "readOnly", "fsType"}),
    "core.v1.HostPathVolumeSource": frozenset({"path", "type"}),
    "core.v1.PersistentVolumeClaimVolumeSource": frozenset({"claimName"}),
    "core.v1.ObjectFieldSelector": frozenset({"fieldPath"}),
    "core.v1.ResourceFieldSelector": frozenset({"resource"}),
    "core.v1.HTTPGetAction": frozenset({"port"}),
    "core.v1.HTTPHeader": frozenset({"name", "value"}),
    "core.v1.TCPSocketAction": frozenset({"port"}),
    "core.v1.GRPCAction": frozenset({"port", "service"}),
    "core.v1.TopologySpreadConstraint": frozenset(
        [
            "maxSkew",
            "topologyKey",
            "whenUnsatisfiable",
            "minDomains",
            "nodeAffinityPolicy",
            "nodeTaintsPolicy",
        ]
    ),
    "core.v1.PodDNSConfigOption": frozenset({"value"}),
    "core.v1.HostAlias": frozenset({"ip"}),
    "core.v1.ContainerResizePolicy": frozenset({"resourceName", "restartPolicy"}),
}


def _is_go_zero(value: Any) -> bool:
    return (
        value is None
        or value is False
        or value == ""
        or value == []
        or (type(value) in (int, float) and value == 0)
    )


def _go_round_trip(value: Any, type_name: str | None) -> Any:
    """``value`` as Go's typed round trip of ``type_name`` leaves it: zero values of
    ``omitempty`` fields dropped, recursively through the fields the schema table types.
    Unknown fields and maps are kept as they are (a typed decode would keep or reject them
    alike on both sides of a comparison)."""
    if not type_name or type(value) is not dict:
        return value
    kept = _KEPT_WHEN_ZERO.get(type_name, frozenset())
    out: dict[str, Any] = {}
    for key, child in value.items():
        desc = _schema.field_of(type_name, key)
        if desc is not None and desc[0] == "o":
            child = _go_round_trip(child, desc[1])
        elif desc is not None and desc[0] == "l" and type(child) is list and desc[1] != "q":
            child = [_go_round_trip(v, desc[1]) for v in child]
        elif desc is not None and desc[0] == "m" and type(child) is dict and desc[1] != "q":
            child = {k: _go_round_trip(v, desc[1]) for k, v in child.items()}
        if key not in kept and _is_go_zero(child) and (desc is None or desc[0] != "o"):
            continue
        out[key] = child
    return out


def _canonical_by_type(value: Any, type_name: str) -> Any:
    if type_name == "core/Quantity":
        return canonical_quantity(value)
    if type_name == "meta/v1/Duration":
        return canonical_duration(value)
    parts = type_name.split("/")
    if len(parts) == 3:
        schema_type = f"{parts[0]}.{parts[1]}.{parts[2]}"
        return _go_round_trip(_quantities_in(value, schema_type), schema_type)
    return value


def _apply_at(value: Any, path: list[str], fn: Any) -> Any:
    if type(value) is list:
        return [_apply_at(v, path, fn) for v in value]
    if not path:
        return fn(value)
    if type(value) is not dict or path[0] not in value:
        return value
    return {**value, path[0]: _apply_at(value[path[0]], path[1:], fn)}


def normalize_known_types(obj: dict[str, Any], settings: DiffSettings) -> dict[str, Any]:
    """Canonicalise the known-type fields configured for the object's group/kind (a list on
    the path applies the type to each element)."""
    group, kind = api_group(obj), str(obj.get("kind") or "")
    out = obj
    for known in settings.known_types:
        if glob_match(known.group, group) and glob_match(known.kind, kind):
            path = [p for p in known.field.split(".") if p]

            def fn(v: Any, t: str = known.type) -> Any:
                return _canonical_by_type(v, t)

            out = _apply_at(out, path, fn)
    return out


def normalize(obj: dict[str, Any], settings: DiffSettings | None = None) -> dict[str, Any]:
    """The whole pipeline for one object (a new object; ``obj`` is left as it was).

    ``/status`` is dropped as ``settings.ignore_resource_status_field`` says (``all`` by
    default). ignoreDifferences rules are not applied here (they need the Application); see
    :func:`gitopslib.diff.compare`.

    >>> normalize({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    ...   "spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "1000m"}}}]},
    ...   "status": {"phase": "Running"}})["spec"]
    {'containers': [{'name': 'c', 'resources': {'limits': {'cpu': '1'}}}]}
    """
    settings = settings or DiffSettings()
    group = api_group(obj)
    drop_status = settings.ignore_resource_status_field == "all" or (
        settings.ignore_resource_status_field == "crd"
        and (group, obj.get("kind")) == ("apiextensions.k8s.io", "CustomResourceDefinition")
    )
    out: dict[str, Any] = copy_canonical(obj)
    out = strip_server_fields(out, status=drop_status)
    return normalize_kinds(out, settings)


def normalize_kinds(obj: dict[str, Any], settings: DiffSettings) -> dict[str, Any]:
    """The kind-specific steps (Secret, Role, Endpoints, quantities, known types)."""
    out = fold_secret_data(obj)
    out = normalize_role_rules(out, ignore_aggregated=settings.ignore_aggregated_roles)
    out = normalize_endpoints(out)
    out = canonicalize_quantities(out)
    return normalize_known_types(out, settings)
