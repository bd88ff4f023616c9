"""Reading a stream that mixes Argo CD kinds (an ``argocd/`` folder, an app-of-apps render)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from gitopslib.errors import ValidationError
from gitopslib.models._base import MAX_STREAM_BYTES, Document, _parse_documents, _read_text
from gitopslib.models.application import Application
from gitopslib.models.plugin import ConfigManagementPlugin
from gitopslib.models.project import AppProject

__all__ = ["DOCUMENT_KINDS", "load_documents"]

#: The document class for each Argo CD kind gitopslib models.
DOCUMENT_KINDS: dict[str, type[Document]] = {
    "Application": Application,
    "AppProject": AppProject,
    "ConfigManagementPlugin": ConfigManagementPlugin,
}


def load_documents(
    text_or_path: str | os.PathLike[str],
    *,
    skip_other_kinds: bool = False,
    kinds: Mapping[str, type[Document]] | None = None,
) -> list[Document]:
    """Every document of a YAML stream as the model of its ``kind``.

    Documents of other kinds (a ConfigMap beside the Applications) raise
    :class:`~gitopslib.errors.ValidationError`, or are skipped with ``skip_other_kinds``.
    ``kinds`` replaces the class of a kind (a subclass with more rules, such as
    :class:`gitopslib.project.AppProject`), so its errors too name file and line.

    >>> docs = load_documents(
    ...     "apiVersion: argoproj.io/v1alpha1\\nkind: AppProject\\nmetadata: {name: p}\\n---\\n"
    ...     "apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: c}\\n",
    ...     skip_other_kinds=True,
    ... )
    >>> [type(d).__name__ for d in docs]
    ['AppProject']
    """
    text, file = _read_text(text_or_path, MAX_STREAM_BYTES)
    classes = {**DOCUMENT_KINDS, **(kinds or {})}
    out: list[Document] = []
    for doc in _parse_documents(text, file):
        kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
        cls = classes.get(kind) if isinstance(kind, str) else None
        if cls is None:
            if skip_other_kinds:
                continue
            line, column = doc.locations.of(("kind",))
            raise ValidationError(
                f"kind {kind!r} is not one of {', '.join(sorted(DOCUMENT_KINDS))}",
                file=file,
                line=line,
                column=column,
                field="kind",
            )
        out.append(cls._from_parsed(doc))
    return out
