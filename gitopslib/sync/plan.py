"""The sync planner: Argo CD's task order for one sync, computed up front as plain data.

:func:`plan_sync` turns a :class:`~gitopslib.diff.ComparisonResult` into a :class:`SyncPlan`:
every task Argo CD would run, in the order it would run them (argocd-semantics.md §1-§3):

1. one task per resource (phase Sync), one per hook phase (PreSync, Sync, PostSync, SyncFail),
   one prune task per live object the app's tracking claims and Git no longer has;
2. prune tasks get their waves mirrored, ``PruneLast`` ones go after the last Sync wave;
3. sort by phase, wave, prunes-before-applies, the 35-entry kind order, name;
4. Namespaces and CRDs move before the first task that needs them and take its phase and wave.

Tasks Argo CD would run but that do nothing (``Prune=false``, pruning disabled,
``ApplyOutOfSyncOnly`` on a synced object) stay in the plan with ``skipped=True`` and a
reason; objects Argo CD never turns into tasks (``hook: Skip``, Helm test hooks, hooks in a
selective sync, live objects the app does not track) are listed in :attr:`SyncPlan.excluded`.
Project deny rules mark a task ``invalid`` rather than dropping it.

>>> from gitopslib.diff._result import ComparisonResult, ResourceDiff
>>> cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}
>>> cmp = ComparisonResult("OutOfSync", [ResourceDiff("", "ConfigMap", "ns", "cfg",
...                                                   "OutOfSync", desired=cm)])
>>> [(t.phase, t.wave, t.action, t.name) for t in plan_sync(cmp).tasks]
[('Sync', 0, 'create', 'cfg')]
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from gitopslib.hooks import PHASE_RANK, HookInfo, parse_hook, sync_wave
from gitopslib.hooks._hooks import HELM_RESOURCE_POLICY, hook_name_suffix, parse_hook_annotations
from gitopslib.manifest import (
    ANNOTATION_HOOK,
    ANNOTATION_SYNC_OPTIONS,
    ANNOTATION_SYNC_WAVE,
    ANNOTATION_TRACKING_ID,
    CLUSTER_SCOPED_KINDS,
    HELM_HOOK,
    HELM_HOOK_WEIGHT,
    LABEL_INSTANCE,
    ResourceKey,
)
from gitopslib.models import SyncOptions
from gitopslib.sync._kinds import KIND_RANK
from gitopslib.sync._options import AppView, OptionList, resolve
from gitopslib.tracking import parse_tracking_id

_NO_OPTIONS = OptionList()
_NO_ANNOTATIONS: Mapping[str, Any] = {}
_REMOVALS = frozenset({"prune", "delete"})

if TYPE_CHECKING:
    from gitopslib.diff._result import ComparisonResult, ResourceDiff
    from gitopslib.sync.compare import PlanComparison

__all__ = [
    "Action",
    "ExcludedResource",
    "ResourcePermitter",
    "SyncPlan",
    "SyncPlanOptions",
    "SyncTask",
    "SyncWave",
    "plan_delete",
    "plan_sync",
]

Action = Literal["apply", "create", "prune", "delete"]

_CRD_GROUP = "apiextensions.k8s.io"
_CRD_KIND = "CustomResourceDefinition"
_RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"


@runtime_checkable
class ResourcePermitter(Protocol):
    """Anything that answers project resource rules, e.g. ``gitopslib.project.AppProject``."""

    def is_resource_permitted(self, group: str, kind: str, namespaced: bool, name: str) -> bool:
        """Whether the project allows this object."""
        ...


PermitCallable = Callable[[str, str, bool, str], bool]


@dataclass(init=False)
class SyncTask:
    """One step of a sync (or of an Application deletion). Treat as read-only.

    ``phase``: PreSync | Sync | PostSync | SyncFail (or PreDelete | Delete | PostDelete in a
    deletion plan); ``wave``: the wave it runs in (after prune mirroring, PruneLast and
    dependency moves; ``original_wave`` is what the annotations said). ``action``: "create"
    (absent live), "apply" (present live), "prune" (live object Git no longer has), "delete"
    (cascade deletion). ``reason`` says why the task is where it is, or why it is skipped;
    ``skipped`` tasks do nothing when run; ``invalid`` (a message) fails the whole sync, as in
    Argo CD. ``obj`` is the manifest that would be sent (the live object for prune/delete).

    >>> SyncTask("Sync", 0, "apps", "Deployment", "web", "api", "apply").display
    'Deployment api'
    """

    phase: str
    wave: int
    group: str
    kind: str
    namespace: str
    name: str
    action: Action
    is_hook: bool = False
    hook_delete_policies: tuple[str, ...] = ()
    sync_options: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=(), repr=False)
    skipped: bool = False
    invalid: str | None = None
    obj: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    live: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    original_wave: int = 0
    wave_source: str = "default"
    generate_name: str | None = None
    #: How the object is sent: "client-side apply", "server-side apply", "replace",
    #: "create", "update" (CRDs and Namespaces under Replace=true), "delete".
    apply_mode: str = "client-side apply"
    validate: bool = True
    force: bool = False
    skip_dry_run: bool = False
    requires_confirmation: bool = False
    propagation_policy: str | None = None
    respect_ignore_differences: bool = False
    #: 0: ``notes`` is the whole reason; 1/2: a create/apply note built on demand comes first.
    _base = 0
    _status = ""

    # A hand-written __init__: plans hold thousands of tasks, and most fields keep their
    # (class-level) defaults, so only what is given is stored on the instance.
    def __init__(
        self,
        phase: str,
        wave: int,
        group: str,
        kind: str,
        namespace: str,
        name: str,
        action: Action,
        is_hook: bool = False,
        hook_delete_policies: tuple[str, ...] = (),
        sync_options: tuple[str, ...] = (),
        *,
        reason: str = "",
        notes: tuple[str, ...] | list[str] | None = None,
        skipped: bool = False,
        invalid: str | None = None,
        obj: dict[str, Any] | None = None,
        live: dict[str, Any] | None = None,
        original_wave: int | None = None,
        wave_source: str = "default",
        generate_name: str | None = None,
        apply_mode: str = "client-side apply",
        propagation_policy: str | None = None,
    ) -> None:
        self.phase = phase
        self.wave = wave
        self.group = group
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.action = action
        self.is_hook = is_hook
        self.hook_delete_policies = hook_delete_policies
        self.sync_options = sync_options
        if notes:
            self.notes = tuple(notes)
        elif reason:
            self.notes = (reason,)
        self.obj = obj
        self.live = live
        self.original_wave = wave if original_wave is None else original_wave
        if skipped:
            self.skipped = skipped
        if invalid is not None:
            self.invalid = invalid
        if wave_source != "default":
            self.wave_source = wave_source
        if generate_name is not None:
            self.generate_name = generate_name
        if apply_mode != "client-side apply":
            self.apply_mode = apply_mode
        if propagation_policy is not None:
            self.propagation_policy = propagation_policy

    @property
    def reason(self) -> str:
        """Why the task is where it is (or why it is skipped): ``notes`` joined by "; "."""
        if self._base:
            return "; ".join((self._base_note(), *self.notes))
        return "; ".join(self.notes)

    @reason.setter
    def reason(self, value: str) -> None:
        self._base = 0
        self.notes = (value,) if value else ()

    def _base_note(self) -> str:
        # Built on demand: most tasks of a big plan are never printed.
        where = f"wave {self.original_wave} ({self.wave_source})"
        if self._base == 1:
            return f"{where}; not in the cluster: create"
        return f"{where}; in the cluster ({self._status or 'no status'}): apply"

    def add_note(self, note: str) -> None:
        """Append ``note`` to the reason."""
        self.notes = (*self.notes, note)

    @property
    def key(self) -> ResourceKey:
        """The object's identity."""
        return ResourceKey(self.group, self.kind, self.namespace, self.name)

    @property
    def display(self) -> str:
        """``Kind name`` as used in messages."""
        return f"{self.kind} {self.name}"

    @property
    def is_prune(self) -> bool:
        """A prune or delete task (removes a live object)."""
        return self.action in ("prune", "delete")

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """Identity across plans: a generated hook name counts as its ``generateName``."""
        return (self.group, self.kind, self.namespace, self.generate_name or self.name)

    def to_dict(self, *, include_objects: bool = False) -> dict[str, Any]:
        """The task as JSON-ready data (manifests only with ``include_objects``)."""
        out: dict[str, Any] = {
            "phase": self.phase,
            "wave": self.wave,
            "original_wave": self.original_wave,
            "wave_source": self.wave_source,
            "group": self.group,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "action": self.action,
            "is_hook": self.is_hook,
            "hook_delete_policies": list(self.hook_delete_policies),
            "sync_options": list(self.sync_options),
            "reason": self.reason,
            "skipped": self.skipped,
            "invalid": self.invalid,
            "generate_name": self.generate_name,
            "apply_mode": self.apply_mode,
            "validate": self.validate,
            "force": self.force,
            "skip_dry_run": self.skip_dry_run,
            "requires_confirmation": self.requires_confirmation,
            "propagation_policy": self.propagation_policy,
            "respect_ignore_differences": self.respect_ignore_differences,
        }
        if include_objects:
            out["obj"] = self.obj
        return out


