"""The ``Helm`` source type: ``helm template`` as Argo CD runs it, with the real engine.

Engine: a ``helm`` binary on PATH if there is one, else helm-python-sdk (Helm v4 in-process,
``pip install gitopslib[helm]``). Both get the same inputs:

* value files in order (relative to the chart, ``$ref/path`` into another source of a
  multi-source app), then ``values``/``valuesObject`` (``valuesObject`` wins), then
  ``parameters`` (``--set``; ``forceString`` is ``--set-string``) and ``fileParameters``
  (``--set-file``). Missing value files fail unless ``ignoreMissingValueFiles``.
* The build environment (``$ARGOCD_APP_NAME``...) is substituted in parameter values, value
  file paths and file-parameter paths only, never inside ``values``/``valuesObject``.
* ``releaseName`` defaults to the app name, ``namespace`` to the destination namespace;
  ``kubeVersion``/``apiVersions`` default to the render context's; CRDs are included unless
  ``skipCrds``; test hooks are dropped with ``skipTests``.
* Local dependencies (``charts/`` and ``file://``) are built offline in a scratch copy;
  a remote dependency that is not vendored fails with an error saying so.
* Output order is ``helm template``'s: CRDs, then manifests sorted by kind in Helm's install
  order, then hooks. Unknown hook types are dropped, as Helm does.

This module holds the renderer (engine choice, cache key, the ``helm`` binary run); the inputs
are resolved in :mod:`gitopslib.sources._helm_inputs`, the output ordered in
:mod:`gitopslib.sources._helm_output`, helm-python-sdk runs in :mod:`gitopslib.sources._helm_sdk`
and helm-secrets value files are opened in :mod:`gitopslib.sources._helm_secrets`.

>>> HelmRenderer().name
'Helm'
"""

from __future__ import annotations

import importlib.metadata
import shutil
import tempfile
from contextlib import ExitStack
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import orjson

from gitopslib.errors import CommandError, EngineNotFoundError, RenderError
from gitopslib.giturl import mask_credentials
from gitopslib.sources._base import RenderContext, minimal_env
from gitopslib.sources._helm_inputs import (
    DEFAULT_VALUES_FILE_SCHEMES as DEFAULT_VALUES_FILE_SCHEMES,
)
from gitopslib.sources._helm_inputs import HelmInputs, _inputs_to_json, helm_inputs
from gitopslib.sources._helm_output import (
    HELM_INSTALL_ORDER,
    HelmTemplateError,
    _parse_chunk,
    _split_manifests,
    _template_error,
    order_helm_output,
)
from gitopslib.sources._helm_sdk import _check_tree, _require_helm_python
from gitopslib.sources._helm_sdk import helm_version_here as helm_version_here
from gitopslib.sources._helm_sdk import render_chart_here as render_chart_here
from gitopslib.sources._helm_secrets import uses_helm_secrets, values_fifos
from gitopslib.sources._sandbox import engine_call

__all__ = [
    "HELM_INSTALL_ORDER",
    "HelmInputs",
    "HelmRenderer",
    "HelmTemplateError",
    "helm_inputs",
    "order_helm_output",
]


@lru_cache(maxsize=8)
def _binary_version(path: str, mtime: float) -> str:
    from gitopslib.sources._base import SubprocessRunner

    result = SubprocessRunner().run(
        [path, "version", "--short"], cwd=Path(tempfile.gettempdir()), env=minimal_env(), timeout=30
    )
    return result.stdout.strip()


#: The Helm SDK version the engine workers report, by helm-python-sdk version.
_SDK_VERSIONS: dict[str, str] = {}


@cache
def _sdk_package_version() -> str:
    """helm-python-sdk's installed version, looked up once per process (an
    :class:`EngineNotFoundError` naming the extra when it is missing, asked again next time).

    Every Helm cache key holds it, and asking the import system and the package metadata
    cost more than half of a warm (cached) render of a small chart. The trade-off: the key
    used to read the version from disk on every render, so an upgrade of helm-python-sdk
    under a running process changed the key at once; now that process keeps the version it
    saw first until it restarts. It never noticed such an upgrade reliably anyway: the engine
    workers that had already imported the old SDK kept rendering (and answering the SDK
    version) with it, and Python does not support upgrading a package that a running process
    has imported. A disk cache shared with processes started after the upgrade is safe: each
    new process looks the version up again, so they get new keys."""
    _require_helm_python()
    return importlib.metadata.version("helm-python-sdk")


