"""What one planning call shares (:class:`_PlannerState`): the settings resolved from the
app and the operation (sync options, prune, revision, tracking instances, project rules), and
the small per-object pieces every kind of task uses (waves, hook info, namespaces, rule
checks, how an object is sent)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gitopslib.hooks import HookInfo, parse_hook, sync_wave
from gitopslib.hooks._hooks import hook_name_suffix
from gitopslib.manifest import (
    ANNOTATION_SYNC_WAVE,
    ANNOTATION_TRACKING_ID,
    CLUSTER_SCOPED_KINDS,
    HELM_HOOK_WEIGHT,
    LABEL_INSTANCE,
)
from gitopslib.models import SyncOptions
from gitopslib.sync._kinds import _CRD_GROUP, _CRD_KIND
from gitopslib.sync._options import AppView, OptionList
from gitopslib.sync.plan.model import ExcludedResource, SyncTask
from gitopslib.sync.plan.options import PermitCallable, ResourcePermitter, SyncPlanOptions
from gitopslib.tracking import parse_tracking_id

if TYPE_CHECKING:
    from gitopslib.diff._result import ComparisonResult, ResourceDiff

_NO_OPTIONS = OptionList()
_NO_ANNOTATIONS: Mapping[str, Any] = {}


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _ann(obj: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if not obj:
        return {}
    return _meta(obj).get("annotations") or {}


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


class _PlannerState:
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
