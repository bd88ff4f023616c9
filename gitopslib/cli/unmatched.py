"""Override flags that match nothing: a ``--kustomize-image`` for an image the app does not
use, a ``--jsonnet-ext-var-str`` for a variable no file reads, a ``--helm-set`` of a key no
file of the chart names. Each is a warning (the render still ran), since a typo there
otherwise passes silently.

Helm keys are judged only where that can be known: when the chart (and any subchart) is on
disk as files; a packaged subchart (``charts/*.tgz``) may read any key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitopslib.cli.overrides import Overrides

if TYPE_CHECKING:
    from gitopslib.models import Application
    from gitopslib.sources import RenderResult, Resolver

#: Files larger than this are not searched for a name (generated data, not templates).
_MAX_FILE_BYTES = 1 << 20


def _images(obj: Any) -> Iterator[str]:
    """Every ``image`` string anywhere in a manifest (containers at any depth)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "image" and isinstance(value, str):
                yield value
            else:
                yield from _images(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _images(item)


def _image_repository(image: str) -> str:
    """``image`` without its tag or digest.

    >>> _image_repository("registry:5000/team/app:1.2@sha256:abc")
    'registry:5000/team/app'
    """
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def _kustomize_image_result(override: str) -> str:
    """The image name a Kustomize image override leaves in the manifests: the new name of
    ``old=new:tag``, else the name itself.

    >>> _kustomize_image_result("nginx=registry/nginx:2")
    'registry/nginx'
    >>> _kustomize_image_result("nginx:1.25")
    'nginx'
    """
    if "=" in override:
        return _image_repository(override.split("=", 1)[1])
    return _image_repository(override)


def _texts(folder: Path, suffixes: tuple[str, ...] | None) -> Iterator[str]:
    """The text of every regular file under ``folder`` (no symlinks followed)."""
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if suffixes is not None and path.suffix not in suffixes:
            continue
        if path.stat().st_size > _MAX_FILE_BYTES:
            continue
        yield path.read_text(encoding="utf-8", errors="replace")


def _helm_top_key(key: str) -> str:
    r"""The first segment of a ``--helm-set`` key (``a.b[0].c`` -> ``a``; ``a\.b.c`` ->
    ``a.b``).

    >>> _helm_top_key(r"ingress\.class.name")
    'ingress.class'
    """
    head = re.split(r"(?<!\\)[.\[]", key, maxsplit=1)[0]
    return head.replace("\\.", ".")


def _helm_unmatched(chart: Path, keys: list[tuple[str, str]]) -> list[str]:
    if not (chart / "Chart.yaml").is_file():
        return []
    if any(chart.rglob("*.tgz")):
        return []  # a packaged subchart may read any key
    corpus = "\n".join(_texts(chart, None))
    out = []
    for flag, text in keys:
        key = text.partition("=")[0]
        top = _helm_top_key(key)
        if top and not re.search(rf"(?<![\w-]){re.escape(top)}(?![\w-])", corpus):
            out.append(f"{flag} {key}: no file of the chart names {top!r}, so the chart ignores it")
    return out


def _jsonnet_unmatched(root: Path, folder: Path, o: Overrides) -> list[str]:
    texts = list(_texts(folder, (".jsonnet", ".libsonnet")))
    for lib in o.jsonnet_libs:  # library paths are relative to the repository root
        lib_dir = (root / lib).resolve()
        if lib_dir.is_relative_to(root) and lib_dir.is_dir():
            texts.extend(_texts(lib_dir, (".jsonnet", ".libsonnet")))
    if not texts:
        return []
    corpus = "\n".join(texts)
    out = []
    for flag, items in (
        ("--jsonnet-ext-var-str", o.jsonnet_ext_str),
        ("--jsonnet-ext-var-code", o.jsonnet_ext_code),
    ):
        for text in items:
            name = text.partition("=")[0]
            if not re.search(rf"extVar\(\s*['\"]{re.escape(name)}['\"]\s*\)", corpus):
                out.append(f"{flag} {name}: no jsonnet file reads std.extVar({name!r})")
    for flag, items in (
        ("--jsonnet-tla-str", o.jsonnet_tla_str),
        ("--jsonnet-tla-code", o.jsonnet_tla_code),
    ):
        for text in items:
            name = text.partition("=")[0]
            if not re.search(rf"(?<![\w$]){re.escape(name)}(?!\w)", corpus):
                out.append(f"{flag} {name}: no jsonnet file has a parameter {name!r}")
    return out


def unmatched_overrides(
    app: Application, overrides: Overrides, result: RenderResult, resolver: Resolver
) -> list[str]:
    """Warnings for the override flags that matched nothing in the render of ``app``."""
    o = overrides
    out: list[str] = []
    if o.kustomize_images:
        used = {_image_repository(i) for i in _images(result.manifests)}
        for image in o.kustomize_images:
            if _kustomize_image_result(image) not in used:
                out.append(f"--kustomize-image {image}: the app uses no image by that name")
    sources = app.spec.all_sources()
    index = (o.source_position or 1) - 1
    if not 0 <= index < len(sources):
        return out
    source = sources[index]
    helm_keys = [
        *(("--helm-set", t) for t in o.helm_set),
        *(("--helm-set-string", t) for t in o.helm_set_string),
        *(("--helm-set-file", t) for t in o.helm_set_file),
    ]
    jsonnet = any((o.jsonnet_ext_str, o.jsonnet_ext_code, o.jsonnet_tla_str, o.jsonnet_tla_code))
    if not (helm_keys or jsonnet) or source.chart or source.path is None:
        return out
    with resolver.open(source.repo_url or "", source.target_revision) as opened:
        root = opened.root.resolve()
        folder = (root / source.path).resolve()
        if not folder.is_relative_to(root) or not folder.is_dir():
            return out
        if helm_keys:
            out.extend(_helm_unmatched(folder, helm_keys))
        if jsonnet:
            out.extend(_jsonnet_unmatched(root, folder, o))
    return out
