"""Trigger conditions: the subset of the `expr` language (github.com/expr-lang/expr) that Argo CD's
notifications use, parsed (:mod:`gitopslib.notifications._expr_parse`) and evaluated here without
Python's ``eval``.

A condition is tokenised and parsed into a small tree once (:func:`compile_expr`), then
evaluated against a dict of variables (``app``, ``time``, ``strings``, ``repo``, ``sync``).
Supported grammar: literals (numbers, ``'...'``/``"..."`` strings, ``true``, ``false``, ``nil``,
``[...]`` arrays, ``{k: v}`` maps), names, member access ``a.b`` / ``a?.b`` / ``a["b"]``,
calls ``f(x)`` and method calls on times and durations, ``not``/``!``, unary ``-``,
``and``/``&&``, ``or``/``||``, ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in``,
``contains``, ``startsWith``, ``endsWith``, ``matches``, ``+ - * / %``, ``??`` and ``? :``.
Anything else is an :class:`~gitopslib.errors.NotificationError` naming the column.

Runtime rules follow expr: a missing map key is ``nil``; reading a field *of* ``nil`` is an
error unless written ``?.`` (Argo CD then treats the condition as false); ``and``/``or``/``not``
need booleans.

>>> e = compile_expr("app.status.phase in ['Succeeded'] and !(app.x?.y != nil)")
>>> e.evaluate({"app": {"status": {"phase": "Succeeded"}}})
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gitopslib.notifications._expr_parse import Node, Parser
from gitopslib.notifications.gotime import Duration, GoTime, go_sprint

__all__ = ["CompiledExpr", "ExprRuntimeError", "compile_expr"]


class ExprRuntimeError(Exception):
    """A condition failed while running (Argo CD logs it and treats the trigger as false)."""


# --- evaluation ---------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Duration):
        return "time.Duration"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, GoTime):
        return "time.Time"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(a: Any, b: Any) -> bool:
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, GoTime) and isinstance(b, GoTime):
        return a.Equal(b)
    if type(a) is not type(b) and not (
        (isinstance(a, Mapping) and isinstance(b, Mapping))
        or (isinstance(a, list | tuple) and isinstance(b, list | tuple))
    ):
        return False
    return bool(a == b)


_METHODS: dict[type, frozenset[str]] = {
    GoTime: frozenset(
        {
            "Before",
            "After",
            "Equal",
            "Sub",
            "Add",
            "Unix",
            "UnixNano",
            "Format",
            "UTC",
            "IsZero",
            "Year",
            "Month",
            "Day",
            "Hour",
            "Minute",
            "Second",
            "String",
            "Truncate",
        }
    ),
    Duration: frozenset(
        {
            "Hours",
            "Minutes",
            "Seconds",
            "Milliseconds",
            "Nanoseconds",
            "String",
            "Round",
            "Truncate",
            "Abs",
        }
    ),
}


@dataclass
class _Method:
    obj: Any
    name: str

    def __call__(self, *args: Any) -> Any:
        return getattr(self.obj, self.name)(*args)


class CompiledExpr:
    """A parsed condition. ``evaluate(variables)`` runs it; :class:`ExprRuntimeError` when a
    value has the wrong type or a field of ``nil`` is read."""

    def __init__(self, text: str, tree: Node) -> None:
        self.text = text
        self._tree = tree

    def __repr__(self) -> str:
        return f"CompiledExpr({self.text!r})"

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """The value of the expression with ``variables`` in scope."""
        try:
            return self._eval(self._tree, variables)
        except ExprRuntimeError:
            raise
        except RecursionError:
            raise ExprRuntimeError("expression nested too deeply") from None
        except (TypeError, ValueError, ZeroDivisionError, OverflowError, re.error) as exc:
            raise ExprRuntimeError(str(exc)) from None

    def _fail(self, node: Node, what: str) -> ExprRuntimeError:
        return ExprRuntimeError(f"{what} (column {node.pos + 1})")

    def _eval(self, node: Node, env: Mapping[str, Any]) -> Any:
        kind = node.kind
        if kind == "lit":
            return node.value
        if kind == "name":
            if node.value not in env:
                return None
            return env[node.value]
        if kind == "member":
            name, optional = node.value
            base = self._eval(node.args[0], env)
            return self._member(node, base, name, optional)
        if kind == "index":
            base = self._eval(node.args[0], env)
            index = self._eval(node.args[1], env)
            return self._index(node, base, index)
        if kind == "call":
            fn = self._eval(node.args[0], env)
            args = [self._eval(a, env) for a in node.args[1:]]
            if not callable(fn):
                raise self._fail(node, f"{_type_name(fn)} is not a function")
            try:
                return fn(*args)
            except ExprRuntimeError:
                raise
            except (TypeError, ValueError, KeyError, IndexError) as exc:
                raise self._fail(node, f"call failed: {exc}") from None
        if kind == "array":
            return [self._eval(a, env) for a in node.args]
        if kind == "map":
            values = [self._eval(a, env) for a in node.args]
            return {values[i]: values[i + 1] for i in range(0, len(values), 2)}
        if kind == "not":
            value = self._eval(node.args[0], env)
            if not isinstance(value, bool):
                raise self._fail(node, f"invalid operation: ! ({_type_name(value)})")
            return not value
        if kind in ("neg", "pos"):
            value = self._eval(node.args[0], env)
            if not _is_number(value):
                raise self._fail(node, f"invalid operation: - ({_type_name(value)})")
            return -value if kind == "neg" else value
        if kind == "?:":
            cond = self._eval(node.args[0], env)
            if not isinstance(cond, bool):
                raise self._fail(node, f"non-bool {_type_name(cond)} used as condition")
            return self._eval(node.args[1] if cond else node.args[2], env)
        if kind == "bin":
            return self._binary(node, env)
        raise self._fail(node, f"unsupported node {kind}")  # pragma: no cover

    def _member(self, node: Node, base: Any, name: str, optional: bool) -> Any:
        if base is None:
            if optional:
                return None
            raise self._fail(node, f"cannot fetch {name} from <nil>")  # expr's %T of nil
        if isinstance(base, Mapping):
            return base.get(name)
        for cls, methods in _METHODS.items():
            if isinstance(base, cls) and name in methods:
                return _Method(base, name)
        raise self._fail(node, f"cannot fetch {name} from {_type_name(base)}")

    def _index(self, node: Node, base: Any, index: Any) -> Any:
        if base is None:
            raise self._fail(node, f"cannot fetch {go_sprint(index)} from <nil>")
        if isinstance(base, Mapping):
            return base.get(index)
        if isinstance(base, list | tuple | str) and _is_number(index):
            i = int(index)
            if i < 0:
                i += len(base)
            if not 0 <= i < len(base):
                raise self._fail(node, f"index out of range: {index} (array length is {len(base)})")
            return base[i]
        raise self._fail(node, f"cannot index {_type_name(base)} with {_type_name(index)}")

    def _binary(self, node: Node, env: Mapping[str, Any]) -> Any:
        op = node.value
        left = self._eval(node.args[0], env)
        if op in ("and", "&&", "or", "||"):
            if not isinstance(left, bool):
                raise self._fail(node, f"non-bool {_type_name(left)} used in {op}")
            if (op in ("and", "&&")) != left:
                return left
            right = self._eval(node.args[1], env)
            if not isinstance(right, bool):
                raise self._fail(node, f"non-bool {_type_name(right)} used in {op}")
            return right
        if op == "??":
            return left if left is not None else self._eval(node.args[1], env)
        right = self._eval(node.args[1], env)
        if op == "==":
            return _equal(left, right)
        if op == "!=":
            return not _equal(left, right)
        if op in ("in", "not in"):
            if isinstance(right, Mapping):
                found = left in right
            elif isinstance(right, list | tuple):
                found = any(_equal(left, item) for item in right)
            else:
                raise self._fail(node, f"invalid operation: in ({_type_name(right)})")
            return found if op == "in" else not found
        if op in ("contains", "startsWith", "endsWith", "matches"):
            if not isinstance(left, str) or not isinstance(right, str):
                raise self._fail(
                    node, f"invalid operation: {op} ({_type_name(left)}, {_type_name(right)})"
                )
            if op == "contains":
                return right in left
            if op == "startsWith":
                return left.startswith(right)
            if op == "endsWith":
                return left.endswith(right)
            return re.search(right, left) is not None
        if op in ("<", ">", "<=", ">="):
            comparable = (
                (_is_number(left) and _is_number(right))
                or (isinstance(left, str) and isinstance(right, str))
                or (isinstance(left, GoTime) and isinstance(right, GoTime))
            )
            if not comparable:
                raise self._fail(
                    node, f"invalid operation: {op} ({_type_name(left)}, {_type_name(right)})"
                )
            return _COMPARE[op](left, right)
        return self._arith(node, op, left, right)

    def _arith(self, node: Node, op: str, left: Any, right: Any) -> Any:
        if op == "+" and isinstance(left, str) and isinstance(right, str):
            return left + right
        if op == "+" and isinstance(left, GoTime) and isinstance(right, Duration):
            return left.Add(right)
        if op == "-" and isinstance(left, GoTime) and isinstance(right, GoTime):
            return left.Sub(right)
        if op == ".." and isinstance(left, int) and isinstance(right, int):
            return list(range(left, right + 1))
        if not (_is_number(left) and _is_number(right)):
            raise self._fail(
                node, f"invalid operation: {op} ({_type_name(left)}, {_type_name(right)})"
            )
        keep_duration = isinstance(left, Duration) or isinstance(right, Duration)
        result: Any
        if op == "+":
            result = left + right
        elif op == "-":
            result = left - right
        elif op == "*":
            result = left * right
        elif op == "/":
            if right == 0:
                raise self._fail(node, "division by zero")
            result = left / right  # expr: `/` always gives a float
            keep_duration = False
        elif op == "%":
            if not isinstance(left, int) or not isinstance(right, int) or right == 0:
                raise self._fail(node, "invalid operation: %")
            quotient = abs(left) // abs(right)
            if (left < 0) != (right < 0):
                quotient = -quotient
            result = left - right * quotient  # Go truncates towards zero
        elif op == "**":
            result = float(left) ** float(right)
            keep_duration = False
        else:  # pragma: no cover
            raise self._fail(node, f"unsupported operator {op}")
        if keep_duration and isinstance(result, int):
            return Duration(result)
        return result


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def compile_expr(text: str, *, where: str = "expression") -> CompiledExpr:
    """Parse ``text``; a :class:`NotificationError` naming ``where`` and the column when it is
    outside the supported grammar.

    >>> from gitopslib.errors import NotificationError
    >>> try:
    ...     compile_expr("a ==", where="trigger.on-x")
    ... except NotificationError as exc:
    ...     print(exc)
    trigger.on-x: expected a value, found end of expression at column 5 of 'a =='
    """
    return CompiledExpr(text, Parser(text, where).parse())


def format_once_per(value: Any) -> str:
    """``fmt.Sprintf("%v", value)``: how Argo CD turns an ``oncePer`` value into a key."""
    return go_sprint(value)
