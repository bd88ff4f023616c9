"""Executing a parsed Go template against data, with Go's rules.

Values are plain Python data (the Application as a JSON dict). Go's distinctions that change
output are kept: a missing map key is "no value" (printed ``<no value>``, falsy, and further
fields of it are no value too), a present ``null`` is ``nil`` (printed ``<nil>``; a field of it
is an error), ``and``/``or`` short-circuit and return an operand, ``range`` over a map walks
sorted keys, a map's function values are run only through ``call``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from gitopslib.notifications.gotemplate.parse import Node
from gitopslib.notifications.gotime import Duration, GoTime, go_sprint

__all__ = ["MISSING", "ExecError", "execute", "truth"]

#: Output larger than this stops execution.
MAX_OUTPUT = 8 * 1024 * 1024
#: Nested template calls deeper than this stop execution.
MAX_DEPTH = 1000


class _Missing:
    """Go's invalid ``reflect.Value``: what a missing map key evaluates to."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<no value>"

    def __bool__(self) -> bool:
        return False


MISSING = _Missing()
_NO_FINAL = object()


class ExecError(Exception):
    """Execution failed at ``pos`` (an offset in the source)."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def truth(value: Any) -> bool:
    """Go's template truth: false, 0, nil, no value and empty strings/lists/maps are false."""
    if value is MISSING or value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | str | bytes | list | tuple | Mapping):
        return bool(value)
    return True


def printable(value: Any) -> str:
    """How ``{{ value }}`` prints."""
    if value is MISSING:
        return "<no value>"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = [printable(getattr(value, f.name)) for f in dataclasses.fields(value)]
        return "{" + " ".join(parts) + "}"
    return go_sprint(value)


def _type_of(value: Any) -> str:
    if value is None:
        return "interface {}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Duration):
        return "time.Duration"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, GoTime):
        return "time.Time"
    return type(value).__name__


Funcs = Mapping[str, Callable[..., Any]]


