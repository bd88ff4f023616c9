"""Config management plugin files (``plugin.yaml``) and the build environment Argo CD hands to
engines.

Two small, IO-light pieces shared by the Kustomize and plugin renderers:

* :class:`PluginConfig` and :func:`load_plugins`: a ``ConfigManagementPlugin`` document as the
  CMP v2 sidecar reads it (``metadata.name`` required, ``kind`` exact, ``spec.generate.command``
  non-empty), and a plugins directory read into a sorted list.
* :func:`build_env` and :func:`envsubst`: the ``ARGOCD_APP_*`` variables of Argo CD's build
  environment and its ``os.Expand``-style substitution (``$VAR``, ``${VAR}``, ``$$`` for a
  literal ``$``, unknown names become empty).

>>> envsubst("img:${ARGOCD_APP_REVISION_SHORT}-$$x", {"ARGOCD_APP_REVISION_SHORT": "abc1234"})
'img:abc1234-$x'
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from gitopslib.errors import ValidationError

if TYPE_CHECKING:
    from gitopslib.sources._base import RenderContext

__all__ = [
    "PLUGIN_KIND",
    "PluginCommand",
    "PluginConfig",
    "build_env",
    "envsubst",
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
    def from_dict(cls, doc: Any, *, file: str | None = None) -> PluginConfig:
        """Validate and read one plugin document (as Argo CD's ``ValidatePluginConfig`` does)."""
        if not isinstance(doc, Mapping):
            raise ValidationError("a plugin file must be a YAML mapping", file=file)
        kind = doc.get("kind")
        if kind != PLUGIN_KIND:
            raise ValidationError(
                f"kind should be {PLUGIN_KIND}, found {kind!r}", file=file, field="kind"
            )
        meta = _mapping(doc.get("metadata"), file, "metadata")
        name = meta.get("name")
        if not isinstance(name, str) or not name:
            raise ValidationError("must be a non-empty string", file=file, field="metadata.name")
        spec = _mapping(doc.get("spec"), file, "spec")
        generate = _command(spec.get("generate"), file, "spec.generate")
        if not generate:
            raise ValidationError(
                "the generate command must be non-empty", file=file, field="spec.generate.command"
            )
        discover = _mapping(spec.get("discover"), file, "spec.discover")
        find = _mapping(discover.get("find"), file, "spec.discover.find")
        params = _mapping(spec.get("parameters"), file, "spec.parameters")
        static = params.get("static") or []
        if not isinstance(static, list) or not all(isinstance(p, Mapping) for p in static):
            raise ValidationError(
                "must be a list of parameter announcements",
                file=file,
                field="spec.parameters.static",
            )
        version = spec.get("version") or ""
        return cls(
            name=name,
            version=str(version),
            generate=generate,
            init=_command(spec.get("init"), file, "spec.init"),
            discover_file_name=_string(discover.get("fileName"), file, "spec.discover.fileName"),
            discover_glob=_string(find.get("glob"), file, "spec.discover.find.glob"),
            discover_command=_command(find, file, "spec.discover.find"),
            static_parameters=tuple(dict(p) for p in static),
            dynamic_parameters=_command(params.get("dynamic"), file, "spec.parameters.dynamic"),
            preserve_file_mode=bool(spec.get("preserveFileMode", False)),
            provide_git_creds=bool(spec.get("provideGitCreds", False)),
            source_file=file,
        )


def _mapping(value: Any, file: str | None, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError("must be a mapping", file=file, field=where)
    return value


def _string(value: Any, file: str | None, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("must be a string", file=file, field=where)
    return value


def _strings(value: Any, file: str | None, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ValidationError("must be a list of strings", file=file, field=where)
    return tuple(str(v) for v in value)


def _command(value: Any, file: str | None, where: str) -> PluginCommand:
    block = _mapping(value, file, where)
    return PluginCommand(
        command=_strings(block.get("command"), file, f"{where}.command"),
        args=_strings(block.get("args"), file, f"{where}.args"),
    )


def load_plugin_config(path: str | os.PathLike[str]) -> PluginConfig:
    """Read one ``plugin.yaml`` file.

    Errors name the file and the field (:class:`~gitopslib.errors.ValidationError`).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read plugin file: {exc.strerror}", file=str(p)) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ValidationError(
            f"malformed YAML: {getattr(exc, 'problem', None) or exc}",
            file=str(p),
            line=mark.line + 1 if mark is not None else None,
        ) from None
    return PluginConfig.from_dict(doc, file=str(p))


def load_plugins(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str] | PluginConfig],
) -> list[PluginConfig]:
    """Plugins from a directory, a file or a list of either (or of ready configs).

    A directory contributes its ``*.yaml``/``*.yml`` files and ``<sub>/plugin.yaml`` files (one
    plugin per sidecar, as Argo CD lays them out). The result is sorted by
    :attr:`PluginConfig.identity`, the order in which Argo CD tries plugin sockets; two plugins
    with one identity are an error.
    """
    items: list[str | os.PathLike[str] | PluginConfig] = (
        [source] if isinstance(source, str | os.PathLike) else list(source)
    )
    found: list[PluginConfig] = []
    for item in items:
        if isinstance(item, PluginConfig):
            found.append(item)
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


def _short(revision: str, n: int) -> str:
    return revision[:n] if len(revision) > n else revision


def build_env(ctx: RenderContext) -> dict[str, str]:
    """Argo CD's build environment for ``ctx``: the nine ``ARGOCD_APP_*`` variables.

    ``ARGOCD_APP_NAME`` is the instance name: ``<namespace>_<name>`` when the Application lives
    outside the controller namespace (``ctx.options["controller_namespace"]``, default
    ``argocd``), else the plain name. ``ARGOCD_APP_REVISION`` is the resolved revision
    (``ctx.revision``, "" for a plain local folder).
    """
    app: Any = ctx.app
    src: Any = ctx.source
    meta = getattr(app, "metadata", None)
    name = getattr(meta, "name", None) or ""
    namespace = getattr(meta, "namespace", None) or ""
    controller_ns = str(ctx.options.get("controller_namespace", "argocd"))
    instance = f"{namespace}_{name}" if namespace and namespace != controller_ns else name
    spec = getattr(app, "spec", None)
    dest = getattr(spec, "destination", None)
    revision = ctx.revision or ""
    return {
        "ARGOCD_APP_NAME": instance,
        "ARGOCD_APP_NAMESPACE": getattr(dest, "namespace", None) or "",
        "ARGOCD_APP_PROJECT_NAME": getattr(spec, "project", None) or "default",
        "ARGOCD_APP_REVISION": revision,
        "ARGOCD_APP_REVISION_SHORT": _short(revision, 7),
        "ARGOCD_APP_REVISION_SHORT_8": _short(revision, 8),
        "ARGOCD_APP_SOURCE_REPO_URL": getattr(src, "repo_url", None) or "",
        "ARGOCD_APP_SOURCE_PATH": getattr(src, "path", None) or "",
        "ARGOCD_APP_SOURCE_TARGET_REVISION": getattr(src, "target_revision", None) or "",
    }


def kube_semver(version: str | None) -> str:
    """``KUBE_VERSION`` as Argo CD computes it (``text.SemVer``): every ``+`` removed.

    >>> kube_semver("v1.29.3+k3s1")
    'v1.29.3k3s1'
    """
    return (version or "").replace("+", "")


_SPECIAL = frozenset("*#$@!?-0123456789")


def _is_name_char(c: str) -> bool:
    return c == "_" or ("0" <= c <= "9") or ("a" <= c <= "z") or ("A" <= c <= "Z")


def _shell_name(s: str) -> tuple[str, int]:
    """Go's ``os.getShellName``: the variable name after ``$`` and how many bytes it used."""
    if s[0] == "{":
        if len(s) > 2 and s[1] in _SPECIAL and s[2] == "}":
            return s[1:2], 3
        for i in range(1, len(s)):
            if s[i] == "}":
                if i == 1:
                    return "", 2  # "${}" is bad syntax: eaten
                return s[1:i], i + 1
        return "", 1  # "${" without "}": eaten
    if s[0] in _SPECIAL:
        return s[0], 1
    i = 0
    while i < len(s) and _is_name_char(s[i]):
        i += 1
    return s[:i], i


def envsubst(text: str, env: Mapping[str, str]) -> str:
    """Argo CD's ``Env.Envsubst``: Go ``os.Expand`` over ``env``, ``$$`` meaning ``$``.

    >>> envsubst("${A}/$B/$C/$", {"A": "a", "B": "b"})
    'a/b//$'
    """
    out: list[str] = []
    i = 0
    j = 0
    n = len(text)
    while j < n:
        if text[j] == "$" and j + 1 < n:
            out.append(text[i:j])
            name, width = _shell_name(text[j + 1 :])
            if name == "" and width > 0:
                pass  # invalid syntax: the characters are dropped
            elif name == "":
                out.append("$")  # "$" not followed by a name stays as it is
            elif name == "$":
                out.append("$")
            else:
                out.append(env.get(name, ""))
            j += width
            i = j + 1
        j += 1
    out.append(text[i:])
    return "".join(out)
