"""Argo CD resource hooks read from annotations: phases, delete policies, waves and names.

Everything here is a pure function of one Kubernetes object (a ``dict``). The rules are Argo
CD's (argocd-semantics.md §1.2, §1.10, §2): the ``argocd.argoproj.io/hook`` annotation wins;
without a recognised Argo value, Helm's ``helm.sh/hook`` is mapped (``pre-install`` and
``pre-upgrade`` to PreSync, ``post-install`` and ``post-upgrade`` to PostSync, ``pre-delete``
and ``post-delete`` to PreDelete/PostDelete); test and rollback hooks are dropped.

Where Argo CD silently falls back (a ``sync-wave`` that is not an integer becomes the Helm
weight or 0, an unknown hook type is dropped) we raise :class:`~gitopslib.errors.PlanError`
naming the object and the annotation; with ``strict=False`` the fallback is used and the
problem is returned as a warning instead.

>>> info = parse_hook({"kind": "Job", "metadata": {"name": "migrate",
...     "annotations": {"argocd.argoproj.io/hook": "PreSync,PostSync"}}})
>>> info.sync_phases, info.delete_policies
(('PreSync', 'PostSync'), ('BeforeHookCreation',))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from gitopslib.errors import PlanError
from gitopslib.manifest import (
    ANNOTATION_HOOK,
    ANNOTATION_HOOK_DELETE_POLICY,
    ANNOTATION_SYNC_WAVE,
    HELM_HOOK,
    HELM_HOOK_DELETE_POLICY,
    HELM_HOOK_WEIGHT,
    split_csv,
)

__all__ = [
    "ALL_PHASES",
    "DELETE_PHASES",
    "DELETE_POLICIES",
    "HELM_DELETE_POLICY_MAP",
    "HELM_HOOK_MAP",
    "HELM_IGNORED_HOOKS",
    "HELM_RESOURCE_POLICY",
    "HOOK_TYPES",
    "PHASE_RANK",
    "SYNC_PHASES",
    "DeletePolicy",
    "HookInfo",
    "Phase",
    "describe_object",
    "hook_delete_policies",
    "hook_name",
    "parse_hook",
    "parse_int_annotation",
    "sync_wave",
]

Phase = Literal["PreSync", "Sync", "PostSync", "SyncFail", "PreDelete", "PostDelete"]
DeletePolicy = Literal["HookSucceeded", "HookFailed", "BeforeHookCreation"]

#: Engine phases in their sort rank (PreSync=-1, Sync=0, PostSync=1, SyncFail=2).
SYNC_PHASES: Final = ("PreSync", "Sync", "PostSync", "SyncFail")
#: Phases that only run when the Application itself is deleted (controller level).
DELETE_PHASES: Final = ("PreDelete", "PostDelete")
#: Every phase a task can carry (the deletion plan uses "Delete" for the cascade step).
ALL_PHASES: Final = (*SYNC_PHASES, *DELETE_PHASES)
PHASE_RANK: Final[dict[str, int]] = {
    "PreDelete": -3,
    "PreSync": -1,
    "Sync": 0,
    "PostSync": 1,
    "SyncFail": 2,
    "Delete": 3,
    "PostDelete": 4,
}
#: Values Argo CD recognises in ``argocd.argoproj.io/hook`` (case-sensitive).
HOOK_TYPES: Final = frozenset({*SYNC_PHASES, *DELETE_PHASES, "Skip"})
DELETE_POLICIES: Final = ("HookSucceeded", "HookFailed", "BeforeHookCreation")

#: Helm hook values Argo CD maps to its own phases.
HELM_HOOK_MAP: Final[dict[str, str]] = {
    "pre-install": "PreSync",
    "pre-upgrade": "PreSync",
    "post-install": "PostSync",
    "post-upgrade": "PostSync",
    "pre-delete": "PreDelete",
    "post-delete": "PostDelete",
}
#: Helm hook values Argo CD knows of and does not run (the object is dropped).
HELM_IGNORED_HOOKS: Final = frozenset(
    {"pre-rollback", "post-rollback", "test", "test-success", "test-failure"}
)
#: ``helm.sh/hook: crd-install`` marks an ordinary resource, not a hook.
_HELM_CRD_INSTALL: Final = "crd-install"
HELM_DELETE_POLICY_MAP: Final[dict[str, str]] = {
    "before-hook-creation": "BeforeHookCreation",
    "hook-succeeded": "HookSucceeded",
    "hook-failed": "HookFailed",
}
#: ``helm.sh/resource-policy: keep`` keeps an object on cascade deletion.
HELM_RESOURCE_POLICY: Final = "helm.sh/resource-policy"

# Go's strconv.Atoi: optional sign, ASCII digits, nothing else, 64-bit range.
_INT_RE: Final = re.compile(r"[+-]?[0-9]+")
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def describe_object(obj: Mapping[str, Any]) -> str:
    """A short human name for an object in messages: ``Job ns/name`` or ``Job name``.

    >>> describe_object({"kind": "Job", "metadata": {"name": "a", "namespace": "n"}})
    'Job n/a'
    """
    meta = obj.get("metadata") or {}
    kind = str(obj.get("kind") or "<no kind>")
    name = meta.get("name") or meta.get("generateName") or "<no name>"
    namespace = meta.get("namespace")
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _annotations(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    if not meta:
        return {}
    return meta.get("annotations") or {}


def parse_int_annotation(value: Any) -> int | None:
    """``value`` read as Go's ``strconv.Atoi`` reads it, or None when Go would refuse it.

    >>> parse_int_annotation("-2"), parse_int_annotation(" 1"), parse_int_annotation("1.5")
    (-2, None, None)
    """
    text = value if isinstance(value, str) else str(value)
    if 0 < len(text) < 19 and text.isascii():
        digits = text[1:] if text[0] in "+-" else text
        if digits.isdigit():
            return int(text)
        return None
    if not _INT_RE.fullmatch(text):
        return None
    number = int(text)
    if number < _INT64_MIN or number > _INT64_MAX:
        return None
    return number


def _problem(obj: Mapping[str, Any], annotation: str, value: Any, what: str) -> PlanError:
    return PlanError(
        f"{describe_object(obj)}: annotation {annotation}: {value!r} {what}",
        obj=describe_object(obj),
        annotation=annotation,
        value=str(value),
    )


def _report(error: PlanError, strict: bool, warnings: list[str] | None) -> None:
    if strict:
        raise error
    if warnings is not None:
        warnings.append(error.message)


def sync_wave(
    obj: Mapping[str, Any], *, strict: bool = True, warnings: list[str] | None = None
) -> tuple[int, str]:
    """The sync wave of ``obj`` and where it came from.

    ``argocd.argoproj.io/sync-wave``, else ``helm.sh/hook-weight`` (on any object, hook or
    not), else 0. A value that is not an integer raises :class:`PlanError`; with
    ``strict=False`` it is appended to ``warnings`` and Argo CD's fallback is used.

    >>> sync_wave({"metadata": {"annotations": {"helm.sh/hook-weight": "-2"}}})
    (-2, 'helm.sh/hook-weight')
    """
    ann = _annotations(obj)
    if not ann:
        return 0, "default"
    raw = ann.get(ANNOTATION_SYNC_WAVE)
    if raw is not None:
        wave = parse_int_annotation(raw)
        if wave is not None:
            return wave, ANNOTATION_SYNC_WAVE
        _report(
            _problem(
                obj,
                ANNOTATION_SYNC_WAVE,
                raw,
                "is not an integer (Argo CD silently falls back to helm.sh/hook-weight, "
                "else wave 0)",
            ),
            strict,
            warnings,
        )
    raw = ann.get(HELM_HOOK_WEIGHT)
    if raw is not None:
        wave = parse_int_annotation(raw)
        if wave is not None:
            return wave, HELM_HOOK_WEIGHT
        _report(
            _problem(
                obj, HELM_HOOK_WEIGHT, raw, "is not an integer (Argo CD silently uses wave 0)"
            ),
            strict,
            warnings,
        )
    return 0, "default"


@dataclass(frozen=True, slots=True)
class HookInfo:
    """What the hook annotations of one object mean.

    ``is_hook``: Argo CD treats the object as a hook (not a plain resource).
    ``skip``: ``hook: Skip`` alone; the object is neither applied nor pruned.
    ``ignored``: a hook with no recognised type (a Helm test/rollback hook): dropped.
    ``sync_phases``: engine phases, in phase order; ``delete_phases``: PreDelete/PostDelete.
    ``source``: which annotation decided (``argocd.argoproj.io/hook``, ``helm.sh/hook``, or
    ``""`` for a plain resource). ``delete_policies``: effective policies (default
    BeforeHookCreation). ``dropped``: values present but not run (e.g. ``test-success``).
    """

    is_hook: bool = False
    skip: bool = False
    ignored: bool = False
    sync_phases: tuple[str, ...] = ()
    delete_phases: tuple[str, ...] = ()
    source: str = ""
    delete_policies: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()

    @property
    def phases(self) -> tuple[str, ...]:
        """Every phase of the hook, sync phases first."""
        return self.sync_phases + self.delete_phases

    def describe(self) -> str:
        """One line saying what the annotations mean, for plan reasons."""
        if self.skip:
            return "hook: Skip (never applied, never pruned)"
        if not self.is_hook:
            return "plain resource"
        if self.ignored:
            what = ", ".join(self.dropped) or "no recognised type"
            return f"{self.source}: {what}: Argo CD does not run this hook; dropped"
        return f"{'/'.join(self.phases)} hook ({self.source})"


_PLAIN: Final = HookInfo()


def hook_delete_policies(
    obj: Mapping[str, Any], *, strict: bool = True, warnings: list[str] | None = None
) -> tuple[str, ...]:
    """Effective hook delete policies: Argo values plus mapped Helm values, default
    ``("BeforeHookCreation",)``.

    >>> hook_delete_policies({"metadata": {"annotations": {
    ...     "helm.sh/hook-delete-policy": "hook-succeeded"}}})
    ('HookSucceeded',)
    """
    ann = _annotations(obj)
    policies: list[str] = []
    raw = ann.get(ANNOTATION_HOOK_DELETE_POLICY)
    if raw is not None:
        for item in split_csv(raw):
            if item in DELETE_POLICIES:
                if item not in policies:
                    policies.append(item)
            else:
                _report(
                    _problem(
                        obj,
                        ANNOTATION_HOOK_DELETE_POLICY,
                        item,
                        f"is not a delete policy (expected one of {', '.join(DELETE_POLICIES)};"
                        " Argo CD silently ignores it)",
                    ),
                    strict,
                    warnings,
                )
    raw = ann.get(HELM_HOOK_DELETE_POLICY)
    if raw is not None:
        for item in split_csv(raw):
            mapped = HELM_DELETE_POLICY_MAP.get(item)
            if mapped is not None:
                if mapped not in policies:
                    policies.append(mapped)
            else:
                _report(
                    _problem(
                        obj,
                        HELM_HOOK_DELETE_POLICY,
                        item,
                        "is not a Helm delete policy (expected one of "
                        f"{', '.join(HELM_DELETE_POLICY_MAP)}; Argo CD silently ignores it)",
                    ),
                    strict,
                    warnings,
                )
    return tuple(policies) if policies else ("BeforeHookCreation",)


def _ordered(phases: list[str]) -> tuple[str, ...]:
    return tuple(sorted(set(phases), key=PHASE_RANK.__getitem__))


def parse_hook(
    obj: Mapping[str, Any], *, strict: bool = True, warnings: list[str] | None = None
) -> HookInfo:
    """Read the hook annotations of ``obj`` as Argo CD does (§1.10, §2.1, §2.2).

    Several phases in one annotation give several phases; ``Skip`` alone skips the object
    (combined with another type it is ignored); Helm hooks count only when no Argo hook type is
    recognised. An unknown value raises :class:`PlanError` (with ``strict=False``: a warning,
    and the value is dropped as Argo CD drops it).

    >>> parse_hook({"metadata": {"annotations": {"helm.sh/hook": "pre-install"}}}).sync_phases
    ('PreSync',)
    >>> parse_hook({"metadata": {"annotations": {"helm.sh/hook": "test"}}}).ignored
    True
    """
    return parse_hook_annotations(obj, _annotations(obj), strict=strict, warnings=warnings)


def parse_hook_annotations(
    obj: Mapping[str, Any],
    ann: Mapping[str, Any],
    *,
    strict: bool = True,
    warnings: list[str] | None = None,
) -> HookInfo:
    """:func:`parse_hook` for a caller that already holds ``obj``'s annotations (``ann``:
    ``metadata.annotations``, or an empty mapping when absent).

    >>> parse_hook_annotations({}, {"argocd.argoproj.io/hook": "Skip"}).skip
    True
    """
    if not ann:
        return _PLAIN
    argo_raw = ann.get(ANNOTATION_HOOK)
    helm_raw = ann.get(HELM_HOOK)
    if argo_raw is None and helm_raw is None:
        return _PLAIN
    # The meaning depends only on four annotation values: parse each combination once.
    key: tuple[Any, ...] | None = (
        argo_raw,
        helm_raw,
        ann.get(ANNOTATION_HOOK_DELETE_POLICY),
        ann.get(HELM_HOOK_DELETE_POLICY),
    )
    cached: HookInfo | None = None
    try:
        cached = _CACHE.get(key)  # type: ignore[arg-type]
    except TypeError:  # an unhashable annotation value (not a string)
        key = None
    if cached is not None:
        return cached
    problems: list[str] = []
    info = _parse_hook(obj, argo_raw, helm_raw, strict, problems)
    if problems:
        if warnings is not None:
            warnings.extend(problems)
    elif key is not None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = info
    return info


_CACHE: dict[tuple[Any, ...], HookInfo] = {}
_CACHE_SIZE: Final = 4096


def _parse_hook(
    obj: Mapping[str, Any],
    argo_raw: Any,
    helm_raw: Any,
    strict: bool,
    warnings: list[str],
) -> HookInfo:
    argo_types: list[str] = []
    if argo_raw is not None:
        for item in split_csv(argo_raw):
            if item in HOOK_TYPES:
                argo_types.append(item)
            else:
                _report(
                    _problem(
                        obj,
                        ANNOTATION_HOOK,
                        item,
                        "is not a hook type (expected PreSync, Sync, PostSync, SyncFail, "
                        "PreDelete, PostDelete or Skip; case matters; Argo CD silently "
                        "ignores it)",
                    ),
                    strict,
                    warnings,
                )

    if argo_raw is not None:
        if argo_types == ["Skip"]:
            return HookInfo(skip=True, source=ANNOTATION_HOOK)
        types = [t for t in argo_types if t != "Skip"]
        if types:
            policies = hook_delete_policies(obj, strict=strict, warnings=warnings)
            return HookInfo(
                is_hook=True,
                sync_phases=_ordered([t for t in types if t in SYNC_PHASES]),
                delete_phases=_ordered([t for t in types if t in DELETE_PHASES]),
                source=ANNOTATION_HOOK,
                delete_policies=policies,
            )
        if "Skip" in argo_types:  # pragma: no cover - "Skip" alone handled above
            return HookInfo(skip=True, source=ANNOTATION_HOOK)

    if helm_raw is not None:
        helm_items = split_csv(helm_raw)
        if argo_raw is None and helm_items == [_HELM_CRD_INSTALL]:
            return _PLAIN
        mapped: list[str] = []
        dropped: list[str] = []
        for item in helm_items:
            phase = HELM_HOOK_MAP.get(item)
            if phase is not None:
                mapped.append(phase)
            elif item in HELM_IGNORED_HOOKS or item == _HELM_CRD_INSTALL:
                dropped.append(item)
            else:
                _report(
                    _problem(
                        obj,
                        HELM_HOOK,
                        item,
                        "is not a Helm hook (expected one of "
                        f"{', '.join(sorted([*HELM_HOOK_MAP, *HELM_IGNORED_HOOKS]))}; "
                        "Argo CD silently ignores it)",
                    ),
                    strict,
                    warnings,
                )
        if mapped:
            return HookInfo(
                is_hook=True,
                sync_phases=_ordered([t for t in mapped if t in SYNC_PHASES]),
                delete_phases=_ordered([t for t in mapped if t in DELETE_PHASES]),
                source=HELM_HOOK,
                delete_policies=hook_delete_policies(obj, strict=strict, warnings=warnings),
                dropped=tuple(dropped),
            )
        return HookInfo(is_hook=True, ignored=True, source=HELM_HOOK, dropped=tuple(dropped))

    # An Argo hook annotation with no recognised value is still "a hook" with no type:
    # Argo CD drops the object (ignore.Ignore).
    return HookInfo(is_hook=True, ignored=True, source=ANNOTATION_HOOK)


def hook_name(
    obj: Mapping[str, Any],
    phase: str,
    revision: str = "",
    started_at: datetime | int | float = 0,
) -> str:
    """The name Argo CD gives a hook task (§2.4).

    ``metadata.name`` when set; otherwise ``generateName`` followed by
    ``lower("<rev>-<phase>-<unix start>")``, where ``<rev>`` is the first 7 characters of the
    revision when it has 8 or more, else the whole revision. Deterministic for a given
    revision and operation start time.

    >>> hook_name({"metadata": {"generateName": "migrate-"}}, "PreSync",
    ...           "4b2f8c1d9e0a", 1700000000)
    'migrate-4b2f8c1-presync-1700000000'
    """
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if name:
        return str(name)
    return f"{meta.get('generateName') or ''}{hook_name_suffix(phase, revision, started_at)}"


def hook_name_suffix(phase: str, revision: str = "", started_at: datetime | int | float = 0) -> str:
    """What :func:`hook_name` appends to ``generateName``: ``lower("<rev>-<phase>-<unix>")``.

    >>> hook_name_suffix("PreSync", "4b2f8c1d9e0a", 1700000000)
    '4b2f8c1-presync-1700000000'
    """
    rev = revision[:7] if len(revision) >= 8 else revision
    if isinstance(started_at, datetime):
        moment = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)
        unix = int(moment.timestamp())
    else:
        unix = int(started_at)
    return f"{rev}-{phase}-{unix}".lower()
