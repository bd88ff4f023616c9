"""The config management plugin renderer (Argo CD CMP v2), run locally without sidecars.

Plugins are ``ConfigManagementPlugin`` files (see :mod:`gitopslib.sources._plugin_config`) from
a plugins directory (``ctx.plugins_dir``) or handed to :class:`PluginRenderer`. Selection follows
Argo CD's repo-server:

* a named source (``spec.source.plugin.name``) uses the plugin whose identity
  (``<name>`` or ``<name>-<version>``) equals the name, if its discovery matches **or** it has
  no discovery configured;
* otherwise the first plugin (sorted by identity) whose discovery matches; plugins without
  discovery are never auto-selected.

Discovery rules, the first configured one deciding: ``fileName`` (a glob in the app directory),
``find.glob`` (a glob with ``**``), ``find.command`` (run in the app directory of a scratch copy;
matches when it exits 0 with non-empty output). ``init`` then ``generate`` run in the app
directory of a scratch copy of the repository (file modes kept only with
``preserveFileMode``), without a shell unless the plugin's command is one, each under the
timeout (Argo CD's 90 s by default). ``generate``'s stdout is parsed as a YAML/JSON stream.

The environment is Argo CD's (§10.4): the ``ARGOCD_APP_*`` build variables, ``KUBE_VERSION``,
``KUBE_API_VERSIONS``, ``ARGOCD_ENV_<name>`` for each ``plugin.env`` entry (values substituted
against the former), ``ARGOCD_APP_PARAMETERS`` (the Application's parameters as JSON) and
``PARAM_*`` variables; variables with empty values are not set. During auto-detection,
discovery only sees the ``ARGOCD_APP_*`` variables.

>>> PluginRenderer().name
'Plugin'
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gitopslib.errors import CommandError, CommandTimeoutError, PathEscapeError, RenderError
from gitopslib.manifest import load_manifests
from gitopslib.sources._base import RenderContext, build_env, envsubst, is_inside, minimal_env
from gitopslib.sources._plugin_config import (
    PluginCommand,
    PluginConfig,
    kube_semver,
    load_plugins,
)
from gitopslib.sources._scratch_copy import scratch_copy

__all__ = ["PluginRenderer", "param_env", "plugin_env"]

PluginSource = str | os.PathLike[str] | Sequence[str | os.PathLike[str] | PluginConfig]

_ESCAPE = re.compile(r"[^A-Z0-9_]")


def _escaped(name: str) -> str:
    return _ESCAPE.sub("_", name.upper())


def _go_json(value: Any) -> str:
    """JSON as Go's ``encoding/json`` writes it: compact, map keys sorted, HTML-escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for raw, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, esc)
    return text


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def param_env(parameters: Sequence[Any] | None) -> dict[str, str]:
    """``ARGOCD_APP_PARAMETERS`` and the ``PARAM_*`` variables for a source's parameters.

    >>> env = param_env([{"name": "image-tag", "string": "v1"}, {"name": "m", "map": {"a.b": "x"}}])
    >>> env["ARGOCD_APP_PARAMETERS"]
    '[{"name":"image-tag","string":"v1"},{"map":{"a.b":"x"},"name":"m"}]'
    >>> env["PARAM_IMAGE_TAG"], env["PARAM_M_A_B"]
    ('v1', 'x')
    """
    items: list[dict[str, Any]] = []
    env: dict[str, str] = {}
    for param in parameters or []:
        name = str(_field(param, "name") or "")
        string = _field(param, "string")
        array = _field(param, "array")
        mapping = _field(param, "map")
        item: dict[str, Any] = {"name": name}
        base = "PARAM_" + _escaped(name)
        if string is not None:
            item["string"] = str(string)
            env[base] = str(string)
        if mapping is not None:
            item["map"] = {str(k): str(v) for k, v in mapping.items()}
            for key, value in mapping.items():
                env[f"{base}_{_escaped(str(key))}"] = str(value)
        if array is not None:
            item["array"] = [str(v) for v in array]
            for i, value in enumerate(array):
                env[f"{base}_{i}"] = str(value)
        items.append(item)
    # Go marshals a nil parameter list as null; the request never carries an empty list.
    return {"ARGOCD_APP_PARAMETERS": _go_json(items) if items else "null", **env}


