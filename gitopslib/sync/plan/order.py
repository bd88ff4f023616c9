"""Plan order: the sort (phase, wave, prunes first, kind order, name, ...), Namespaces and
CRDs moved before their first user, and the SyncFail tasks split off the end."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter

from gitopslib.hooks import PHASE_RANK
from gitopslib.sync._kinds import _CRD_GROUP, _CRD_KIND, KIND_RANK
from gitopslib.sync.plan.model import SyncTask

_REMOVALS = frozenset({"prune", "delete"})

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