@dataclass(frozen=True, slots=True)
class ExcludedResource:
    """An object that gets no task at all, and why (Skip, Helm test hook, untracked, ...)."""

    group: str
    kind: str
    namespace: str
    name: str
    reason: str

    @property
    def key(self) -> ResourceKey:
        """The object's identity."""
        return ResourceKey(self.group, self.kind, self.namespace, self.name)


@dataclass(frozen=True, slots=True)
class SyncWave:
    """The tasks of one (phase, wave) step, prunes first. ``gated``: the next step waits until
    every task here is done and healthy (always between steps of a multi-step sync; not after
    the final step unless it contains hooks)."""

    phase: str
    wave: int
    tasks: tuple[SyncTask, ...]
    gated: bool

    @property
    def prunes(self) -> tuple[SyncTask, ...]:
        """Prune/delete tasks of the step (they run first)."""
        return tuple(t for t in self.tasks if t.is_prune)

    @property
    def applies(self) -> tuple[SyncTask, ...]:
        """Create/apply tasks of the step (after the prunes)."""
        return tuple(t for t in self.tasks if not t.is_prune)

    @property
    def has_hooks(self) -> bool:
        """Whether a hook runs in this step."""
        return any(t.is_hook for t in self.tasks)


@dataclass
class SyncPlanOptions:
    """How to plan. Every field has Argo CD's default.

    ``prune``: pruning allowed (None: the app's ``automated.prune``, else False, as a manual
    ``argocd app sync`` without ``--prune``). ``sync_options``: the operation's options
    (None: the app's ``syncPolicy.syncOptions``). ``resources``: selective sync, items
    ``(group, kind, name)`` or ``(group, kind, namespace, name)``; hooks are skipped then, as
    with ``skip_hooks``. ``force``: ``syncStrategy.{apply,hook}.force``. ``revision`` and
    ``started_at``: name ``generateName`` hooks (§2.4). ``existing_namespaces``: namespaces
    known to exist (None: unknown) for ``CreateNamespace=true``. ``permits``: project rule,
    a callable ``(group, kind, namespaced, name) -> bool`` or an object with
    ``is_resource_permitted``; ``namespace_permits``: destination namespace rule.
    ``strict``: malformed annotations raise :class:`PlanError` (False: warn, use Argo CD's
    fallback). ``app_instance``: the tracking instance name when it is not the app's name.
    ``cascade``: for :func:`plan_delete`, whether resources are deleted with the app.

    >>> SyncPlanOptions(prune=True, dry_run=True).strict
    True
    """

    prune: bool | None = None
    dry_run: bool = False
    strict: bool = True
    sync_options: Sequence[str] | None = None
    resources: Collection[Sequence[str]] | None = None
    skip_hooks: bool = False
    force: bool = False
    prune_confirmed: bool = False
    revision: str | None = None
    started_at: datetime | int | float | None = None
    destination_namespace: str | None = None
    existing_namespaces: Collection[str] | None = None
    permits: PermitCallable | ResourcePermitter | None = None
    namespace_permits: Callable[[str], bool] | None = None
    app_instance: str | None = None
    cascade: bool = True
    cluster_scoped_kinds: Collection[tuple[str, str]] = ()


@dataclass
class SyncPlan:
    """The whole sync as data: ordered ``tasks``, ``sync_fail_tasks`` (run only when the sync
    fails, all at once), ``excluded`` objects, ``warnings``.

    ``kind`` is "sync" (from :func:`plan_sync`) or "delete" (from :func:`plan_delete`).
    """

    tasks: list[SyncTask]
    sync_fail_tasks: list[SyncTask] = field(default_factory=list)
    excluded: list[ExcludedResource] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    prune: bool = False
    revision: str = ""
    app_name: str | None = None
    kind: Literal["sync", "delete"] = "sync"

    @property
    def valid(self) -> bool:
        """False when a task is invalid: Argo CD then fails the whole sync before it starts
        ("one or more synchronization tasks are not valid")."""
        return not any(t.invalid for t in self.tasks) and not any(
            t.invalid for t in self.sync_fail_tasks
        )

    @property
    def invalid_tasks(self) -> list[SyncTask]:
        """Tasks a project rule (or shared-resource check) refuses."""
        return [t for t in [*self.tasks, *self.sync_fail_tasks] if t.invalid]

    def waves(self) -> list[SyncWave]:
        """``tasks`` grouped by (phase, wave) in run order (prunes first in each group).

        >>> SyncPlan(tasks=[]).waves()
        []
        """
        groups: list[list[SyncTask]] = []
        for task in self.tasks:
            if groups and groups[-1][0].phase == task.phase and groups[-1][0].wave == task.wave:
                groups[-1].append(task)
            else:
                groups.append([task])
        multi_step = len(groups) > 1
        out: list[SyncWave] = []
        for index, group in enumerate(groups):
            final = index == len(groups) - 1
            has_hooks = any(t.is_hook for t in group)
            gated = (multi_step and not final) or has_hooks
            out.append(SyncWave(group[0].phase, group[0].wave, tuple(group), gated))
        return out

    def find(self, kind: str, name: str) -> list[SyncTask]:
        """Tasks (including SyncFail ones) for ``kind``/``name``, in plan order."""
        return [
            t
            for t in [*self.tasks, *self.sync_fail_tasks]
            if t.kind == kind and (t.name == name or t.generate_name == name)
        ]

    def to_dict(self, *, include_objects: bool = False) -> dict[str, Any]:
        """The plan as JSON-ready data."""
        return {
            "kind": self.kind,
            "app": self.app_name,
            "revision": self.revision,
            "dry_run": self.dry_run,
            "prune": self.prune,
            "valid": self.valid,
            "tasks": [t.to_dict(include_objects=include_objects) for t in self.tasks],
            "sync_fail_tasks": [
                t.to_dict(include_objects=include_objects) for t in self.sync_fail_tasks
            ],
            "waves": [
                {"phase": w.phase, "wave": w.wave, "tasks": len(w.tasks), "gated": w.gated}
                for w in self.waves()
            ],
            "excluded": [
                {
                    "group": e.group,
                    "kind": e.kind,
                    "namespace": e.namespace,
                    "name": e.name,
                    "reason": e.reason,
                }
                for e in self.excluded
            ],
            "warnings": list(self.warnings),
        }

    def to_json(self, *, include_objects: bool = False, indent: int | None = 2) -> str:
        """The plan as deterministic JSON (sorted keys)."""
        return json.dumps(
            self.to_dict(include_objects=include_objects), indent=indent, sort_keys=True
        )

    def render_table(self) -> str:
        """A fixed-width table: phase, wave, action, kind, namespace/name, reason."""
        from gitopslib.sync.render import render_table

        return render_table(self)

    def to_mermaid(self) -> str:
        """A Mermaid flowchart of phases and waves with their health gates."""
        from gitopslib.sync.render import to_mermaid

        return to_mermaid(self)

    def compare(self, other: SyncPlan) -> PlanComparison:
        """What changes from this plan to ``other`` (moves, new prunes, new/removed tasks)."""
        from gitopslib.sync.compare import compare_plans

        return compare_plans(self, other)