def plugin_env(ctx: RenderContext, *, full: bool = True) -> dict[str, str]:
    """The variables a plugin command gets on top of its base environment (§10.4).

    ``full=False`` is the auto-detection case: only the ``ARGOCD_APP_*`` build variables.
    Entries with empty values are dropped, as the CMP server does.
    """
    env = build_env(ctx)
    if full:
        env["KUBE_VERSION"] = kube_semver(ctx.kube_version)
        env["KUBE_API_VERSIONS"] = ",".join(ctx.api_versions)
        plugin = getattr(ctx.source, "plugin", None)
        if plugin is not None:
            base = dict(env)
            for entry in _field(plugin, "env") or []:
                name = str(_field(entry, "name") or "")
                env[f"ARGOCD_ENV_{name}"] = envsubst(str(_field(entry, "value") or ""), base)
            env.update(param_env(_field(plugin, "parameters")))
    return {k: v for k, v in env.items() if k and v}


class PluginRenderer:
    """Renders ``Plugin`` sources with CMP v2 plugin definitions (see the module docstring).

    ``plugins`` is a plugins directory, a ``plugin.yaml`` file or a list of either (or of
    :class:`~gitopslib.sources._plugin_config.PluginConfig`); without it, ``ctx.plugins_dir``
    is used. ``timeout`` overrides ``ctx.timeout`` for plugin commands. ``exclude`` names
    top-level entries not copied into the plugin's working copy (Argo CD's tar exclusions).

    >>> PluginRenderer(plugins=[]).detect(Path("."))
    False
    """

    name = "Plugin"

    def __init__(
        self,
        plugins: PluginSource | None = None,
        *,
        timeout: float | None = None,
        exclude: Sequence[str] = (".git",),
    ) -> None:
        self._plugins = plugins
        self._timeout = timeout
        self._exclude = tuple(exclude)

    # --- configuration -----------------------------------------------------------------------

    def plugins(self, ctx: RenderContext | None = None) -> list[PluginConfig]:
        """The available plugins, sorted by identity (Argo CD's socket order)."""
        if self._plugins is not None:
            return load_plugins(self._plugins)
        if ctx is not None and ctx.plugins_dir is not None:
            return load_plugins(ctx.plugins_dir)
        return []

    def _timeout_for(self, ctx: RenderContext | None) -> float:
        if self._timeout is not None:
            return self._timeout
        return ctx.timeout if ctx is not None else 90.0

    # --- discovery ---------------------------------------------------------------------------

    def _matches(
        self,
        plugin: PluginConfig,
        repo_root: Path,
        app_dir: Path,
        env: Mapping[str, str],
        ctx: RenderContext | None,
    ) -> bool:
        root = repo_root.resolve()

        def inside(match: str) -> bool:
            p = Path(match).resolve()
            return p == root or root in p.parents

        if plugin.discover_file_name:
            pattern = str(app_dir / plugin.discover_file_name.lstrip("/"))
            # glob.glob, not Path.glob: patterns may climb with '..' and must see dot-files
            found = glob.glob(pattern, include_hidden=True)  # noqa: PTH207
            return any(inside(m) for m in found)
        if plugin.discover_glob:
            pattern = str(app_dir / plugin.discover_glob.lstrip("/"))
            found = glob.glob(pattern, recursive=True, include_hidden=True)  # noqa: PTH207
            return any(inside(m) for m in found)
        if plugin.discover_command:
            runner = ctx.runner if ctx is not None else None
            with tempfile.TemporaryDirectory(prefix="gitopslib-plugin-discover-") as tmp:
                scratch = Path(tmp) / "repo"
                scratch_copy(
                    root, scratch, preserve_mode=plugin.preserve_file_mode, exclude=self._exclude
                )
                s_app = scratch / app_dir.resolve().relative_to(root)
                try:
                    out = self._run(plugin.discover_command, s_app, env, ctx, runner=runner)
                except CommandError:
                    return False  # Argo CD logs the error and treats the app as not supported
            return out != ""
        return False

    def _run(
        self,
        command: PluginCommand,
        cwd: Path,
        env: Mapping[str, str],
        ctx: RenderContext | None,
        *,
        runner: Any = None,
    ) -> str:
        if runner is None:
            from gitopslib.sources._base import SubprocessRunner

            runner = SubprocessRunner()
        try:
            result = runner.run(
                command.argv, cwd=cwd, env=minimal_env(env), timeout=self._timeout_for(ctx)
            )
        except CommandError:
            raise
        except OSError as exc:  # e.g. a script that lost its execute bit in the copy
            raise CommandError(
                f"`{' '.join(command.argv)}` cannot be started: {exc.strerror}",
                command=command.argv,
                exit_code=126,
                stderr=str(exc.strerror or exc),
                source_type="Plugin",
                path=str(cwd),
            ) from None
        out: str = result.stdout
        return out[:-1] if out.endswith("\n") else out

    def detect(self, app_dir: Path) -> bool:
        """Whether a configured plugin claims ``app_dir`` by discovery (no build variables are
        known here; the registry should prefer :meth:`discover` when it has a context)."""
        plugins = load_plugins(self._plugins) if self._plugins is not None else []
        if not plugins:
            return False
        app = app_dir.resolve()
        return any(p.has_discovery and self._matches(p, app, app, {}, None) for p in plugins)

    def discover(self, ctx: RenderContext) -> PluginConfig | None:
        """The plugin that auto-detection picks for ``ctx`` (discovery sees only the
        ``ARGOCD_APP_*`` variables), or None."""
        env = plugin_env(ctx, full=False)
        for plugin in self.plugins(ctx):
            if plugin.has_discovery and self._matches(plugin, ctx.repo_root, ctx.app_dir, env, ctx):
                return plugin
        return None

    def select(self, ctx: RenderContext) -> PluginConfig:
        """The plugin that renders ``ctx``: by name, else by discovery (see module docstring).

        Raises :class:`~gitopslib.errors.RenderError` when none fits.
        """
        plugins = self.plugins(ctx)
        source_plugin = getattr(ctx.source, "plugin", None)
        name = str(_field(source_plugin, "name") or "") if source_plugin is not None else ""
        env = plugin_env(ctx, full=source_plugin is not None)
        if name:
            for plugin in plugins:
                if plugin.identity != name:
                    continue
                if not plugin.has_discovery or self._matches(
                    plugin, ctx.repo_root, ctx.app_dir, env, ctx
                ):
                    return plugin
                break
            known = ", ".join(p.identity for p in plugins) or "none"
            raise RenderError(
                f"couldn't find plugin with name {name!r} supporting the given repository "
                f"(plugins: {known}; a versioned plugin is named <name>-<version>)",
                source_type="Plugin",
                path=str(getattr(ctx.source, "path", None) or ""),
            )
        for plugin in plugins:
            if plugin.has_discovery and self._matches(plugin, ctx.repo_root, ctx.app_dir, env, ctx):
                return plugin
        raise RenderError(
            "no plugin's discovery rule matches the app directory "
            f"{str(getattr(ctx.source, 'path', None) or '.')!r}",
            source_type="Plugin",
            path=str(getattr(ctx.source, "path", None) or ""),
        )

    # --- generation --------------------------------------------------------------------------

    def _paths(self, ctx: RenderContext) -> tuple[Path, Path, str]:
        root = ctx.repo_root.resolve()
        app = ctx.app_dir.resolve()
        if not is_inside(app, root):
            raise PathEscapeError(
                f"app path {str(ctx.app_dir)!r} leaves the repository root",
                file=str(ctx.app_dir),
                source_type="Plugin",
                path=str(ctx.app_dir),
            )
        return root, app, app.relative_to(root).as_posix()

    def _command_error(
        self, exc: CommandError, plugin: PluginConfig, step: str, scratch: Path, root: Path
    ) -> CommandError:
        command = tuple(str(c).replace(str(scratch), str(root)) for c in exc.command)
        stderr = (exc.stderr or "").replace(str(scratch), str(root))
        shown = " ".join(command)
        if isinstance(exc, CommandTimeoutError):
            message = (
                f"plugin {plugin.identity!r} {step} timed out after {exc.timeout:g}s: `{shown}`"
            )
        else:
            message = (
                f"plugin {plugin.identity!r} {step} failed: `{shown}` exited with code "
                f"{exc.exit_code}"
                # 127 is what a shell answers for a program that is not installed
                + (
                    " (command not found: is the plugin's tool installed?)"
                    if exc.exit_code == 127
                    else ""
                )
                + (f":\n{stderr}" if stderr else "")
            )
        attrs = {k: v for k, v in vars(exc).items() if k != "message"}
        attrs.update(command=command, stderr=stderr, source_type="Plugin", path=str(root))
        return type(exc)(message, **attrs)

    def render(self, ctx: RenderContext) -> list[dict[str, Any]]:
        """Run the selected plugin's ``init`` and ``generate`` in a scratch copy."""
        root, _, rel = self._paths(ctx)
        plugin = self.select(ctx)
        env = plugin_env(ctx, full=True)
        with tempfile.TemporaryDirectory(prefix="gitopslib-plugin-") as tmp:
            scratch = Path(tmp) / "repo"
            scratch_copy(
                root, scratch, preserve_mode=plugin.preserve_file_mode, exclude=self._exclude
            )
            s_app = scratch / rel
            step = "init"
            try:
                if plugin.init:
                    self._run(plugin.init, s_app, env, ctx, runner=ctx.runner)
                step = "generate"
                out = self._run(plugin.generate, s_app, env, ctx, runner=ctx.runner)
            except CommandError as exc:
                raise self._command_error(exc, plugin, step, scratch, root) from None
        return load_manifests(out)

    def parameters_announcement(self, ctx: RenderContext) -> list[dict[str, Any]]:
        """The plugin's parameter announcements: the ``parameters.dynamic`` command's JSON
        array, then the static ones (later entries take precedence, as in Argo CD)."""
        root, _, rel = self._paths(ctx)
        plugin = self.select(ctx)
        static = [dict(p) for p in plugin.static_parameters]
        if not plugin.dynamic_parameters:
            return static
        env = plugin_env(ctx, full=True)
        with tempfile.TemporaryDirectory(prefix="gitopslib-plugin-") as tmp:
            scratch = Path(tmp) / "repo"
            scratch_copy(
                root, scratch, preserve_mode=plugin.preserve_file_mode, exclude=self._exclude
            )
            try:
                out = self._run(
                    plugin.dynamic_parameters, scratch / rel, env, ctx, runner=ctx.runner
                )
            except CommandError as exc:
                raise self._command_error(
                    exc, plugin, "dynamic parameters", scratch, root
                ) from None
        try:
            dynamic = json.loads(out)
        except ValueError as exc:
            raise RenderError(
                f"plugin {plugin.identity!r} dynamic parameters did not print a JSON array: {exc}",
                source_type="Plugin",
                path=rel,
            ) from None
        if not isinstance(dynamic, list) or not all(isinstance(d, dict) for d in dynamic):
            raise RenderError(
                f"plugin {plugin.identity!r} dynamic parameters must print a JSON array of objects",
                source_type="Plugin",
                path=rel,
            )
        return [*dynamic, *static]

    def cache_key(self, ctx: RenderContext) -> str | None:
        """The selected plugin's identity and a digest of its definition and environment."""
        plugin = self.select(ctx)
        definition = json.dumps(
            [plugin.init.argv, plugin.generate.argv, plugin.preserve_file_mode], sort_keys=True
        )
        env = json.dumps(plugin_env(ctx, full=True), sort_keys=True)
        digest = hashlib.sha256((definition + "\0" + env).encode()).hexdigest()[:24]
        return f"plugin/{plugin.identity} {digest}"
