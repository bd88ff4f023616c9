"""Which renderer a source needs, decided as Argo CD decides it (argocd-semantics 9.7).

1. An explicit block (``helm``, ``kustomize``, ``directory``, ``plugin``) names the type;
   more than one is an error. A ``chart`` (Helm repository source) is Helm.
2. Otherwise a config-management plugin whose discovery rule matches the directory wins.
3. Otherwise the files in the app directory's root, in walk order: a name ending in
   ``Chart.yaml`` means Helm, a kustomization file (``kustomization.yaml``,
   ``kustomization.yml``, ``Kustomization``) means Kustomize, and the later one in name order
   wins (so Kustomize beats ``Chart.yaml``).
4. Otherwise ``Directory``.

Disabled tool types (``disabled={"Helm"}``, Argo CD's ``helm.enable: false``) fall back to
Directory; plugins cannot be disabled.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "Chart.yaml").write_text("name: x")
>>> detect_type_from_files(d)
'Helm'
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from gitopslib.errors import RenderError

if TYPE_CHECKING:
    from gitopslib.models import ApplicationSource
    from gitopslib.sources._registry import RendererRegistry

__all__ = ["KUSTOMIZATION_FILES", "detect_source_type", "detect_type_from_files", "explicit_type"]

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

#: Explicit blocks in the order Argo CD's ``ExplicitType`` checks them.
_BLOCKS = (
    ("kustomize", "Kustomize"),
    ("helm", "Helm"),
    ("directory", "Directory"),
    ("plugin", "Plugin"),
)


def explicit_type(source: ApplicationSource) -> str | None:
    """The type an explicit block names, or None; several blocks raise :class:`RenderError`.

    >>> from types import SimpleNamespace as NS
    >>> explicit_type(NS(helm=NS(), kustomize=None, directory=None, plugin=None, chart=None))
    'Helm'
    """
    found = [name for attr, name in _BLOCKS if getattr(source, attr, None) is not None]
    if len(found) > 1:
        raise RenderError(
            f"multiple application sources defined: {','.join(found)}",
            source_type=None,
            path=getattr(source, "path", None),
        )
    if found:
        return found[0]
    if getattr(source, "chart", None):
        return "Helm"
    return None


def detect_type_from_files(app_dir: Path, disabled: Collection[str] = ()) -> str:
    """Helm, Kustomize or Directory from the files in the root of ``app_dir``."""
    found = "Directory"
    try:
        names = sorted(
            (e.name for e in os.scandir(app_dir) if not e.is_dir(follow_symlinks=False)),
            key=lambda n: n.encode("utf-8", "surrogateescape"),
        )
    except OSError as exc:
        raise RenderError(
            f"cannot read the app directory {app_dir}: {exc.strerror}",
            source_type=None,
            path=str(app_dir),
        ) from None
    for name in names:
        if name.endswith("Chart.yaml") and "Helm" not in disabled:
            found = "Helm"
        if name in KUSTOMIZATION_FILES and "Kustomize" not in disabled:
            found = "Kustomize"
    return found


def detect_source_type(
    source: ApplicationSource,
    app_dir: Path,
    registry: RendererRegistry | None = None,
    *,
    disabled: Collection[str] = (),
) -> str:
    """The source type Argo CD would use for ``source`` checked out at ``app_dir``.

    ``registry`` supplies the ``Plugin`` renderer whose ``detect`` runs plugin discovery;
    without one (or without a Plugin renderer) discovery is skipped.

    >>> import tempfile, pathlib
    >>> from types import SimpleNamespace as NS
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "kustomization.yaml").write_text("resources: []")
    >>> src = NS(helm=None, kustomize=None, directory=None, plugin=None, chart=None)
    >>> detect_source_type(src, d)
    'Kustomize'
    """
    explicit = explicit_type(source)
    if explicit is not None:
        if explicit in disabled and explicit != "Plugin":
            return "Directory"
        return explicit
    if registry is not None:
        plugin = registry.find("Plugin")
        if plugin is not None and plugin.detect(app_dir):
            return "Plugin"
    return detect_type_from_files(app_dir, disabled)
