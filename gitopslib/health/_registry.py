"""Which Lua health script applies to an object: argocd-cm overrides, script folders, and the
scripts bundled with gitopslib, looked up in Argo CD's order.

:class:`HealthScripts` is a registry built once (from a folder, from argocd-cm data, or both)
and passed to :func:`gitopslib.health.assess_health`. Building it from a folder is the only
file reading the health package does (:meth:`HealthScripts.from_folder`, the loader at the
edge); looking a script up is pure.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from gitopslib.errors import HealthError

__all__ = ["HealthScript", "HealthScripts", "bundled_scripts", "script_key"]

_CM_HEALTH = "resource.customizations.health."
_CM_OPEN_LIBS = "resource.customizations.useOpenLibs."
_CM_MAP = "resource.customizations"
_SCRIPT = "health.lua"


@dataclass(frozen=True, slots=True)
class HealthScript:
    """One Lua health script: the ``group/Kind`` key (or pattern) it serves, its source,
    whether it runs with open libs, and where it came from (for messages)."""

    key: str
    source: str
    open_libs: bool = False
    origin: str = ""
    bundled: bool = False


def script_key(obj: Mapping[str, Any]) -> str:
    """Argo CD's lookup key for ``obj``: ``group/Kind``, or just ``Kind`` for the core group.

    >>> script_key({"apiVersion": "batch/v1", "kind": "CronJob"}), script_key({"kind": "Pod"})
    ('batch/CronJob', 'Pod')
    """
    api_version = str(obj.get("apiVersion") or "")
    group = api_version.rpartition("/")[0]
    kind = str(obj.get("kind") or "")
    return f"{group}/{kind}" if group else kind


def _glob_match(pattern: str, key: str) -> bool:
    # doublestar semantics: "*" never crosses "/"
    parts, key_parts = pattern.split("/"), key.split("/")
    return len(parts) == len(key_parts) and all(
        fnmatchcase(k, p) for p, k in zip(parts, key_parts, strict=True)
    )


def _is_glob(key: str) -> bool:
    return any(c in key for c in "*?[")


def _cm_key(group_kind: str, data_key: str) -> str:
    group, sep, kind = group_kind.rpartition("_")
    if not kind:
        raise HealthError(
            f"argocd-cm key {data_key!r}: expected <group>_<kind> (or _<kind> for core kinds)"
        )
    return f"{group}/{kind}" if sep and group else kind


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


def _parse_overrides(overrides: Mapping[str, Any]) -> dict[str, HealthScript]:
    data: Mapping[str, Any] = overrides
    if isinstance(overrides.get("data"), Mapping) and "kind" in overrides:
        data = overrides["data"]  # a whole argocd-cm ConfigMap
    scripts: dict[str, str] = {}
    open_libs: dict[str, bool] = {}
    origins: dict[str, str] = {}
    raw_map = data.get(_CM_MAP)
    if raw_map:
        try:
            parsed = yaml.safe_load(raw_map) if isinstance(raw_map, str) else raw_map
        except yaml.YAMLError as exc:
            raise HealthError(f"argocd-cm key {_CM_MAP!r} is not valid YAML: {exc}") from None
        if not isinstance(parsed, Mapping):
            raise HealthError(f"argocd-cm key {_CM_MAP!r} must be a map of group/Kind entries")
        for key, entry in parsed.items():
            if not isinstance(entry, Mapping):
                continue
            source = entry.get(_SCRIPT)
            if isinstance(source, str) and source.strip():
                scripts[str(key)] = source
                origins[str(key)] = f"argocd-cm {_CM_MAP}[{key}].health.lua"
            if "health.lua.useOpenLibs" in entry:
                open_libs[str(key)] = _truthy(entry["health.lua.useOpenLibs"])
    for data_key, value in data.items():
        if data_key.startswith(_CM_HEALTH):
            key = _cm_key(data_key[len(_CM_HEALTH) :], data_key)
            if not isinstance(value, str):
                raise HealthError(f"argocd-cm key {data_key!r} must hold the Lua script text")
            if value.strip():
                scripts[key] = value
                origins[key] = f"argocd-cm {data_key}"
        elif data_key.startswith(_CM_OPEN_LIBS):
            open_libs[_cm_key(data_key[len(_CM_OPEN_LIBS) :], data_key)] = _truthy(value)
    return {
        key: HealthScript(key, source, open_libs.get(key, False), origins[key])
        for key, source in scripts.items()
    }


def _walk_folder(root: Path) -> dict[str, HealthScript]:
    found: dict[str, HealthScript] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("actions", "testdata"))
        if _SCRIPT not in filenames:
            continue
        rel = Path(dirpath).relative_to(root).as_posix()
        if rel == ".":
            continue
        path = Path(dirpath) / _SCRIPT
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise HealthError(f"{path}: cannot read health script: {exc}", file=str(path)) from None
        found[rel] = HealthScript(rel, source, True, str(path))
    return found


@lru_cache(maxsize=1)
def bundled_scripts() -> dict[str, HealthScript]:
    """The health scripts shipped with gitopslib (CronJob, PodDisruptionBudget,
    CustomResourceDefinition), keyed like Argo CD's ``resource_customizations`` folder."""
    root = resources.files("gitopslib.health") / "scripts"
    out: dict[str, HealthScript] = {}

    def visit(node: Any, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                if child.name not in ("actions", "testdata", "__pycache__"):
                    visit(child, f"{prefix}{child.name}/")
            elif child.name == _SCRIPT and prefix:
                key = prefix.rstrip("/")
                out[key] = HealthScript(
                    key, child.read_text(encoding="utf-8"), True, f"gitopslib:{key}", True
                )

    visit(root, "")
    return out


@lru_cache(maxsize=1)
def _bundled_wildcards() -> list[str]:
    return sorted(k for k in bundled_scripts() if "_" in k)


def _split(library: Mapping[str, HealthScript]) -> tuple[dict[str, HealthScript], list[str]]:
    exact = {k: v for k, v in library.items() if "_" not in k}
    wildcards = sorted(k for k in library if "_" in k)
    return exact, wildcards


@dataclass(frozen=True)
class HealthScripts:
    """A registry of Lua health scripts, looked up in Argo CD's order.

    ``library`` maps ``group/Kind`` paths (as in Argo CD's ``resource_customizations``
    folder; ``_`` in a path is a wildcard) to script text or :class:`HealthScript`;
    ``overrides`` is argocd-cm data (``resource.customizations.health.<group>_<kind>``,
    ``resource.customizations.useOpenLibs.<group>_<kind>`` and the ``resource.customizations``
    YAML map with ``health.lua`` / ``health.lua.useOpenLibs``), or the whole ConfigMap.

    Lookup for an object with key ``group/Kind`` (``Kind`` for core kinds):

    1. the override with exactly that key;
    2. the first override whose key is a glob matching it (sorted; Argo CD's own order here
       is map iteration order, i.e. random);
    3. the library script at ``<group>/<Kind>/health.lua``;
    4. the first library wildcard directory matching it (``_`` becomes ``*``, sorted);
    5. the same two steps in the scripts bundled with gitopslib (unless ``bundled=False``).

    >>> scripts = HealthScripts({"example.com/Widget": 'return {status = "Healthy"}'})
    >>> scripts.script_for({"apiVersion": "example.com/v1", "kind": "Widget"}).key
    'example.com/Widget'
    """

    library: Mapping[str, HealthScript | str] = field(default_factory=dict)
    overrides: Mapping[str, Any] | None = None
    bundled: bool = True
    _lib: dict[str, HealthScript] = field(init=False, repr=False, compare=False)
    _lib_wild: list[str] = field(init=False, repr=False, compare=False)
    _cm: dict[str, HealthScript] = field(init=False, repr=False, compare=False)
    _cm_wild: list[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lib = {
            k: v if isinstance(v, HealthScript) else HealthScript(k, v, True, f"library:{k}")
            for k, v in self.library.items()
        }
        _, wild = _split(lib)
        object.__setattr__(self, "_lib", lib)
        object.__setattr__(self, "_lib_wild", wild)
        cm = _parse_overrides(self.overrides) if self.overrides else {}
        object.__setattr__(self, "_cm", cm)
        object.__setattr__(self, "_cm_wild", sorted(k for k in cm if _is_glob(k)))

    @classmethod
    def from_folder(
        cls,
        folder: str | os.PathLike[str],
        *,
        overrides: Mapping[str, Any] | None = None,
        bundled: bool = True,
    ) -> HealthScripts:
        """Load every ``<group>/<Kind>/health.lua`` under ``folder`` (the loader at the edge).

        Scripts from a folder run with open libs, like Argo CD's own library.
        """
        root = Path(folder)
        if not root.is_dir():
            raise HealthError(f"{root}: health script folder does not exist", file=str(root))
        return cls(_walk_folder(root), overrides=overrides, bundled=bundled)

    def keys(self) -> list[str]:
        """Every key (or pattern) this registry holds a script for, overrides first."""
        extra = list(bundled_scripts()) if self.bundled else []
        return [*self._cm, *self._lib, *extra]

    def script_for(self, obj: Mapping[str, Any]) -> HealthScript | None:
        """The script that assesses ``obj``, or ``None`` (then the built-in check applies)."""
        return self.lookup(script_key(obj))

    def lookup(self, key: str) -> HealthScript | None:
        """The script for a ``group/Kind`` key (see the class docstring for the order)."""
        found = self._cm.get(key)
        if found is not None:
            return found
        for pattern in self._cm_wild:
            if _glob_match(pattern, key):
                return self._cm[pattern]
        found = _library_lookup(self._lib, self._lib_wild, key)
        if found is not None or not self.bundled:
            return found
        return _library_lookup(bundled_scripts(), _bundled_wildcards(), key)


def _library_lookup(
    lib: Mapping[str, HealthScript], wildcards: Iterable[str], key: str
) -> HealthScript | None:
    found = lib.get(key)
    if found is not None:
        return found
    for pattern in wildcards:
        if _glob_match(pattern.replace("_", "*"), key):
            return lib[pattern]
    return None


_EMPTY = HealthScripts()
_FOLDER_CACHE: dict[str, tuple[tuple[tuple[str, int, int], ...], HealthScripts]] = {}


def _signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    sig: list[tuple[str, int, int]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in ("actions", "testdata")]
        if _SCRIPT in filenames:
            st = (Path(dirpath) / _SCRIPT).stat()
            sig.append((dirpath, st.st_mtime_ns, st.st_size))
    return tuple(sorted(sig))


def resolve_scripts(
    lua_dir: HealthScripts | str | os.PathLike[str] | None,
    overrides: Mapping[str, Any] | None,
) -> HealthScripts:
    """The registry ``assess_health`` uses for its ``lua_dir``/``overrides`` arguments.

    A folder is re-read only when one of its ``health.lua`` files changed.
    """
    if isinstance(lua_dir, HealthScripts):
        if overrides:
            return HealthScripts(lua_dir.library, overrides=overrides, bundled=lua_dir.bundled)
        return lua_dir
    if lua_dir is None:
        return HealthScripts(overrides=overrides) if overrides else _EMPTY
    root = Path(lua_dir)
    if not root.is_dir():
        raise HealthError(f"{root}: health script folder does not exist", file=str(root))
    cache_key = str(root.resolve())
    sig = _signature(root)
    cached = _FOLDER_CACHE.get(cache_key)
    if cached is None or cached[0] != sig:
        cached = (sig, HealthScripts.from_folder(root))
        _FOLDER_CACHE[cache_key] = cached
    scripts = cached[1]
    if overrides:
        return HealthScripts(scripts.library, overrides=overrides, bundled=scripts.bundled)
    return scripts
