"""The data of a plan: :class:`SyncTask` (one step), :class:`ExcludedResource` (an object
that gets no task), :class:`SyncWave` (one (phase, wave) step) and :class:`SyncPlan` (the
whole sync or deletion, with its JSON, table and Mermaid views)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from gitopslib.manifest import ResourceKey

if TYPE_CHECKING:
    from gitopslib.sync.compare import PlanComparison

__all__ = ["Action", "ExcludedResource", "SyncPlan", "SyncTask", "SyncWave"]

Action = Literal["apply", "create", "prune", "delete"]


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