# --- helpers --------------------------------------------------------------------------------


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _ann(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not obj:
        return {}
    return _meta(obj).get("annotations") or {}


_BUCKET = attrgetter("phase", "wave", "action", "kind")
_NAME = attrgetter("name")


def _tail_key(task: SyncTask) -> tuple[str, str, str, bool, int, str]:
    return (
        task.name,
        task.namespace,
        task.group,
        not task.is_hook,
        task.original_wave,
        task.action,
    )


def _sorted(tasks: list[SyncTask]) -> list[SyncTask]:
    """``tasks`` in plan order: phase, wave, prunes first, kind order, then name, namespace,
    group, hooks first, original wave, action; ties keep the input order.

    The same order as one sort by that 10-part key, computed faster: tasks are grouped by
    (phase, wave, action, kind) with a C-level getter, the few groups are ranked, and each
    group is sorted by name alone when its names are unique (the usual case; the rest of the
    key then never decides). Groups whose names repeat use the whole key, with the input
    position as the last tie-breaker where groups of equal rank were merged.
    """
    buckets: dict[tuple[str, int, str, str], list[SyncTask]] = {}
    get = buckets.get
    for task, bucket_key in zip(tasks, map(_BUCKET, tasks), strict=True):
        bucket = get(bucket_key)
        if bucket is None:
            buckets[bucket_key] = [task]
        else:
            bucket.append(task)
    phase_rank, kind_rank, removals = PHASE_RANK, KIND_RANK, _REMOVALS
    ranked: dict[tuple[int, int, bool, int], list[list[SyncTask]]] = {}
    for (phase, wave, action, kind), bucket in buckets.items():
        rank = (
            phase_rank.get(phase, 0),
            -wave if phase == "Delete" else wave,
            action not in removals,
            kind_rank.get(kind, 0),
        )
        parts = ranked.get(rank)
        if parts is None:
            ranked[rank] = [bucket]
        else:
            parts.append(bucket)
    out: list[SyncTask] = []
    position: dict[int, int] | None = None
    for rank in sorted(ranked):
        parts = ranked[rank]
        group = parts[0] if len(parts) == 1 else [t for part in parts for t in part]
        if len(group) > 1:
            if len(set(map(_NAME, group))) == len(group):
                group.sort(key=_NAME)
            elif len(parts) == 1:
                group.sort(key=_tail_key)  # one bucket: still in input order
            else:
                if position is None:
                    position = {id(t): i for i, t in enumerate(tasks)}
                where = position
                group.sort(key=lambda t: (*_tail_key(t), where[id(t)]))
        out += group
    return out


def _sort_key(task: SyncTask) -> tuple[int, int, int, int, str, str, str, int]:
    wave = -task.wave if task.phase == "Delete" else task.wave
    return (
        PHASE_RANK.get(task.phase, 0),
        wave,
        0 if task.is_prune else 1,
        KIND_RANK.get(task.kind, 0),
        task.name,
        task.namespace,
        task.group,
        0 if task.is_hook else 1,
    )


def _selected(rd: ResourceDiff, selection: Collection[Sequence[str]]) -> bool:
    for item in selection:
        if len(item) == 3:
            group, kind, name = item
            if rd.group == group and rd.kind == kind and rd.name == name:
                return True
        elif len(item) == 4:
            group, kind, namespace, name = item
            if (rd.group, rd.kind, rd.namespace, rd.name) == (group, kind, namespace, name):
                return True
    return False


def _tracked_by(live: Mapping[str, Any], rd: ResourceDiff) -> str | None:
    """The app instance the live object's tracking names (None: no usable tracking)."""
    raw = _ann(live).get(ANNOTATION_TRACKING_ID)
    if raw is not None:
        parsed = parse_tracking_id(str(raw))
        if parsed is None:
            return None
        instance, group, kind, namespace, name = parsed
        # copy protection: the id must describe this very object
        if (group, kind, name) != (rd.group, rd.kind, rd.name):
            return None
        if rd.namespace and namespace != rd.namespace:
            return None
        return instance
    label = (_meta(live).get("labels") or {}).get(LABEL_INSTANCE)
    return str(label) if label else None


def _make_task(
    phase: str,
    wave: int,
    group: str,
    kind: str,
    namespace: str,
    name: str,
    action: Action,
    options: tuple[str, ...],
    obj: dict[str, Any] | None,
    live: dict[str, Any] | None,
) -> SyncTask:
    """``SyncTask(phase, ..., action, False, (), options, obj=obj, live=live)`` without the
    keyword handling of ``__init__`` (the planner builds thousands); set the rest after."""
    task: SyncTask = object.__new__(SyncTask)
    task.phase = phase
    task.wave = wave
    task.group = group
    task.kind = kind
    task.namespace = namespace
    task.name = name
    task.action = action
    task.is_hook = False
    task.hook_delete_policies = ()
    task.sync_options = options
    task.obj = obj
    task.live = live
    task.original_wave = wave
    return task


class _Planner:
    """State shared by the steps of one planning call."""

    def __init__(
        self, comparison: ComparisonResult, app: Any, options: SyncPlanOptions | None
    ) -> None:
        self.opts = options or SyncPlanOptions()
        self.view = AppView(app if app is not None else comparison.app)
        self.comparison = comparison
        self.strict = self.opts.strict
        self.warnings: list[str] = []
        app_list = (
            self.opts.sync_options if self.opts.sync_options is not None else self.view.sync_options
        )
        # The app-level list goes through the model's parser (one place for Argo CD's
        # rules); per-object annotations use the lighter OptionList in the hot path.
        self.app_opts = OptionList(SyncOptions.from_list(list(app_list)).raw)
        self.app_opts.check(
            f"Application {self.view.name or '<unnamed>'} syncOptions",
            strict=self.strict,
            warnings=self.warnings,
        )
        if self.app_opts.has("Force=true"):
            self.warnings.append(
                "Force=true in the app's syncOptions has no effect in Argo CD (use "
                "syncStrategy.apply.force / force=True, or the resource annotation)"
            )
        self.dest_ns = self.opts.destination_namespace or self.view.destination_namespace
        self.prune_enabled = (
            self.opts.prune if self.opts.prune is not None else self.view.automated_prune
        )
        self.revision = self.opts.revision if self.opts.revision is not None else self.view.revision
        self.started_at: datetime | int | float = (
            self.opts.started_at if self.opts.started_at is not None else 0
        )
        self.selection = self.opts.resources
        self.skip_hooks = self.opts.skip_hooks or bool(self.selection)
        self.instances = (
            frozenset({self.opts.app_instance})
            if self.opts.app_instance
            else self.view.instance_names()
        )
        self.app_ssa = self.app_opts.has("ServerSideApply=true")
        self.app_replace = self.app_opts.has("Replace=true")
        self.app_validate_off = self.app_opts.has("Validate=false")
        self.app_skip_dry_run = self.app_opts.has("SkipDryRunOnMissingResource=true")
        self.app_respect = self.app_opts.has("RespectIgnoreDifferences=true")
        self.propagation = (self.app_opts.get("PrunePropagationPolicy") or "foreground").lower()
        self.excluded: list[ExcludedResource] = []
        self._res_opts_cache: dict[int, OptionList] = {}
        #: sync-wave annotation strings already read (Go's Atoi is a pure function of them)
        self._wave_cache: dict[str, int] = {}
        self._weight_cache: dict[str, int] = {}  # the same for helm.sh/hook-weight
        self._hook_suffixes: dict[str, str] = {}
        self._hook_notes: dict[int, tuple[HookInfo, str, str]] = {}
        self.app_prune = self.app_opts.get("Prune")
        self.propagation_note = f"propagation {self.propagation}"
        #: prune tasks in the order built, and those whose live object says PruneLast=true
        self.prunes: list[SyncTask] = []
        self.prune_last: list[SyncTask] = []
        self.permit = self._permit_function()
        self.crd_kinds = self._crd_kinds()
        self.cluster_scoped = CLUSTER_SCOPED_KINDS | frozenset(self.opts.cluster_scoped_kinds)
        self.checks_rules = self.permit is not None or self.opts.namespace_permits is not None
        self.settings_needed = False  # set below, once the app-level flags are known
        self.app_flags = (
            self.app_replace
            or self.app_ssa
            or self.app_validate_off
            or self.app_skip_dry_run
            or self.app_respect
            or self.opts.force
        )
        self.settings_needed = self.app_flags or bool(self.crd_kinds)

    # -- small pieces --------------------------------------------------------------------

    def _permit_function(self) -> PermitCallable | None:
        permits = self.opts.permits
        if permits is None:
            return None
        if isinstance(permits, ResourcePermitter):
            return permits.is_resource_permitted
        return permits

    def _crd_kinds(self) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        for rd in self.comparison.resources:
            obj = rd.desired
            if obj is not None and rd.kind == _CRD_KIND and rd.group == _CRD_GROUP:
                spec = obj.get("spec") or {}
                group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
                if isinstance(group, str) and isinstance(kind, str):
                    out.add((group, kind))
        return out

    def exclude(self, rd: ResourceDiff, reason: str, name: str | None = None) -> None:
        self.excluded.append(
            ExcludedResource(rd.group, rd.kind, rd.namespace, name or rd.name, reason)
        )

    def merged_options(self, res: OptionList) -> tuple[str, ...]:
        """Resource options plus app options whose key the resource does not set."""
        if not res.items:
            return self.app_opts.items
        keys = {item.partition("=")[0] for item in res.items}
        return res.items + tuple(
            item for item in self.app_opts.items if item.partition("=")[0] not in keys
        )

    def namespace_of(self, rd: ResourceDiff) -> str:
        if rd.namespace:
            return rd.namespace
        if (rd.group, rd.kind) in self.cluster_scoped:
            return ""
        return self.dest_ns

    def check_permitted(self, task: SyncTask) -> None:
        if not self.checks_rules:
            return
        namespaced = (task.group, task.kind) not in self.cluster_scoped
        if self.permit is not None and not self.permit(
            task.group, task.kind, namespaced, task.name
        ):
            task.invalid = f"Resource {task.group}:{task.kind} is not permitted in project"
        elif (
            namespaced
            and self.opts.namespace_permits is not None
            and not self.opts.namespace_permits(task.namespace or self.dest_ns)
        ):
            task.invalid = f"namespace {task.namespace or self.dest_ns} is not permitted in project"

    def wave_of(self, obj: Mapping[str, Any]) -> tuple[int, str]:
        return sync_wave(obj, strict=self.strict, warnings=self.warnings)

    def fast_wave(self, obj: Mapping[str, Any], ann: Mapping[str, Any]) -> tuple[int, str]:
        """:meth:`wave_of` for an object whose annotations ``ann`` are at hand: valid values
        (Go's Atoi is a pure function of the string) are read through per-call caches."""
        if not ann:
            return 0, "default"
        raw = ann.get(ANNOTATION_SYNC_WAVE)
        weight = None
        if raw is None:
            weight = ann.get(HELM_HOOK_WEIGHT)
            if weight is None:
                return 0, "default"
            if weight.__class__ is str:
                cached = self._weight_cache.get(weight)
                if cached is not None:
                    return cached, HELM_HOOK_WEIGHT
        elif raw.__class__ is str:
            cached = self._wave_cache.get(raw)
            if cached is not None:
                return cached, ANNOTATION_SYNC_WAVE
        wave, source = self.wave_of(obj)
        if source == ANNOTATION_SYNC_WAVE and raw.__class__ is str:
            self._wave_cache[raw] = wave
        elif source == HELM_HOOK_WEIGHT and weight.__class__ is str:
            self._weight_cache[weight] = wave
        return wave, source

    def hook_info(self, obj: Mapping[str, Any]) -> HookInfo:
        return parse_hook(obj, strict=self.strict, warnings=self.warnings)

    def hook_suffix(self, phase: str) -> str:
        """What a ``generateName`` hook's name gets for ``phase`` (§2.4), computed once."""
        suffix = self._hook_suffixes.get(phase)
        if suffix is None:
            suffix = hook_name_suffix(phase, self.revision, self.started_at)
            self._hook_suffixes[phase] = suffix
        return suffix

    def hook_notes(self, info: HookInfo) -> tuple[str, str]:
        """``info.describe()`` and the delete-policy note, once per distinct hook info."""
        entry = self._hook_notes.get(id(info))
        if entry is None or entry[0] is not info:
            entry = (info, info.describe(), "delete policy " + ",".join(info.delete_policies))
            self._hook_notes[id(info)] = entry
        return entry[1], entry[2]

    @staticmethod
    def wave_text(wave: int, source: str) -> str:
        return f"wave {wave} ({source})"

    def apply_settings(
        self, task: SyncTask, res: OptionList, live_res: OptionList, has_live: bool
    ) -> list[str]:
        """Fill how the object is sent; return the notes for the reason."""
        notes: list[str] = []
        if not (self.app_flags or res.items or live_res.items):
            if (task.group, task.kind) in self.crd_kinds:
                task.skip_dry_run = True
                notes.append("dry-run skipped if the API does not know the kind yet")
            return notes
        replace = self.app_replace or res.has("Replace=true") or live_res.has("Replace=true")
        force = self.opts.force or res.has("Force=true") or live_res.has("Force=true")
        if replace:
            if not has_live:
                task.apply_mode = "create"
                notes.append("Replace=true: kubectl create")
            elif task.kind in (_CRD_KIND, "Namespace"):
                task.apply_mode = "update"
                notes.append(f"Replace=true: a {task.kind} is updated, never replaced")
            else:
                task.apply_mode = "replace"
                notes.append("Replace=true: kubectl replace")
        elif not res.has("ServerSideApply=false") and (
            self.app_ssa or res.has("ServerSideApply=true")
        ):
            task.apply_mode = "server-side apply"
            notes.append("server-side apply (field manager argocd-controller)")
        elif res.has("ServerSideApply=false") and self.app_ssa:
            notes.append("ServerSideApply=false: client-side apply")
        if force:
            task.force = True
            notes.append("Force=true: delete and recreate on conflict")
        if self.app_validate_off or res.has("Validate=false"):
            task.validate = False
            notes.append("Validate=false")
        if (
            self.app_skip_dry_run
            or res.has("SkipDryRunOnMissingResource=true")
            or (task.group, task.kind) in self.crd_kinds
        ):
            task.skip_dry_run = True
            notes.append("dry-run skipped if the API does not know the kind yet")
        if self.app_respect and has_live:
            task.respect_ignore_differences = True
            notes.append("RespectIgnoreDifferences: live values of ignored fields kept")
        return notes

    # -- task construction ---------------------------------------------------------------

    def resource_tasks(self) -> list[SyncTask]:
        tasks: list[SyncTask] = []
        append = tasks.append
        apply_out_of_sync_only = self.app_opts.has("ApplyOutOfSyncOnly=true")
        fail_on_shared = self.app_opts.has("FailOnSharedResource=true")
        selection = self.selection
        # Hot loop: one pass over each object's annotations; a plain object (no sync-options
        # on it or on its live copy, no app-level flag to apply) is built inline, attribute by
        # attribute, with its wave read through a per-call cache of annotation strings.
        settings_needed = self.settings_needed
        tail_needed = (
            apply_out_of_sync_only or bool(self.instances) or self.checks_rules or fail_on_shared
        )
        options = self.app_opts.items
        wave_cache = self._wave_cache
        namespace_of = self.namespace_of
        new = object.__new__
        task_class = SyncTask
        for rd in self.comparison.resources:
            desired, live = rd.desired, rd.live
            if desired is not None:
                meta = desired.get("metadata")
                ann = (meta.get("annotations") if meta else None) or _NO_ANNOTATIONS
                if ann and (ANNOTATION_HOOK in ann or HELM_HOOK in ann):
                    info = parse_hook_annotations(
                        desired, ann, strict=self.strict, warnings=self.warnings
                    )
                    if info.skip:
                        self.exclude(rd, "hook: Skip: never applied, never pruned")
                        continue
                    if info.is_hook:
                        self.hook_tasks(rd, desired, ann, live, info, tasks)
                        continue
                if selection is not None and not _selected(rd, selection):
                    self.exclude(rd, "not selected (selective sync)")
                    continue
                raw = ann.get(ANNOTATION_SYNC_WAVE) if ann else None
                wave = wave_cache.get(raw) if raw.__class__ is str else None
                if wave is not None:
                    source = ANNOTATION_SYNC_WAVE
                else:
                    wave, source = self.fast_wave(desired, ann)
                if live is not None:
                    live_meta = live.get("metadata")
                    live_ann = live_meta.get("annotations") if live_meta else None
                    live_options = ANNOTATION_SYNC_OPTIONS in live_ann if live_ann else False
                else:
                    live_options = False
                if settings_needed or live_options or (ann and ANNOTATION_SYNC_OPTIONS in ann):
                    append(
                        self.target_task(
                            rd,
                            desired,
                            ann,
                            live,
                            wave,
                            source,
                            apply_out_of_sync_only,
                            fail_on_shared,
                        )
                    )
                    continue
                # the plain case, as target_task builds it; fields left out (is_hook,
                # hook_delete_policies, live of a create) keep SyncTask's class defaults
                task = new(task_class)
                task.phase = "Sync"
                task.wave = wave
                task.group = rd.group
                task.kind = rd.kind
                task.namespace = rd.namespace or namespace_of(rd)
                task.name = rd.name
                task.sync_options = options
                task.obj = desired
                task.original_wave = wave
                if source != "default":
                    task.wave_source = source
                if live is not None:
                    task.action = "apply"
                    task.live = live
                    task._base = 2
                    task._status = rd.status
                else:
                    task.action = "create"
                    task._base = 1
                if tail_needed:
                    self.target_tail(task, rd, live, apply_out_of_sync_only, fail_on_shared)
                append(task)
            elif live is not None:
                info = self.hook_info(live)
                if info.skip:
                    self.exclude(rd, "hook: Skip: never applied, never pruned")
                    continue
                if rd.hook or info.is_hook:
                    self.exclude(rd, "a live hook object: a sync never prunes hooks")
                    continue
                if not rd.requires_pruning:
                    self.exclude(rd, "live object not claimed by this app's tracking: never pruned")
                    continue
                if self.selection is not None and not _selected(rd, self.selection):
                    self.exclude(rd, "not selected (selective sync)")
                    continue
                append(self.prune_task(rd, live))
        return tasks

    def target_task(
        self,
        rd: ResourceDiff,
        desired: dict[str, Any],
        ann: Mapping[str, Any],
        live: dict[str, Any] | None,
        wave: int,
        source: str,
        apply_out_of_sync_only: bool,
        fail_on_shared: bool,
    ) -> SyncTask:
        res = live_res = _NO_OPTIONS
        options = self.app_opts.items
        if ann and ANNOTATION_SYNC_OPTIONS in ann:
            res = OptionList(str(ann[ANNOTATION_SYNC_OPTIONS]).split(","))
            res.check(f"{rd.kind} {rd.name}", strict=self.strict, warnings=self.warnings)
            options = self.merged_options(res)
        if live is not None:
            live_meta = live.get("metadata")
            live_ann = live_meta.get("annotations") if live_meta else None
            if live_ann and ANNOTATION_SYNC_OPTIONS in live_ann:
                live_res = OptionList(str(live_ann[ANNOTATION_SYNC_OPTIONS]).split(","))
        task = SyncTask(
            "Sync",
            wave,
            rd.group,
            rd.kind,
            rd.namespace or self.namespace_of(rd),
            rd.name,
            "create" if live is None else "apply",
            False,
            (),
            options,
            obj=desired,
            live=live,
            original_wave=wave,
            wave_source=source,
        )
        if live is None:
            task._base = 1
        else:
            task._base = 2
            task._status = rd.status
        if self.settings_needed or res.items or live_res.items:
            extra = self.apply_settings(task, res, live_res, live is not None)
            if extra:
                task.notes = tuple(extra)
        self.target_tail(task, rd, live, apply_out_of_sync_only, fail_on_shared)
        return task

    def target_tail(
        self,
        task: SyncTask,
        rd: ResourceDiff,
        live: dict[str, Any] | None,
        apply_out_of_sync_only: bool,
        fail_on_shared: bool,
    ) -> None:
        """The last steps of a resource task: ApplyOutOfSyncOnly, shared resources, rules."""
        if (
            apply_out_of_sync_only
            and live is not None
            and not rd.modified
            and rd.status == "Synced"
        ):
            task.skipped = True
            task.notes = ("synced, skipped (ApplyOutOfSyncOnly)", task._base_note(), *task.notes)
            task._base = 0
        if live is not None and self.instances:
            owner = _tracked_by(live, rd)
            if owner is not None and owner not in self.instances:
                message = f"Shared resource found: {rd.kind} {rd.name} is tracked by app {owner}"
                if fail_on_shared:
                    task.invalid = f"{message} (FailOnSharedResource=true)"
                else:
                    self.warnings.append(message)
        if self.checks_rules:
            self.check_permitted(task)

    def hook_tasks(
        self,
        rd: ResourceDiff,
        desired: dict[str, Any],
        ann: Mapping[str, Any],
        live: dict[str, Any] | None,
        info: HookInfo,
        tasks: list[SyncTask],
    ) -> None:
        if info.ignored:
            self.exclude(rd, info.describe())
            return
        if not info.sync_phases:
            self.exclude(
                rd,
                f"{'/'.join(info.delete_phases)} hook: runs only when the Application is "
                "deleted (see plan_delete)",
            )
            return
        if self.skip_hooks:
            self.exclude(
                rd,
                "hooks do not run in a selective sync"
                if self.selection
                else "hooks are skipped (skip_hooks)",
            )
            return
        wave, source = self.fast_wave(desired, ann)
        res = OptionList.from_annotations(ann)
        if res.items:
            res.check(f"{rd.kind} {rd.name}", strict=self.strict, warnings=self.warnings)
        meta = _meta(desired)
        given_name = meta.get("name")
        generate = (meta.get("generateName") or None) if not given_name else None
        # the same for every phase of the hook
        hook_live = live if generate is None else None
        bhc = "BeforeHookCreation" in info.delete_policies
        action: Action = "create" if hook_live is None or bhc else "apply"
        namespace = self.namespace_of(rd)
        options = self.merged_options(res)
        described, policy_note = self.hook_notes(info)
        head = [described, self.wave_text(wave, source)]
        if generate is not None:
            head.append(f"named from generateName {generate!r} + revision, phase and start time")
        if hook_live is not None and bhc:
            head.append(f"existing {rd.kind} deleted first (BeforeHookCreation)")
        elif hook_live is not None:
            head.append("existing object re-applied (no BeforeHookCreation)")
        head.append(policy_note)
        live_res = OptionList.from_object(hook_live) if hook_live is not None else _NO_OPTIONS
        settings = bool(self.app_flags or res.items or live_res.items or self.crd_kinds)
        suffixes = self._hook_suffixes
        for phase in info.sync_phases:
            if given_name:
                name = str(given_name)
            else:
                suffix = suffixes.get(phase) or self.hook_suffix(phase)
                name = f"{meta.get('generateName') or ''}{suffix}"
            obj = desired
            if generate is not None:
                obj = dict(desired)
                obj["metadata"] = {**meta, "name": name}
            task = _make_task(
                phase, wave, rd.group, rd.kind, namespace, name, action, options, obj, hook_live
            )
            task.is_hook = True
            task.hook_delete_policies = info.delete_policies
            if source != "default":
                task.wave_source = source
            if generate is not None:
                task.generate_name = generate
            task.propagation_policy = self.propagation
            if settings:
                task.notes = (*head, *self.apply_settings(task, res, live_res, False))
            else:
                task.notes = tuple(head)
            if self.checks_rules:
                self.check_permitted(task)
            tasks.append(task)

    def prune_task(self, rd: ResourceDiff, live: dict[str, Any]) -> SyncTask:
        meta = live.get("metadata")
        ann = (meta.get("annotations") if meta else None) or _NO_ANNOTATIONS
        wave, source = self.fast_wave(live, ann)
        res = OptionList.from_annotations(ann)
        if res.items:
            res.check(f"live {rd.kind} {rd.name}", strict=self.strict, warnings=self.warnings)
            prune_value = resolve("Prune", res, self.app_opts)
        else:
            prune_value = self.app_prune
        task = _make_task(
            "Sync",
            wave,
            rd.group,
            rd.kind,
            rd.namespace,
            rd.name,
            "prune",
            self.merged_options(res),
            live,
            live,
        )
        if source != "default":
            task.wave_source = source
        task.apply_mode = "delete"
        task.propagation_policy = self.propagation
        if not self.prune_enabled:
            task.skipped = True
            first = "ignored (requires pruning): pruning is not enabled for this sync"
        elif prune_value == "false":
            task.skipped = True
            where = "object" if res.get("Prune") is not None else "app"
            first = f"ignored (no prune): Prune=false on the {where}"
        else:
            first = "pruned (dry run)" if self.opts.dry_run else "pruned: not in Git"
        live_note = f"live wave {wave} ({source})"
        if prune_value == "confirm" and not task.skipped:
            task.requires_confirmation = True
            if not self.opts.prune_confirmed:
                task.notes = (
                    first,
                    "Prune=confirm: waits for argocd.argoproj.io/deletion-approved on the app",
                    live_note,
                    self.propagation_note,
                )
            else:
                task.notes = (first, live_note, self.propagation_note)
        else:
            task.notes = (first, live_note, self.propagation_note)
        if self.checks_rules:
            self.check_permitted(task)
        self.prunes.append(task)
        if res.items and res.has("PruneLast=true"):
            self.prune_last.append(task)
        return task

    def namespace_task(self) -> SyncTask | None:
        if not self.app_opts.has("CreateNamespace=true"):
            return None
        ns = self.dest_ns
        if not ns:
            self.warnings.append(
                "CreateNamespace=true without a destination namespace does nothing"
            )
            return None
        for rd in self.comparison.resources:
            if rd.desired is not None and rd.kind == "Namespace" and not rd.group and rd.name == ns:
                return None
        mnm = self.view.managed_namespace_metadata
        known = self.opts.existing_namespaces
        exists = None if known is None else ns in known
        if exists and mnm is None:
            self.excluded.append(
                ExcludedResource(
                    "", "Namespace", "", ns, "CreateNamespace=true: namespace exists already"
                )
            )
            return None
        meta: dict[str, Any] = {"name": ns}
        notes = ["CreateNamespace=true: the destination namespace, before everything else"]
        mode = "client-side apply"
        if mnm is not None:
            labels, annotations = mnm
            if labels:
                meta["labels"] = dict(sorted(labels.items()))
            meta["annotations"] = {
                **dict(sorted(annotations.items())),
                "argocd.argoproj.io/sync-options": "ServerSideApply=true",
            }
            notes.append("managedNamespaceMetadata applied (server-side apply)")
            mode = "server-side apply"
        obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}
        if exists is None:
            notes.append("created if missing")
        action: Action = "apply" if exists else "create"
        task = SyncTask(
            "PreSync",
            0,
            "",
            "Namespace",
            "",
            ns,
            action,
            sync_options=("ServerSideApply=true",) if mnm is not None else (),
            notes=notes,
            obj=obj,
            apply_mode=mode,
        )
        self.check_permitted(task)
        return task


