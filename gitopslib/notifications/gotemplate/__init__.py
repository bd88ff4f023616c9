"""Go ``text/template`` as Argo CD's notifications engine runs it: the grammar, Go's execution
rules and the functions the engine registers (Go built-ins plus Sprig).

>>> t = GoTemplate("{{range $i, $c := .items}}{{if $i}}, {{end}}{{$c | upper}}{{end}}", "demo")
>>> t.render({"items": ["a", "b"]})
'A, B'
>>> GoTemplate("{{.a.b}}|{{.missing.deeper}}", "demo").render({"a": {"b": 1}})
'1|<no value>'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gitopslib.errors import NotificationError
from gitopslib.notifications.gotemplate.execute import ExecError, execute
from gitopslib.notifications.gotemplate.funcs import FUNCS, go_sprintf
from gitopslib.notifications.gotemplate.parse import ParseError, parse

__all__ = ["FUNCS", "GoTemplate", "go_sprintf"]


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


class GoTemplate:
    """One parsed template. ``name`` appears in every error (``template.app-x
    webhook.dingtalk.body:3:14: ...``), as Go's ``template: NAME:LINE:COL`` does."""

    def __init__(
        self, text: str, name: str, funcs: Mapping[str, Callable[..., Any]] | None = None
    ) -> None:
        self.text = text
        self.name = name
        self.funcs = dict(FUNCS)
        if funcs:
            self.funcs.update(funcs)
        try:
            self._tree, self._defines = parse(text, self.funcs)
        except ParseError as exc:
            raise NotificationError(
                f"{name}:{exc.line}:{exc.col}: {exc.message}",
                key=name,
                line=exc.line,
                column=exc.col,
            ) from None

    def render(self, data: Any) -> str:
        """Execute with ``data`` as dot; a :class:`NotificationError` naming the template, line
        and column when Go would fail (never a silent empty result)."""
        try:
            return execute(self._tree, self._defines, data, self.funcs)
        except ExecError as exc:
            line, col = _line_col(self.text, exc.pos)
            raise NotificationError(
                f"{self.name}:{line}:{col}: {exc.message}", key=self.name, line=line, column=col
            ) from None
