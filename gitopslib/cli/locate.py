"""Render errors as one line naming the Application's file, line and source field."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gitopslib.cli.base import one_line
from gitopslib.errors import GitOpsError

if TYPE_CHECKING:
    from gitopslib.models import Application


# The source field a render error is about, from the start of its message.
_RENDER_ERROR_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("value file", ("helm", "valueFiles")),
    ("file parameter", ("helm", "fileParameters")),
    ("helm.values", ("helm", "values")),
    ("source path", ("path",)),
    ("app path", ("path",)),
    ("cannot read the app directory", ("path",)),
    ("jsonnet library path", ("directory", "jsonnet", "libs")),
    ("couldn't find plugin", ("plugin",)),
    ("plugin '", ("plugin",)),
    ("multiple application sources defined", ()),
)


def located_render_error(app: Application, exc: GitOpsError) -> str:
    """``exc`` as one line that names the Application's file, line and the source field the
    error is about (``escape.yaml:9:11: spec.source.path: source path '..' leaves ...``).

    >>> from gitopslib.errors import PathEscapeError
    >>> from gitopslib.models import Application
    >>> app = Application.from_yaml("examples/01-directory-app/application.yaml")
    >>> err = PathEscapeError("source path '..' leaves the repository root", path="..")
    >>> print(located_render_error(app, err))
    examples/01-directory-app/application.yaml:13:11: spec.source.path: source path '..' ...
    """
    message = one_line(str(exc))
    spec = app.spec
    bad = getattr(exc, "path", None)
    base: tuple[str | int, ...]
    sources = list(spec.sources or [])
    if sources:
        index = next(
            (
                i
                for i, s in enumerate(sources)
                if bad is not None
                and (bad == s.path or bad in ((s.helm.value_files or []) if s.helm else []))
            ),
            0 if len(sources) == 1 else None,
        )
        base = ("spec", "sources") if index is None else ("spec", "sources", index)
        source = sources[index] if index is not None else None
    else:
        base, source = ("spec", "source"), spec.source
    field: tuple[str | int, ...] = base
    if source is not None:
        for head, sub in _RENDER_ERROR_FIELDS:
            if message.startswith(head):
                field = (*base, *sub)
                break
        value_files = (source.helm.value_files or []) if source.helm else []
        if field[-1:] == ("valueFiles",) and bad in value_files:
            field = (*field, value_files.index(bad))
    name = ".".join(str(p) for p in field)
    redundant = ".".join(str(p) for p in field[len(base) :]) + ": "
    if message.startswith(redundant):
        message = message[len(redundant) :]
    name = re.sub(r"\.(\d+)", r"[\1]", name)
    doc = getattr(app, "_source", None)
    file = getattr(doc, "file", None)
    locations = getattr(doc, "locations", None)
    line = column = None
    if locations is not None:
        line, column = locations.of(field)
    if file is None:
        return f"Application {app.metadata.name!r}: {name}: {message}"
    where = file + (f":{line}" if line else "") + (f":{column}" if line and column else "")
    return f"{where}: {name}: {message}"