def _mirror_prune_waves(prunes: list[SyncTask]) -> None:
    """Reverse the order of prune waves among themselves (§1.6)."""
    waves = sorted({t.wave for t in prunes})
    n = len(waves)
    if n < 2:
        return
    mirror = {waves[i]: waves[n - 1 - i] for i in range(n)}
    for task in prunes:
        new = mirror[task.wave]
        if new != task.wave:
            task.add_note(f"prune waves run in reverse: wave {task.wave} -> {new}")
            task.wave = new


def _apply_prune_last(tasks: list[SyncTask], marked: list[SyncTask], app_prune_last: bool) -> None:
    """Move the ``marked`` PruneLast prunes after the last Sync wave (at least wave 1)."""
    if not marked:
        return
    # mirroring permutes the prune waves among themselves, so the maximum is unchanged
    waves = [t.wave for t in tasks if t.phase == "Sync"]
    target = max(0, *waves) + 1
    where = "app" if app_prune_last else "object"
    for task in marked:
        task.add_note(f"PruneLast=true ({where}): after the last Sync wave, in wave {target}")
        task.wave = target


def _bubble(
    tasks: list[SyncTask],
    dep_key: Callable[[SyncTask], str | None],
    ref_key: Callable[[SyncTask], str | None],
    what: str,
) -> None:
    """Move each dependency before the first task that needs it, taking its phase and wave."""
    first: dict[str, int] = {}
    i = 0
    while i < len(tasks):
        task = tasks[i]
        if task.obj is None or task.action in _REMOVALS:
            i += 1
            continue
        key = dep_key(task)
        if key is not None:
            index = first.get(key)
            if index is not None:
                _note_moved(task, tasks[index], what)
                _move(tasks, first, i, index)
        else:
            ref = ref_key(task)
            if ref is not None and ref not in first:
                first[ref] = i
        i += 1


