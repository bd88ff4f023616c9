"""Output helpers: RFC 6902 patches and unified diffs of YAML, fast enough to run on every
differing resource.

>>> make_patch({"a": 1, "b": [1, 2]}, {"a": 2, "b": [1, 2, 3]})
[{'op': 'replace', 'path': '/a', 'value': 2}, {'op': 'add', 'path': '/b/2', 'value': 3}]
>>> to_yaml({"b": [1, {"c": "x y"}], "a": "true"})
"a: 'true'\\nb:\\n- 1\\n- c: x y\\n"
"""

from __future__ import annotations

import difflib
import json
import re
from functools import lru_cache
from typing import Any

from gitopslib.diff.ignore import escape_pointer

__all__ = ["make_patch", "to_yaml", "unified_diff"]


def _same(a: Any, b: Any) -> bool:
    from gitopslib.diff.strategic import strict_equal

    return strict_equal(a, b)


def make_patch(src: Any, dst: Any) -> list[dict[str, Any]]:
    """An RFC 6902 patch turning ``src`` into ``dst`` (maps key by key; lists index by index
    when only their tails differ in length, else replaced whole)."""
    ops: list[dict[str, Any]] = []
    _diff(src, dst, "", ops)
    return ops


def _diff(a: Any, b: Any, path: str, ops: list[dict[str, Any]]) -> None:
    if type(a) is dict and type(b) is dict:
        for key in a:
            if key not in b:
                ops.append({"op": "remove", "path": f"{path}/{escape_pointer(key)}"})
        for key, bv in b.items():
            p = f"{path}/{escape_pointer(key)}"
            if key not in a:
                ops.append({"op": "add", "path": p, "value": bv})
            elif not _same(a[key], bv):
                _diff(a[key], bv, p, ops)
        return
    if type(a) is list and type(b) is list:
        common = min(len(a), len(b))
        changed = sum(1 for i in range(common) if not _same(a[i], b[i]))
        if changed <= max(1, common // 2):
            for i in range(common):
                if not _same(a[i], b[i]):
                    _diff(a[i], b[i], f"{path}/{i}", ops)
            for i in range(len(a) - 1, common - 1, -1):
                ops.append({"op": "remove", "path": f"{path}/{i}"})
            for i in range(common, len(b)):
                ops.append({"op": "add", "path": f"{path}/{i}", "value": b[i]})
            return
    ops.append({"op": "replace", "path": path, "value": b})


# --- YAML ------------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z_/.][A-Za-z0-9 _./:@=+,()-]*$")
_AMBIGUOUS = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return _scalar_str(str(value))


@lru_cache(maxsize=16384)
def _scalar_str(text: str) -> str:
    if (
        _PLAIN.match(text)
        and not _AMBIGUOUS.match(text)
        and not text.endswith(" ")
        and ": " not in text
        and " #" not in text
    ):
        return text
    if not _AMBIGUOUS.match(text) and "'" not in text and text.isprintable():
        return f"'{text}'"
    if _AMBIGUOUS.match(text):
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)


def _block(text: str, indent: str) -> list[str] | None:
    if "\n" not in text or not text.strip() or text[0] in " \t" or "\r" in text:
        return None
    body = text[:-1] if text.endswith("\n") else text
    if body.endswith("\n") or any(not line.isprintable() for line in body.split("\n")):
        return None
    if any(line.endswith(" ") for line in body.split("\n")):
        return None
    header = "|" if text.endswith("\n") else "|-"
    return [header] + [f"{indent}{line}" if line else "" for line in body.split("\n")]


def _emit(value: Any, indent: str, out: list[str], prefix: str) -> None:
    """Append lines for ``value``; ``prefix`` is what precedes it on its first line."""
    if type(value) is dict and value:
        first = True
        for key in sorted(value):
            child = value[key]
            head = (prefix if first else indent) + _scalar(key) + ":"
            first = False
            _emit_child(child, indent, out, head)
        return
    if type(value) is list and value:
        first = True
        for item in value:
            head = (prefix if first else indent) + "- "
            first = False
            if type(item) is dict and item:
                _emit(item, indent + "  ", out, head)
            elif type(item) is list and item:
                out.append(head.rstrip())
                _emit(item, indent + "  ", out, indent + "  ")
            else:
                out.append(head + _inline(item, indent + "  "))
        return
    out.append(prefix + _inline(value, indent))


def _inline(value: Any, indent: str) -> str:
    if type(value) is dict:
        return "{}"
    if type(value) is list:
        return "[]"
    return _scalar(value)


def _emit_child(child: Any, indent: str, out: list[str], head: str) -> None:
    if type(child) is dict and child:
        out.append(head)
        _emit(child, indent + "  ", out, indent + "  ")
    elif type(child) is list and child:
        out.append(head)
        _emit(child, indent, out, indent)
    elif isinstance(child, str) and "\n" in child:
        block = _block(child, indent + "  ")
        if block is None:
            out.append(f"{head} {_scalar(child)}")
        else:
            out.append(f"{head} {block[0]}")
            out.extend(block[1:])
    else:
        out.append(f"{head} {_inline(child, indent)}")


def to_yaml(value: Any) -> str:
    """Block-style YAML with sorted keys (valid YAML, one stable spelling per value)."""
    out: list[str] = []
    _emit(value, "", out, "")
    return "\n".join(out) + "\n"


def unified_diff(before: Any, after: Any, name: str, context: int = 3) -> str:
    """A unified diff of two objects rendered as YAML (``before`` = live, ``after`` =
    desired); "" when they render the same."""
    a = to_yaml(before).splitlines(keepends=True) if before is not None else []
    b = to_yaml(after).splitlines(keepends=True) if after is not None else []
    return "".join(
        difflib.unified_diff(a, b, fromfile=f"live/{name}", tofile=f"desired/{name}", n=context)
    )
