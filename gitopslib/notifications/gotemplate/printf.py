"""Go's ``fmt.Sprintf`` for templates' ``printf``: the verbs, flags, widths and precisions
templates use, with Go's ``%!verb(MISSING)`` and ``%!(EXTRA ...)`` markers.

>>> go_sprintf("%s has %d items (%.1f%%) %v %q", "a", 3, 12.345, [1, "x"], "q")
'a has 3 items (12.3%) [1 x] "q"'
"""

from __future__ import annotations

import json
import re
from typing import Any

from gitopslib.notifications.gotemplate.execute import printable
from gitopslib.notifications.gotime import go_sprint

__all__ = ["go_sprintf", "type_name"]

_VERB = re.compile(r"%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d+)?)?([a-zA-Z%])")


def go_sprintf(fmt: str, *args: Any) -> str:
    """``fmt.Sprintf`` for the verbs templates use: ``%v %s %q %d %f %e %g %x %X %t %c %T %%``."""
    out: list[str] = []
    pos = 0
    argi = 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        flags, width, precision, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[argi]
        argi += 1
        out.append(_format_one(arg, flags, width, precision, verb))
    out.append(fmt[pos:])
    if argi < len(args):
        extra = ", ".join(f"{type_name(a)}={printable(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    return "interface {}"


def _format_one(arg: Any, flags: str, width: str | None, precision: str | None, verb: str) -> str:
    prec = int(precision) if precision and precision.isdigit() else None
    text: str
    numeric = isinstance(arg, int | float) and not isinstance(arg, bool)
    if verb in ("v", "s"):
        text = printable(arg)
        if verb == "s" and prec is not None:
            text = text[:prec]
        if verb == "v" and isinstance(arg, float) and prec is not None:
            text = f"{arg:.{prec}g}"
    elif verb == "q":
        text = json.dumps(printable(arg), ensure_ascii=False) if not numeric else repr(chr(arg))
    elif verb == "d" and numeric and isinstance(arg, int):
        text = str(arg)
        if "+" in flags and arg >= 0:
            text = "+" + text
    elif verb in "feEgG" and numeric:
        p = 6 if prec is None and verb in "feE" else prec
        spec = f".{p}{verb}" if p is not None else verb
        text = format(float(arg), spec)
        if verb in "gG" and prec is None:
            text = go_sprint(float(arg))
        if "+" in flags and arg >= 0:
            text = "+" + text
    elif verb in "xX" and (isinstance(arg, int | str)) and not isinstance(arg, bool):
        text = (
            format(arg, verb)
            if isinstance(arg, int)
            else arg.encode().hex()
            if verb == "x"
            else arg.encode().hex().upper()
        )
    elif verb == "o" and isinstance(arg, int):
        text = format(arg, "o")
    elif verb == "b" and isinstance(arg, int):
        text = format(arg, "b")
    elif verb == "t" and isinstance(arg, bool):
        text = "true" if arg else "false"
    elif verb == "c" and isinstance(arg, int):
        text = chr(arg)
    elif verb == "T":
        text = type_name(arg)
    else:
        return f"%!{verb}({type_name(arg)}={printable(arg)})"
    if width and width.isdigit() and len(text) < int(width):
        pad = int(width) - len(text)
        if "-" in flags:
            text += " " * pad
        elif "0" in flags and numeric:
            sign = text[0] if text[:1] in "+-" else ""
            text = sign + "0" * pad + text[len(sign) :]
        else:
            text = " " * pad + text
    return text