def _note_moved(task: SyncTask, anchor: SyncTask, what: str) -> None:
    """Note that ``task`` moves before ``anchor`` (which needs this ``what``), and to which
    phase and wave when that changes."""
    note = f"moved before {anchor.display}, which needs this {what}"
    if (task.phase, task.wave) != (anchor.phase, anchor.wave):
        note += f": takes its {anchor.phase} wave {anchor.wave}"
    task.add_note(note)


def _move(tasks: list[SyncTask], first: dict[str, int], i: int, index: int) -> None:
    task, anchor = tasks[i], tasks[index]
    task.phase = anchor.phase
    task.wave = anchor.wave
    tasks.pop(i)
    tasks.insert(index, task)
    for dep, at in first.items():
        if at >= index:
            first[dep] = at + 1


_KIND = attrgetter("kind")
_NAMESPACE = attrgetter("namespace")


def _bubble_namespaces(tasks: list[SyncTask], dest_ns: str) -> None:
    """The Namespace pass of :func:`_bubble`, computed from positions instead of moving
    tasks one by one (it would visit every task of the plan).

    Equivalent to the walk in :func:`_bubble`: a Namespace task moves just before the first
    earlier task (not a prune, not itself a Namespace) in that namespace, taking its phase and
    wave; other tasks keep their relative order. Targets without a namespace count as the
    destination namespace: Argo CD gives them one, even cluster-scoped ones, before it sorts.
    """
    removals = _REMOVALS
    kinds = list(map(_KIND, tasks))
    movers: list[int] = []
    at = -1
    while True:
        try:
            at = kinds.index("Namespace", at + 1)
        except ValueError:
            break
        task = tasks[at]
        if not task.group and task.obj is not None and task.action not in removals:
            movers.append(at)
    if not movers:
        return
    # only a task before the last Namespace task can be an anchor
    refs = list(map(_NAMESPACE, tasks[: movers[-1]]))

    def refers(p: int) -> bool:
        task = tasks[p]
        return (
            task.obj is not None
            and task.action not in removals
            and not (kinds[p] == "Namespace" and not task.group)
        )

    def first_ref(name: str) -> int | None:
        best: int | None = None
        for value in (name, "") if name == dest_ns else (name,):
            p = -1
            while True:
                try:
                    p = refs.index(value, p + 1)
                except ValueError:
                    break
                if refers(p):
                    if best is None or p < best:
                        best = p
                    break
        return best

    anchors: dict[str, int | None] = {}
    inserts: dict[int, list[SyncTask]] = {}
    moved: set[int] = set()
    for j in movers:
        task = tasks[j]
        name = task.name
        if not name:
            continue
        if name not in anchors:
            anchors[name] = first_ref(name)
        index = anchors[name]
        if index is None or index > j:
            continue
        anchor = tasks[index]
        _note_moved(task, anchor, "Namespace")
        task.phase = anchor.phase
        task.wave = anchor.wave
        inserts.setdefault(index, []).append(task)
        moved.add(j)
    if not moved:
        return
    out: list[SyncTask] = []
    prev = 0
    for cut in sorted(moved.union(inserts)):
        out += tasks[prev:cut]
        if cut in moved:
            prev = cut + 1
        else:
            out += inserts[cut]
            prev = cut
    out += tasks[prev:]
    tasks[:] = out


