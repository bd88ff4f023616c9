"""A keyed registry of renderers, and the entry-point group third parties register through.

Renderers are looked up by Argo CD's source-type name (``Directory``, ``Helm``,
``Kustomize``, ``Plugin``, or any name a third party brings). Nothing global is mutated
behind the caller's back: :func:`default_registry` builds a fresh registry with the built-in
renderers, and entry points are loaded only when :meth:`RendererRegistry.load_entry_points`
is called.

>>> reg = default_registry()
>>> "Directory" in reg and "Helm" in reg
True
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Any

from gitopslib.errors import RenderError
from gitopslib.sources._base import Renderer

__all__ = ["ENTRY_POINT_GROUP", "RendererRegistry", "default_registry"]

#: The entry-point group a distribution uses to contribute renderers.
ENTRY_POINT_GROUP = "gitopslib.sources"

#: Built-in renderers: source type -> (module, class name or None to discover it).
_BUILTINS: dict[str, tuple[str, str | None]] = {
    "Directory": ("gitopslib.sources.directory", "DirectoryRenderer"),
    "Helm": ("gitopslib.sources.helm", "HelmRenderer"),
    "Kustomize": ("gitopslib.sources.kustomize", None),
    "Plugin": ("gitopslib.sources.plugin", None),
}


class RegistryError(RenderError):
    """A renderer could not be registered or loaded (names the distribution)."""


def _instantiate(obj: Any, *, origin: str) -> Renderer:
    """Turn what an entry point or a module offers (class, factory, instance) into a
    renderer instance."""
    is_factory = inspect.isclass(obj) or (callable(obj) and not hasattr(obj, "render"))
    candidate = obj() if is_factory else obj
    if not isinstance(candidate, Renderer):
        raise RegistryError(
            f"{origin} does not provide a renderer: it needs a `name` attribute and `detect`, "
            "`render` and `cache_key` methods",
            source_type=None,
            path=None,
        )
    return candidate


def _find_renderer_class(module: Any, name: str) -> Any | None:
    """The class in ``module`` whose ``name`` attribute is ``name`` (for renderers whose
    class name we do not fix)."""
    for value in vars(module).values():
        if (
            inspect.isclass(value)
            and value.__module__ == module.__name__
            and getattr(value, "name", None) == name
            and callable(getattr(value, "render", None))
        ):
            return value
    return None


class RendererRegistry:
    """Renderers keyed by source type.

    >>> reg = RendererRegistry()
    >>> from gitopslib.sources.directory import DirectoryRenderer
    >>> reg.register(DirectoryRenderer())
    >>> reg.get("Directory").name
    'Directory'
    """

    def __init__(self) -> None:
        self._renderers: dict[str, Renderer] = {}
        self._lazy: dict[str, Callable[[], Renderer | None]] = {}
        self._origins: dict[str, str] = {}

    def register(
        self,
        renderer: Renderer,
        *,
        name: str | None = None,
        replace: bool = False,
        origin: str = "caller",
    ) -> None:
        """Register ``renderer`` under ``name`` (default: ``renderer.name``).

        Registering a second renderer under a taken name raises unless ``replace``.
        """
        key = name or renderer.name
        if not replace and key in self._renderers:
            raise RegistryError(
                f"a renderer named {key!r} is already registered (by {self._origins[key]}); "
                "pass replace=True to override it",
                source_type=key,
                path=None,
            )
        self._renderers[key] = renderer
        self._origins[key] = origin
        self._lazy.pop(key, None)

    def register_lazy(self, name: str, factory: Callable[[], Renderer | None]) -> None:
        """Register a factory called on first use (keeps ``import gitopslib`` cheap)."""
        if name not in self._renderers:
            self._lazy[name] = factory

    def _materialize(self, name: str) -> Renderer | None:
        factory = self._lazy.pop(name, None)
        if factory is None:
            return None
        renderer = factory()
        if renderer is not None:
            self._renderers[name] = renderer
            self._origins.setdefault(name, "gitopslib")
        return renderer

    def get(self, name: str) -> Renderer:
        """The renderer registered under ``name``; :class:`RenderError` if none is."""
        renderer = self._renderers.get(name) or self._materialize(name)
        if renderer is None:
            known = ", ".join(self.names()) or "none"
            raise RegistryError(
                f"no renderer is registered for source type {name!r} (known: {known})",
                source_type=name,
                path=None,
            )
        return renderer

    def find(self, name: str) -> Renderer | None:
        """Like :meth:`get` but ``None`` when missing."""
        try:
            return self.get(name)
        except RegistryError:
            return None

    def names(self) -> list[str]:
        """Registered names, sorted (lazy built-ins that failed to load are left out)."""
        for name in list(self._lazy):
            self._materialize(name)
        return sorted(self._renderers)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.find(name) is not None

    def __iter__(self) -> Iterator[Renderer]:
        return iter([self._renderers[n] for n in self.names()])

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Load the renderers that installed distributions declare in ``group``.

        Each entry point may name a renderer class, a factory or an instance. The same entry
        point seen twice (duplicate metadata) is loaded once; two distributions claiming one
        name, or a plugin that fails to import, raise an error naming the distribution.
        Returns the names loaded.
        """
        seen: dict[str, tuple[str, str]] = {}
        loaded: list[str] = []
        for ep in sorted(metadata.entry_points(group=group), key=lambda e: (e.name, e.value)):
            dist = ep.dist.name if ep.dist is not None else "<unknown distribution>"
            if ep.name in seen:
                if seen[ep.name][0] == ep.value:
                    continue  # the same plugin listed twice: deduplicated
                raise RegistryError(
                    f"renderer {ep.name!r} is declared by two distributions: "
                    f"{seen[ep.name][1]} ({seen[ep.name][0]}) and {dist} ({ep.value})",
                    source_type=ep.name,
                    path=None,
                )
            seen[ep.name] = (ep.value, dist)
            try:
                obj = ep.load()
            except Exception as exc:
                raise RegistryError(
                    f"renderer {ep.name!r} from distribution {dist} failed to load "
                    f"({ep.value}): {type(exc).__name__}: {exc}",
                    source_type=ep.name,
                    path=None,
                ) from exc
            renderer = _instantiate(obj, origin=f"entry point {ep.name!r} of distribution {dist}")
            self.register(renderer, name=ep.name, replace=False, origin=f"distribution {dist}")
            loaded.append(ep.name)
        return loaded


def _builtin_factory(
    name: str, module_name: str, class_name: str | None
) -> Callable[[], Renderer | None]:
    def factory() -> Renderer | None:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None  # that built-in is not part of this build
            raise
        cls = getattr(module, class_name) if class_name else _find_renderer_class(module, name)
        if cls is None:
            return None
        return _instantiate(cls, origin=module_name)

    return factory


def default_registry(*, entry_points: bool = False) -> RendererRegistry:
    """A fresh registry with the built-in renderers (loaded lazily), plus the entry-point
    renderers when ``entry_points`` is true.

    >>> default_registry().get("Helm").name
    'Helm'
    """
    reg = RendererRegistry()
    for name, (module_name, class_name) in _BUILTINS.items():
        reg.register_lazy(name, _builtin_factory(name, module_name, class_name))
    if entry_points:
        reg.load_entry_points()
    return reg