class HelmRenderer:
    """Renders ``Helm`` sources with the real Helm engine.

    ``engine`` picks ``"binary"`` (``helm`` on PATH), ``"python"`` (helm-python-sdk) or
    ``"auto"`` (binary if present, else python).

    >>> HelmRenderer(engine="python").engine_name()
    'helm-python'
    """

    name = "Helm"

    def __init__(self, engine: Literal["auto", "binary", "python"] = "auto") -> None:
        self.engine = engine

    def _binary(self) -> str | None:
        if self.engine == "python":
            return None
        found = shutil.which("helm")
        if found is None and self.engine == "binary":
            raise EngineNotFoundError(
                "engine='binary' was asked for but there is no `helm` on PATH",
                engine="helm",
                extra="helm",
                source_type="Helm",
                path=None,
            )
        return found

    def engine_name(self) -> str:
        """``helm`` (a binary) or ``helm-python`` (in-process)."""
        return "helm" if self._binary() else "helm-python"

    def detect(self, app_dir: Path) -> bool:
        """A ``Chart.yaml`` in the directory root."""
        return any(p.name.endswith("Chart.yaml") for p in app_dir.iterdir() if p.is_file())

    def cache_key(self, ctx: RenderContext) -> str | None:
        """The engine and its exact version (None, never cached, with helm-secrets files)."""
        if uses_helm_secrets(ctx):
            return None
        binary = self._binary()
        if binary:
            return f"helm-binary/{_binary_version(binary, Path(binary).stat().st_mtime)}"
        package = _sdk_package_version()
        if package not in _SDK_VERSIONS:
            _SDK_VERSIONS[package] = engine_call(
                "helm_version",
                {},
                options=ctx.options,
                timeout=ctx.timeout,
                source_type="Helm",
                path=None,
            )
        return f"helm-python/{package} helm-sdk/{_SDK_VERSIONS[package]}"

    def render(self, ctx: RenderContext) -> list[dict[str, Any]]:
        """``helm template`` of ``ctx.source``, parsed, in Helm's output order."""
        if getattr(ctx.source, "chart", None):
            raise RenderError(
                f"chart {ctx.source.chart!r} comes from the Helm repository "
                f"{mask_credentials(str(ctx.source.repo_url))}; gitopslib renders Git and "
                "local charts only (pull the chart into a repository and point `path` at it)",
                source_type="Helm",
                path=str(ctx.source.chart),
            )
        if not (ctx.app_dir / "Chart.yaml").is_file():
            raise RenderError(
                f"{ctx.source.path or '.'} has no Chart.yaml, so it is not a Helm chart",
                source_type="Helm",
                path=str(ctx.source.path or "."),
            )
        inputs = helm_inputs(ctx)
        binary = self._binary()
        if binary:
            return self._render_binary(binary, inputs, ctx)
        return self._render_python(inputs, ctx)

    # --- in-process (helm-python-sdk) ------------------------------------------------------

    def _render_python(self, inputs: HelmInputs, ctx: RenderContext) -> list[dict[str, Any]]:
        _require_helm_python()
        chart_name = str(ctx.source.path or ".")
        out = engine_call(
            "helm",
            {
                "inputs": _inputs_to_json(inputs),
                "repo_root": str(ctx.repo_root),
                "chart_name": chart_name,
            },
            options=ctx.options,
            timeout=ctx.timeout,
            source_type="Helm",
            path=chart_name,
        )
        crds = [(str(f), str(d)) for f, d in out["crds"]]
        return order_helm_output(
            out["rendered"], crds, include_crds=inputs.include_crds, skip_tests=inputs.skip_tests
        )

    # --- a helm binary -----------------------------------------------------------------------

    def template_args(self, inputs: HelmInputs, values_file: Path | None) -> list[str]:
        """The ``helm template`` arguments Argo CD builds (argocd-semantics 9.2)."""
        args = ["template", ".", "--name-template", inputs.release_name]
        if inputs.namespace:
            args += ["--namespace", inputs.namespace]
        if inputs.kube_version:
            args += ["--kube-version", inputs.kube_version]
        for name, value in inputs.set_values.items():
            args += ["--set", f"{name}={value}"]
        for name, value in inputs.set_strings.items():
            args += ["--set-string", f"{name}={value}"]
        for name, path in inputs.set_files.items():
            args += ["--set-file", f"{name}={path}"]
        for values in inputs.value_files:
            args += ["--values", str(values)]
        if values_file is not None:
            args += ["--values", str(values_file)]
        for api in inputs.api_versions:
            args += ["--api-versions", api]
        if inputs.include_crds:
            args.append("--include-crds")
        if inputs.skip_schema_validation:
            args.append("--skip-schema-validation")
        if inputs.skip_tests:
            args.append("--skip-tests")
        return args

    def _render_binary(
        self, binary: str, inputs: HelmInputs, ctx: RenderContext
    ) -> list[dict[str, Any]]:
        _check_tree(inputs.chart_dir, ctx.repo_root)
        with (
            tempfile.TemporaryDirectory(prefix="gitopslib-helm-") as scratch,
            ExitStack() as stack,
        ):
            values_file: Path | None = None
            if inputs.values_object is not None or inputs.values_yaml:
                values_file = Path(scratch) / "values.yaml"
                text = (
                    orjson.dumps(inputs.values_object).decode()
                    if inputs.values_object is not None
                    else str(inputs.values_yaml)
                )
                values_file.write_text(text, encoding="utf-8")
            inputs = values_fifos(inputs, Path(scratch), stack)
            chart_copy = Path(scratch) / "chart"
            shutil.copytree(inputs.chart_dir, chart_copy, symlinks=False)
            env = minimal_env(
                {
                    "HELM_CACHE_HOME": str(Path(scratch) / "cache"),
                    "HELM_CONFIG_HOME": str(Path(scratch) / "config"),
                    "HELM_DATA_HOME": str(Path(scratch) / "data"),
                }
            )
            args = self.template_args(inputs, values_file)
            try:
                result = ctx.runner.run(
                    [binary, *args], cwd=chart_copy, env=env, timeout=ctx.timeout
                )
            except CommandError as exc:
                if "missing in charts/ directory" in exc.stderr:
                    ctx.runner.run(
                        [binary, "dependency", "build", "--skip-refresh"],
                        cwd=chart_copy,
                        env=env,
                        timeout=ctx.timeout,
                    )
                    result = ctx.runner.run(
                        [binary, *args], cwd=chart_copy, env=env, timeout=ctx.timeout
                    )
                else:
                    raise _template_error(exc.stderr, str(ctx.source.path or ".")) from None
        objs: list[dict[str, Any]] = []
        for chunk in _split_manifests(result.stdout):
            obj = _parse_chunk(chunk, "helm template output")
            if obj is not None:
                objs.append(obj)
        return objs