def _order(tasks: list[SyncTask], dest_ns: str, crds: bool) -> list[SyncTask]:
    """Sort ``tasks`` in place, then move Namespaces and (when ``crds``: some desired CRD
    defines a kind) CRDs before their first user."""
    tasks[:] = _sorted(tasks)

    def crd_dep(task: SyncTask) -> str | None:
        if task.kind != _CRD_KIND or task.group != _CRD_GROUP or task.obj is None:
            return None
        spec = task.obj.get("spec") or {}
        group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
        if isinstance(group, str) and isinstance(kind, str):
            return f"{group}/{kind}"
        return None

    def crd_ref(task: SyncTask) -> str | None:
        return f"{task.group}/{task.kind}"

    _bubble_namespaces(tasks, dest_ns)
    if crds:
        _bubble(tasks, crd_dep, crd_ref, "CRD")
    return tasks


_PHASE = attrgetter("phase")


def _split_sync_fail(tasks: list[SyncTask]) -> tuple[list[SyncTask], list[SyncTask]]:
    """``tasks`` without and with phase SyncFail, each in plan order."""
    phases = list(map(_PHASE, tasks))
    count = phases.count("SyncFail")
    if not count:
        return tasks, []
    start = len(tasks) - count
    if phases.index("SyncFail") == start:  # sorted by phase: they end the plan
        return tasks[:start], tasks[start:]
    return [t for t in tasks if t.phase != "SyncFail"], [t for t in tasks if t.phase == "SyncFail"]