class _State:
    def __init__(self, funcs: Funcs, defines: Mapping[str, Node], root: Any) -> None:
        self.funcs = funcs
        self.defines = defines
        self.out: list[str] = []
        self.size = 0
        self.vars: list[tuple[str, Any]] = [("$", root)]
        self.depth = 0

    def write(self, text: str, pos: int) -> None:
        self.size += len(text)
        if self.size > MAX_OUTPUT:
            raise ExecError(f"output larger than {MAX_OUTPUT} bytes", pos)
        self.out.append(text)

    # -- variables
    def var(self, name: str, pos: int) -> Any:
        for key, value in reversed(self.vars):
            if key == name:
                return value
        raise ExecError(f'undefined variable "{name}"', pos)

    def set_var(self, name: str, value: Any, pos: int) -> None:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i] = (name, value)
                return
        raise ExecError(f'undefined variable "{name}"', pos)

    # -- walking
    def walk(self, dot: Any, node: Node) -> None:
        kind = node.kind
        if kind == "list":
            for child in node.children:
                self.walk(dot, child)
        elif kind == "text":
            self.write(node.value, node.pos)
        elif kind == "action":
            pipe = node.children[0]
            value = self.pipeline(dot, pipe)
            if not pipe.decl:
                self.write(printable(value), node.pos)
        elif kind in ("if", "with"):
            saved = len(self.vars)
            value = self.pipeline(dot, node.children[0])
            if truth(value):
                self.walk(value if kind == "with" else dot, node.children[1])
            elif node.other is not None:
                for child in node.other:
                    self.walk(dot, child)
            del self.vars[saved:]
        elif kind == "range":
            self.walk_range(dot, node)
        elif kind == "template":
            self.call_template(dot, node)
        elif kind == "break":
            raise _Break
        elif kind == "continue":
            raise _Continue
        else:  # pragma: no cover - the parser makes no other kinds at this level
            raise ExecError(f"unknown node {kind}", node.pos)

    def walk_range(self, dot: Any, node: Node) -> None:
        saved = len(self.vars)
        pipe = node.children[0]
        value = self.pipeline(dot, Node("pipe", pipe.pos, None, pipe.children))
        items: list[tuple[Any, Any]]
        if value is MISSING or value is None:
            items = []
        elif isinstance(value, Mapping):
            items = [(k, value[k]) for k in sorted(value, key=_sort_key)]
        elif isinstance(value, list | tuple):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(i, i) for i in range(value)]
        else:
            raise ExecError(f"range can't iterate over {printable(value)}", node.pos)
        if not items:
            if node.other is not None:
                for child in node.other:
                    self.walk(dot, child)
            return
        for key, elem in items:
            if len(pipe.decl) == 1:
                self.bind(pipe, pipe.decl[0], elem)
            elif len(pipe.decl) == 2:
                self.bind(pipe, pipe.decl[0], key)
                self.bind(pipe, pipe.decl[1], elem)
            try:
                self.walk(elem, node.children[1])
            except _Continue:
                pass
            except _Break:
                break
            finally:
                del self.vars[saved + (0 if pipe.assign else len(pipe.decl)) :]
        del self.vars[saved:]

    def bind(self, pipe: Node, name: str, value: Any) -> None:
        if pipe.assign:
            self.set_var(name, value, pipe.pos)
        else:
            self.vars.append((name, value))

    def call_template(self, dot: Any, node: Node) -> None:
        body = self.defines.get(node.value)
        if body is None:
            raise ExecError(f'no such template "{node.value}"', node.pos)
        new_dot = self.pipeline(dot, node.children[0]) if node.children else dot
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExecError("exceeded maximum template depth", node.pos)
        saved_vars, self.vars = self.vars, [("$", new_dot)]
        try:
            self.walk(new_dot, body)
        finally:
            self.vars = saved_vars
            self.depth -= 1

    # -- pipelines
    def pipeline(self, dot: Any, pipe: Node) -> Any:
        value: Any = _NO_FINAL
        for cmd in pipe.children:
            value = self.command(dot, cmd, value)
        for name in pipe.decl[:1] if len(pipe.decl) == 1 else []:
            if pipe.assign:
                self.set_var(name, value, pipe.pos)
            else:
                self.vars.append((name, value))
        return value

    def command(self, dot: Any, cmd: Node, final: Any) -> Any:
        first = cmd.children[0]
        args = cmd.children[1:]
        kind = first.kind
        if kind == "field":
            return self.field_chain(dot, dot, first.value, args, final, first.pos)
        if kind == "chain":
            base = self.operand(dot, first.children[0])
            return self.field_chain(dot, base, first.value, args, final, first.pos)
        if kind == "variable":
            name, path = first.value
            value = self.var(name, first.pos)
            if path:
                return self.field_chain(dot, value, path, args, final, first.pos)
            self.no_args(first, args, final)
            return value
        if kind == "ident":
            return self.call(dot, first.value, args, final, first.pos)
        if kind == "nil":
            raise ExecError("nil is not a command", first.pos)
        self.no_args(first, args, final)
        return self.operand(dot, first)

    def no_args(self, node: Node, args: list[Node], final: Any) -> None:
        if args or final is not _NO_FINAL:
            raise ExecError(f"can't give argument to non-function {_describe(node)}", node.pos)

    def operand(self, dot: Any, node: Node) -> Any:
        kind = node.kind
        if kind in ("string", "number", "bool"):
            return node.value
        if kind == "nil":
            return None
        if kind == "dot":
            return dot
        if kind == "pipe":
            saved = len(self.vars)
            value = self.pipeline(dot, node)
            del self.vars[saved:]
            return value
        if kind == "field":
            return self.field_chain(dot, dot, node.value, [], _NO_FINAL, node.pos)
        if kind == "chain":
            base = self.operand(dot, node.children[0])
            return self.field_chain(dot, base, node.value, [], _NO_FINAL, node.pos)
        if kind == "variable":
            name, path = node.value
            value = self.var(name, node.pos)
            return self.field_chain(dot, value, path, [], _NO_FINAL, node.pos) if path else value
        if kind == "ident":
            return self.call(dot, node.value, [], _NO_FINAL, node.pos)
        raise ExecError(f"can't evaluate {kind}", node.pos)  # pragma: no cover

    def field_chain(
        self, dot: Any, receiver: Any, path: list[str], args: list[Node], final: Any, pos: int
    ) -> Any:
        for name in path[:-1]:
            receiver = self.field(dot, receiver, name, [], _NO_FINAL, pos)
        return self.field(dot, receiver, path[-1], args, final, pos)

    def field(
        self, dot: Any, receiver: Any, name: str, args: list[Node], final: Any, pos: int
    ) -> Any:
        if receiver is MISSING:
            return MISSING
        if receiver is None:
            raise ExecError(f"nil pointer evaluating interface {{}}.{name}", pos)
        has_args = bool(args) or final is not _NO_FINAL
        if isinstance(receiver, Mapping):
            if has_args:
                raise ExecError(f"{name} is not a method but has arguments", pos)
            return receiver.get(name, MISSING)
        method = _method(receiver, name)
        if method is not None:
            values = [self.arg(dot, a) for a in args]
            if final is not _NO_FINAL:
                values.append(final)
            try:
                return method(*values)
            except (TypeError, ValueError) as exc:
                raise ExecError(f"error calling {name}: {exc}", pos) from None
        if dataclasses.is_dataclass(receiver) and name[:1].isupper() and hasattr(receiver, name):
            if has_args:
                raise ExecError(f"{name} has arguments but cannot be invoked as function", pos)
            return getattr(receiver, name)
        raise ExecError(f"can't evaluate field {name} in type {_type_of(receiver)}", pos)

    def arg(self, dot: Any, node: Node) -> Any:
        return self.operand(dot, node)

    def call(self, dot: Any, name: str, args: list[Node], final: Any, pos: int) -> Any:
        if name in ("and", "or"):
            operands: list[Any] = [lambda n=n: self.arg(dot, n) for n in args]
            if final is not _NO_FINAL:
                operands.append(lambda: final)
            if not operands:
                raise ExecError(f"wrong number of args for {name}: want at least 1 got 0", pos)
            value: Any = None
            for get in operands:
                value = get()
                if truth(value) == (name == "or"):
                    return value
            return value
        fn = self.funcs[name]
        values = [self.arg(dot, a) for a in args]
        if final is not _NO_FINAL:
            values.append(final)
        # Go hands "no value" to an interface{} parameter as nil
        values = [None if v is MISSING else v for v in values]
        if name == "call":
            if not values:
                raise ExecError("wrong number of args for call: want at least 1 got 0", pos)
            target = values[0]
            if target is MISSING or target is None:
                raise ExecError("error calling call: call of nil", pos)
            if not callable(target):
                raise ExecError(f"error calling call: non-function of type {_type_of(target)}", pos)
            fn, values = target, values[1:]
            name = "call"
        try:
            return fn(*values)
        except ExecError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError) as exc:
            raise ExecError(f"error calling {name}: {exc}", pos) from None


