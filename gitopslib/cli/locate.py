"""Where in an Application's file a problem is: render errors, validation problems and
policy refusals as one line naming file, line and field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitopslib.cli.base import CLIError, one_line
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


@dataclass(frozen=True)
class Located:
    """One problem with where it is: ``file:line:column: field: message`` as :meth:`text`."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None
    app: str | None = None

    def text(self) -> str:
        """The one line the command prints (the app's name where no file is known)."""
        where = ""
        if self.file is not None:
            where = self.file + (f":{self.line}" if self.line else "")
            where += f":{self.column}" if self.line and self.column else ""
        elif self.app is not None:
            where = f"Application {self.app!r}"
        return ": ".join(p for p in (where, self.field, self.message) if p)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready data."""
        return {
            "application": self.app,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "message": self.message,
        }


class LocatedError(CLIError):
    """An error of one Application, with where it is (``located``)."""

    def __init__(self, located: Located) -> None:
        super().__init__(located.text())
        self.located = located


def field_path(name: str) -> tuple[str | int, ...]:
    """A dotted field name as a YAML path.

    >>> field_path("spec.sources[1].repoURL")
    ('spec', 'sources', 1, 'repoURL')
    """
    out: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", name):
        out.append(int(part[1:-1]) if part.startswith("[") else part)
    return tuple(out)


def field_name(path: tuple[str | int, ...]) -> str:
    """A YAML path as a dotted field name (``spec.sources[1].path``)."""
    return re.sub(r"\.(\d+)", r"[\1]", ".".join(str(p) for p in path))


def locate(app: Application, field: str | tuple[str | int, ...], message: str) -> Located:
    """``message`` about ``field`` of ``app``, at the line of that field in the app's file
    (or of its nearest parent that is there: a missing field is reported where it belongs).

    >>> from gitopslib.models import Application
    >>> app = Application.from_yaml("examples/01-directory-app/application.yaml")
    >>> print(locate(app, "spec.destination.name", "required").text())
    examples/01-directory-app/application.yaml:15:5: spec.destination.name: required
    """
    path = field_path(field) if isinstance(field, str) else field
    doc = getattr(app, "_source", None)
    locations = getattr(doc, "locations", None)
    line = column = None
    if locations is not None:
        line, column = locations.of(path)
    return Located(
        message,
        file=getattr(doc, "file", None),
        line=line,
        column=column,
        field=field_name(path) or None,
        app=str(app.metadata.name),
    )


def source_field(app: Application) -> tuple[str | int, ...]:
    """The field of the app's source(s): ``spec.source`` or ``spec.sources``."""
    return ("spec", "sources") if app.spec.sources else ("spec", "source")


def render_error_location(app: Application, exc: GitOpsError) -> Located:
    """``exc`` located at the Application's file, line and the source field the error is
    about."""
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
    redundant = ".".join(str(p) for p in field[len(base) :]) + ": "
    if message.startswith(redundant):
        message = message[len(redundant) :]
    return locate(app, field, message)


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
    return render_error_location(app, exc).text()