def plan_sync(
    comparison: ComparisonResult, app: Any = None, options: SyncPlanOptions | None = None
) -> SyncPlan:
    """Plan a sync of ``comparison`` (desired against live) in Argo CD's order.

    ``app`` (a :class:`gitopslib.models.Application` or its YAML as a dict; default
    ``comparison.app``) supplies sync options, the destination namespace, auto-sync prune
    and managed namespace metadata; ``options`` the operation's settings. Pure and
    deterministic: the same input in any order gives the same plan.

    Raises :class:`~gitopslib.errors.PlanError` for a malformed annotation or option (with
    ``options.strict=False``: a warning on the plan and Argo CD's fallback).

    >>> from gitopslib.diff._result import ComparisonResult
    >>> plan_sync(ComparisonResult("Synced", [])).tasks
    []
    """
    # Planning allocates a few objects per task and frees none of them: pause the cyclic
    # collector meanwhile (as bulk loaders do) instead of letting it rescan the young tasks.
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _plan_sync(comparison, app, options)
    finally:
        if paused:
            gc.enable()


def _plan_sync(
    comparison: ComparisonResult, app: Any = None, options: SyncPlanOptions | None = None
) -> SyncPlan:
    planner = _Planner(comparison, app, options)
    opts = planner.opts
    tasks = planner.resource_tasks()
    ns_task = planner.namespace_task()
    if ns_task is not None:
        tasks.append(ns_task)
    prunes = planner.prunes
    app_prune_last = planner.app_opts.has("PruneLast=true")
    _mirror_prune_waves(prunes)
    _apply_prune_last(tasks, prunes if app_prune_last else planner.prune_last, app_prune_last)
    _order(tasks, planner.dest_ns, bool(planner.crd_kinds))
    if opts.dry_run:
        for task in tasks:
            if not task.skipped and task.action != "prune":
                task.add_note("dry run: nothing is changed")
    sync_tasks, fail_tasks = _split_sync_fail(tasks)
    planner.excluded.sort(key=lambda e: (e.kind, e.namespace, e.name, e.group, e.reason))
    return SyncPlan(
        tasks=sync_tasks,
        sync_fail_tasks=fail_tasks,
        excluded=planner.excluded,
        warnings=planner.warnings,
        dry_run=opts.dry_run,
        prune=planner.prune_enabled,
        revision=planner.revision,
        app_name=planner.view.name,
        kind="sync",
    )