def _sort_key(key: Any) -> tuple[int, Any]:
    if isinstance(key, int | float) and not isinstance(key, bool):
        return (0, key)
    return (1, str(key))


_GO_METHODS = {
    GoTime: {"Before", "After", "Equal", "Sub", "Add", "Unix", "UnixNano", "Format", "UTC",
             "IsZero", "Year", "Month", "Day", "Hour", "Minute", "Second", "String",
             "Truncate"},
    Duration: {"Hours", "Minutes", "Seconds", "Milliseconds", "Nanoseconds", "String",
               "Round", "Truncate", "Abs"},
}  # fmt: skip


def _method(receiver: Any, name: str) -> Callable[..., Any] | None:
    for cls, names in _GO_METHODS.items():
        if isinstance(receiver, cls) and name in names:
            fn: Callable[..., Any] = getattr(receiver, name)
            return fn
    go_methods = getattr(type(receiver), "__go_methods__", ())
    if name in go_methods:
        return getattr(receiver, name)  # type: ignore[no-any-return]
    return None


def _describe(node: Node) -> str:
    if node.kind == "string":
        return repr(node.value).replace("'", '"')
    if node.kind == "dot":
        return "."
    return str(node.value)


def execute(tree: Node, defines: Mapping[str, Node], data: Any, funcs: Funcs) -> str:
    """Run ``tree`` with ``data`` as dot and ``$``; :class:`ExecError` on a Go runtime error."""
    state = _State(funcs, defines, data)
    try:
        state.walk(data, tree)
    except RecursionError:
        raise ExecError("template nested too deeply", 0) from None
    return "".join(state.out)
