"""Config management plugin files (``plugin.yaml``) and the build environment Argo CD hands to
engines.

Two small, IO-light pieces shared by the Kustomize and plugin renderers:

* :class:`PluginConfig` and :func:`load_plugins`: a ``ConfigManagementPlugin`` document as the
  CMP v2 sidecar reads it (``metadata.name`` required, ``kind`` exact, ``spec.generate.command``
  non-empty), and a plugins directory read into a sorted list.
* :func:`kube_semver`: ``KUBE_VERSION`` as Argo CD derives it. (The ``ARGOCD_APP_*`` build
  environment and its substitution live in :mod:`gitopslib.sources._base`.)

>>> kube_semver("v1.30.2")
'1.30.2'
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitopslib.errors import ValidationError
from gitopslib.models import ConfigManagementPlugin
from gitopslib.models.plugin import PluginCommand as ModelCommand
from gitopslib.sources._base import tool_kube_version

__all__ = [
    "PLUGIN_KIND",
    "PluginCommand",
    "PluginConfig",
    "kube_semver",
    "load_plugin_config",
    "load_plugins",
]

#: The only ``kind`` a plugin file may have.
PLUGIN_KIND = "ConfigManagementPlugin"


@dataclass(frozen=True)
class PluginCommand:
    """A command of a plugin: executed as ``command[0]`` with ``command[1:] + args``, no shell."""

    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()

    @property
    def argv(self) -> tuple[str, ...]:
        """The full argument vector (empty when the command is not configured)."""
        return (*self.command, *self.args) if self.command else ()

    def __bool__(self) -> bool:
        return bool(self.command)


@dataclass(frozen=True)
class PluginConfig:
    """One ``ConfigManagementPlugin`` (CMP v2 ``plugin.yaml``).

    ``identity`` is what an Application's ``spec.source.plugin.name`` must equal:
    ``<name>-<version>`` when ``spec.version`` is set, else ``<name>`` (Argo CD's socket name).

    >>> cfg = PluginConfig.from_dict({"apiVersion": "argoproj.io/v1alpha1",
    ...     "kind": "ConfigManagementPlugin", "metadata": {"name": "cat"},
    ...     "spec": {"version": "v1", "generate": {"command": ["cat", "all.yaml"]}}})
    >>> cfg.identity, cfg.generate.argv
    ('cat-v1', ('cat', 'all.yaml'))
    """

    name: str
    generate: PluginCommand
    version: str = ""
    init: PluginCommand = field(default_factory=PluginCommand)
    discover_file_name: str = ""
    discover_glob: str = ""
    discover_command: PluginCommand = field(default_factory=PluginCommand)
    static_parameters: tuple[Mapping[str, Any], ...] = ()
    dynamic_parameters: PluginCommand = field(default_factory=PluginCommand)
    preserve_file_mode: bool = False
    provide_git_creds: bool = False
    source_file: str | None = None

    @property
    def identity(self) -> str:
        """``<name>-<version>`` or ``<name>``."""
        return f"{self.name}-{self.version}" if self.version else self.name

    @property
    def has_discovery(self) -> bool:
        """Whether ``fileName``, ``find.glob`` or ``find.command`` is configured."""
        return bool(self.discover_file_name or self.discover_glob or self.discover_command)

    @classmethod
    def from_model(cls, cmp: ConfigManagementPlugin, *, file: str | None = None) -> PluginConfig:
        """The runtime view of a validated :class:`~gitopslib.models.ConfigManagementPlugin`."""
        spec = cmp.spec
        discover = spec.discover
        find = discover.find if discover is not None else None
        params = spec.parameters
        return cls(
            name=cmp.metadata.name or "",
            version=spec.version or "",
            generate=_command(spec.generate),
            init=_command(spec.init),
            discover_file_name=(discover.file_name if discover is not None else None) or "",
            discover_glob=(find.glob if find is not None else None) or "",
            discover_command=_command(find),
            static_parameters=tuple(
                p.to_dict() for p in ((params.static if params is not None else None) or [])
            ),
            dynamic_parameters=_command(params.dynamic if params is not None else None),
            preserve_file_mode=bool(spec.preserve_file_mode),
            provide_git_creds=bool(spec.provide_git_creds),
            source_file=file,
        )

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], *, file: str | None = None) -> PluginConfig:
        """Validate and read one plugin document (``kind`` exact, ``metadata.name`` and a
        non-empty ``spec.generate.command`` required)."""
        return cls.from_model(ConfigManagementPlugin.from_dict(doc, file=file), file=file)


def _command(cmd: ModelCommand | None) -> PluginCommand:
    if cmd is None:
        return PluginCommand()
    return PluginCommand(command=tuple(cmd.command or ()), args=tuple(cmd.args or ()))


def load_plugin_config(path: str | os.PathLike[str]) -> PluginConfig:
    """Read one ``plugin.yaml`` file (through :class:`~gitopslib.models.ConfigManagementPlugin`).

    Errors name the file, line and field (:class:`~gitopslib.errors.ValidationError`).
    """
    return PluginConfig.from_model(ConfigManagementPlugin.from_yaml(path), file=str(path))


def load_plugins(
    source: str
    | os.PathLike[str]
    | Sequence[str | os.PathLike[str] | PluginConfig | ConfigManagementPlugin],
) -> list[PluginConfig]:
    """Plugins from a directory, a file or a list of either (or of ready configs).

    A directory contributes its ``*.yaml``/``*.yml`` files and ``<sub>/plugin.yaml`` files (one
    plugin per sidecar, as Argo CD lays them out). The result is sorted by
    :attr:`PluginConfig.identity`, the order in which Argo CD tries plugin sockets; two plugins
    with one identity are an error.
    """
    items: list[str | os.PathLike[str] | PluginConfig | ConfigManagementPlugin] = (
        [source] if isinstance(source, str | os.PathLike) else list(source)
    )
    found: list[PluginConfig] = []
    for item in items:
        if isinstance(item, PluginConfig):
            found.append(item)
            continue
        if isinstance(item, ConfigManagementPlugin):
            found.append(PluginConfig.from_model(item))
            continue
        p = Path(item)
        if p.is_dir():
            files = sorted(
                [*p.glob("*.yaml"), *p.glob("*.yml"), *p.glob("*/plugin.yaml")],
                key=lambda f: f.as_posix(),
            )
            found.extend(load_plugin_config(f) for f in files if f.is_file())
        else:
            found.append(load_plugin_config(p))
    seen: dict[str, PluginConfig] = {}
    for cfg in found:
        if cfg.identity in seen:
            raise ValidationError(
                f"plugin {cfg.identity!r} is defined twice "
                f"(also in {seen[cfg.identity].source_file})",
                file=cfg.source_file,
                field="metadata.name",
            )
        seen[cfg.identity] = cfg
    return sorted(found, key=lambda c: c.identity)


# --- build environment ---------------------------------------------------------------------


def kube_semver(version: str | None) -> str:
    """``KUBE_VERSION`` as Argo CD computes it (``getPluginEnvs`` -> ``parseKubeVersion``):
    the version parsed leniently and printed back as bare numbers, so the leading ``v`` and
    any ``+build`` / ``-distro`` suffix are dropped; empty when no version is known.

    >>> kube_semver("v1.29.3+k3s1"), kube_semver(None)
    ('1.29.3', '')
    """
    return tool_kube_version(version, source_type="Plugin") or ""
