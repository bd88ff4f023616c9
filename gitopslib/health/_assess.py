"""``assess_health``: the health of one live object, in Argo CD's evaluation order."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from gitopslib.errors import HealthError
from gitopslib.health._registry import HealthScripts, resolve_scripts
from gitopslib.health._types import HealthStatus, HealthStatusCode
from gitopslib.health.builtin import HOOK_FINALIZER, builtin_health
from gitopslib.health.kstatus import kstatus_health, stale_generation
from gitopslib.health.lua import LuaRuntime, default_runtime

__all__ = ["assess_health"]

H = HealthStatusCode


def _pending_deletion(obj: Mapping[str, Any]) -> bool:
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping) or not meta.get("deletionTimestamp"):
        return False
    finalizers = meta.get("finalizers") or []
    return HOOK_FINALIZER not in finalizers


def _guard(obj: Mapping[str, Any], health: HealthStatus) -> HealthStatus:
    if health.status is not H.HEALTHY:
        return health
    stale = stale_generation(obj)
    if stale is None:
        return health
    return HealthStatus(
        H.PROGRESSING,
        f"Waiting for the controller to observe generation {stale[0]} "
        f"(status.observedGeneration is {stale[1]})",
    )


def assess_health(
    obj: Mapping[str, Any],
    lua_dir: HealthScripts | str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    generic: bool = False,
    generation_guard: bool = True,
    runtime: LuaRuntime | None = None,
) -> HealthStatus | None:
    """The health of ``obj`` (a live object as a dict), or ``None`` when no check applies.

    Order (Argo CD's ``GetResourceHealth``):

    1. ``metadata.deletionTimestamp`` set, without the hook finalizer ⇒ Progressing
       "Pending deletion";
    2. a Lua script (argocd-cm ``overrides``, then the ``lua_dir`` folder or
       :class:`HealthScripts` registry, then the scripts bundled with gitopslib): its result is
       used even when empty; an error gives Unknown with the error message;
    3. the built-in check for the kind (:mod:`gitopslib.health.builtin`);
    4. ``None`` (a ConfigMap, an unknown custom resource), unless ``generic=True``, which
       applies the kstatus-style :func:`~gitopslib.health.kstatus.kstatus_health`.

    Beyond Argo CD, ``generation_guard`` (on by default) turns a Healthy result of a built-in
    check or bundled script into Progressing while ``status.observedGeneration`` is below
    ``metadata.generation``: the controller has not yet acted on the latest spec. User
    scripts are trusted as written. Pass ``generation_guard=False`` for Argo CD's exact
    behaviour.

    >>> pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    ...        "spec": {"restartPolicy": "Always"}, "status": {"phase": "Pending"}}
    >>> assess_health(pod).status
    <HealthStatusCode.PROGRESSING: 'Progressing'>
    >>> assess_health({"apiVersion": "v1", "kind": "ConfigMap"}) is None
    True
    """
    if not isinstance(obj, Mapping):
        raise HealthError(f"assess_health expects an object (a mapping), got {type(obj).__name__}")
    if _pending_deletion(obj):
        return HealthStatus(H.PROGRESSING, "Pending deletion")
    scripts = resolve_scripts(lua_dir, overrides)
    script = scripts.script_for(obj)
    if script is not None:
        lua = runtime or default_runtime()
        try:
            health = lua.health(script.source, obj, open_libs=script.open_libs)
        except HealthError as exc:
            return HealthStatus(H.UNKNOWN, exc.message)
        return _guard(obj, health) if generation_guard and script.bundled else health
    builtin = builtin_health(obj)
    if builtin is not None:
        return _guard(obj, builtin) if generation_guard else builtin
    if generic:
        return kstatus_health(obj)
    return None