def _claimed(rd: ResourceDiff, live: Mapping[str, Any], instances: frozenset[str]) -> bool:
    if rd.requires_pruning:
        return True
    if not instances:
        return False
    owner = _tracked_by(live, rd)
    return owner is not None and owner in instances


def plan_delete(
    comparison: ComparisonResult, app: Any = None, options: SyncPlanOptions | None = None
) -> SyncPlan:
    """Plan the deletion of an Application (§2.6): PreDelete hooks, then the cascade deletion
    of its resources by wave, highest wave first (one wave at a time), then PostDelete hooks.

    Only live objects the app's tracking claims are deleted (``requires_pruning``, or a
    tracking-id / instance label naming the app). ``Delete=false`` and
    ``helm.sh/resource-policy: keep`` keep an object (a skipped task says so);
    ``Delete=confirm``/``Prune=confirm`` mark ``requires_confirmation``. Tasks use phases
    "PreDelete", "Delete" and "PostDelete".

    >>> from gitopslib.diff._result import ComparisonResult
    >>> plan_delete(ComparisonResult("Synced", [])).kind
    'delete'
    """
    planner = _Planner(comparison, app, options)
    opts = planner.opts
    finalizers = planner.view.finalizers
    propagation = "foreground"
    for fin in finalizers:
        if fin.startswith(_RESOURCES_FINALIZER + "/"):
            propagation = fin.rsplit("/", 1)[1]
    tasks: list[SyncTask] = []
    for rd in comparison.resources:
        desired, live = rd.desired, rd.live
        if desired is not None:
            info = planner.hook_info(desired)
            for phase in info.delete_phases:
                wave, source = planner.wave_of(desired)
                name = str(_meta(desired).get("name") or _meta(desired).get("generateName"))
                task = SyncTask(
                    phase,
                    0,
                    rd.group,
                    rd.kind,
                    planner.namespace_of(rd),
                    name,
                    "create" if live is None else "apply",
                    is_hook=True,
                    hook_delete_policies=info.delete_policies,
                    obj=desired,
                    live=live,
                    original_wave=wave,
                    wave_source=source,
                    generate_name=_meta(desired).get("generateName") or None,
                    apply_mode="create",
                )
                when = "before" if phase == "PreDelete" else "after"
                notes = [
                    f"{phase} hook ({info.source}): created {when} the resources are deleted;"
                    " all such hooks start together and must become Healthy",
                    "cleaned up afterwards if its delete policy matches the hooks' health ("
                    + ",".join(info.delete_policies)
                    + ")",
                ]
                task.notes = tuple(notes)
                planner.check_permitted(task)
                tasks.append(task)
        if live is None:
            continue
        live_info = planner.hook_info(live)
        if live_info.delete_phases and not live_info.sync_phases:
            planner.exclude(rd, "a live PreDelete/PostDelete hook: cleaned up by its policy")
            continue
        if not _claimed(rd, live, planner.instances):
            planner.exclude(rd, "live object not claimed by this app's tracking: never deleted")
            continue
        wave, source = planner.wave_of(live)
        res = OptionList.from_object(live)
        task = SyncTask(
            "Delete",
            wave,
            rd.group,
            rd.kind,
            rd.namespace,
            rd.name,
            "delete",
            sync_options=planner.merged_options(res),
            obj=live,
            live=live,
            original_wave=wave,
            wave_source=source,
            apply_mode="delete",
            propagation_policy=propagation,
        )
        notes = [f"cascade deletion, highest wave first: {planner.wave_text(wave, source)}"]
        delete_value = resolve("Delete", res, planner.app_opts)
        if not opts.cascade:
            task.skipped = True
            notes.insert(0, "kept: non-cascading deletion")
        elif delete_value == "false":
            task.skipped = True
            notes.insert(0, "kept (Delete=false)")
        elif str(_ann(live).get(HELM_RESOURCE_POLICY, "")).strip() == "keep":
            task.skipped = True
            notes.insert(0, "kept (helm.sh/resource-policy: keep)")
        elif delete_value == "confirm" or resolve("Prune", res, planner.app_opts) == "confirm":
            task.requires_confirmation = True
            notes.append("waits for argocd.argoproj.io/deletion-approved on the app")
        task.notes = tuple(notes)
        planner.check_permitted(task)
        tasks.append(task)
    tasks.sort(key=_sort_key)
    planner.excluded.sort(key=lambda e: (e.kind, e.namespace, e.name, e.group, e.reason))
    return SyncPlan(
        tasks=tasks,
        excluded=planner.excluded,
        warnings=planner.warnings,
        dry_run=opts.dry_run,
        prune=True,
        revision=planner.revision,
        app_name=planner.view.name,
        kind="delete",
    )
