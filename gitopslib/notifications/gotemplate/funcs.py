"""The functions a notification template can call: Go's built-ins (``eq``, ``printf``,
``index``, ``len``, ``js``, ...) and the Sprig functions (``default``, ``upper``, ``toJson``,
``trunc``, ``date``, ...) that the notifications engine adds, without ``env``/``expandenv``
(which the engine removes too) and without the ones that touch the network or randomness.
``printf`` is :func:`~gitopslib.notifications.gotemplate.printf.go_sprintf`.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import html as _html
import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from gitopslib.notifications.gotemplate.execute import MISSING, printable, truth
from gitopslib.notifications.gotemplate.printf import go_sprintf, type_name
from gitopslib.notifications.gotime import Duration, GoTime

__all__ = ["FUNCS", "go_sprintf"]


def _kind(value: Any) -> str:
    if value is None or value is MISSING:
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "other"


def _eq(arg1: Any, *others: Any) -> bool:
    if not others:
        raise ValueError("missing argument for comparison")
    k1 = _kind(arg1)
    for arg in others:
        k2 = _kind(arg)
        if k1 != k2:
            if k1 != "invalid" and k2 != "invalid":
                raise ValueError("incompatible types for comparison")
            continue
        if k1 == "other" and (
            not isinstance(arg1, str | int | float | GoTime) or not isinstance(arg, type(arg1))
        ):
            raise ValueError(f"non-comparable types {printable(arg1)}, {printable(arg)}")
        if k1 == "invalid" or arg1 == arg:
            return True
    return False


def _ne(a: Any, b: Any) -> bool:
    return not _eq(a, b)


def _ordered(a: Any, b: Any) -> tuple[Any, Any]:
    ka, kb = _kind(a), _kind(b)
    if ka in ("invalid", "other", "bool") or kb in ("invalid", "other", "bool"):
        raise ValueError("invalid type for comparison")
    if ka != kb:
        raise ValueError("incompatible types for comparison")
    return a, b


def _lt(a: Any, b: Any) -> bool:
    x, y = _ordered(a, b)
    return bool(x < y)


def _le(a: Any, b: Any) -> bool:
    x, y = _ordered(a, b)
    return bool(x <= y)


def _gt(a: Any, b: Any) -> bool:
    return not _le(a, b)


def _ge(a: Any, b: Any) -> bool:
    return not _lt(a, b)


def _not(value: Any) -> bool:
    return not truth(value)


def _len(value: Any) -> int:
    if isinstance(value, str | list | tuple | Mapping | bytes):
        return len(value)
    raise ValueError(f"len of type {type(value).__name__ if value is not None else 'nil'}")


def _index(item: Any, *indexes: Any) -> Any:
    for index in indexes:
        if item is None:
            raise ValueError("index of untyped nil")
        if isinstance(item, Mapping):
            item = item.get(index)
        elif isinstance(item, list | tuple | str):
            if not isinstance(index, int) or isinstance(index, bool):
                raise ValueError(f"cannot index slice/array with type {type(index).__name__}")
            if not 0 <= index < len(item):
                raise ValueError(f"index out of range: {index}")
            item = item[index] if not isinstance(item, str) else ord(item[index])
        else:
            raise ValueError(f"can't index item of type {type(item).__name__}")
    return item


def _slice(item: Any, *indexes: int) -> Any:
    if not isinstance(item, str | list | tuple):
        raise ValueError(f"can't slice item of type {type(item).__name__}")
    if len(indexes) > 2:
        raise ValueError("too many slice indexes")
    start = indexes[0] if indexes else 0
    end = indexes[1] if len(indexes) > 1 else len(item)
    if not 0 <= start <= end <= len(item):
        raise ValueError(f"slice index out of range: {start}:{end}")
    return item[start:end]


def _print(*args: Any) -> str:
    # fmt.Sprint: a space between operands when neither is a string
    out = ""
    for i, arg in enumerate(args):
        if i and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out += " "
        out += printable(arg)
    return out


def _println(*args: Any) -> str:
    return " ".join(printable(a) for a in args) + "\n"


_JS_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "=": "\\u003D",
}


def _js(*args: Any) -> str:
    text = _print(*args) if len(args) != 1 or not isinstance(args[0], str) else args[0]
    out: list[str] = []
    for ch in text:
        if ch in _JS_ESCAPES:
            out.append(_JS_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def _html_escape(*args: Any) -> str:
    text = _print(*args)
    return _html.escape(text, quote=True).replace("&#x27;", "&#39;").replace("&quot;", "&#34;")


def _urlquery(*args: Any) -> str:
    return urllib.parse.quote_plus(_print(*args))


# --- Sprig (the subset worth having; names and argument order as in Sprig) -----------------


def _s(value: Any) -> str:
    """Sprig's string parameters: Go refuses nil/no value for a string argument."""
    if isinstance(value, str):
        return value
    if value is None or value is MISSING:
        raise ValueError("invalid value; expected string")
    raise ValueError(f"wrong type for value; expected string; got {type_name(value)}")


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or value is MISSING:
        return "<nil>"
    return printable(value)


def _empty(value: Any) -> bool:
    return not truth(value)


def _default(default: Any, *given: Any) -> Any:
    if not given or _empty(given[0]):
        return default
    return given[0]


def _coalesce(*values: Any) -> Any:
    for value in values:
        if not _empty(value):
            return value
    return None


def _ternary(yes: Any, no: Any, cond: Any) -> Any:
    return yes if cond is True else no


def _trunc(length: int, text: Any) -> str:
    s = _s(text)
    if length < 0:
        return s[max(len(s) + length, 0) :]
    return s[:length]


def _abbrev(width: int, text: Any) -> str:
    s = _s(text)
    if width < 4 or len(s) <= width:
        return s
    return s[: width - 3] + "..."


def _substr(start: int, end: int, text: Any) -> str:
    s = _s(text)
    if start < 0:
        return s[:end]
    if end < 0 or end > len(s):
        return s[start:]
    return s[start:end]


def _indent(spaces: int, text: Any) -> str:
    pad = " " * spaces
    return pad + _s(text).replace("\n", "\n" + pad)


def _to_json(value: Any, *, pretty: bool = False, raw: bool = False) -> str:
    def default(obj: Any) -> Any:
        if obj is MISSING:
            return None
        if isinstance(obj, GoTime):
            return obj.Format("2006-01-02T15:04:05.999999999Z07:00")
        return str(obj)

    text = json.dumps(
        value, default=default, ensure_ascii=False, indent=2 if pretty else None,
        separators=None if pretty else (",", ":"),
    )  # fmt: skip
    if not raw:
        # encoding/json escapes HTML characters unless told otherwise
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text


def _from_json(text: Any) -> Any:
    try:
        return json.loads(_s(text))
    except json.JSONDecodeError:
        return {}


def _list(*items: Any) -> list[Any]:
    return list(items)


def _dict(*pairs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(0, len(pairs), 2):
        out[_to_string(pairs[i])] = pairs[i + 1] if i + 1 < len(pairs) else ""
    return out


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    raise ValueError(f"cannot find first on type {type(value).__name__}")


def _date(fmt: str, when: Any) -> str:
    return _to_time(when).Format(fmt)


def _to_time(value: Any) -> GoTime:
    if isinstance(value, GoTime):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return GoTime(_dt.datetime.fromtimestamp(value, _dt.UTC))
    if isinstance(value, str):
        return GoTime.parse(value)
    return GoTime.now()


def _to_date(layout: str, value: Any) -> GoTime:
    return GoTime.parse(_s(value), layout)


def _ago(value: Any) -> str:
    delta = GoTime.now().Sub(_to_time(value))
    return str(Duration(delta - delta % 1_000_000_000))


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value)) if "." in value else int(value, 0)
        except ValueError:
            return 0
    return 0


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _b64dec(value: Any) -> str:
    try:
        return base64.b64decode(_s(value), validate=True).decode("utf-8", "replace")
    except ValueError as exc:
        return str(exc)


def _title(value: Any) -> str:
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), _s(value))


def _math(op: Callable[[int, int], int]) -> Callable[..., int]:
    def fn(a: Any, b: Any) -> int:
        return op(_int(a), _int(b))

    return fn


def _div(a: Any, b: Any) -> int:
    x, y = _int(a), _int(b)
    if y == 0:
        raise ZeroDivisionError("integer divide by zero")
    q = abs(x) // abs(y)
    return q if (x < 0) == (y < 0) else -q


def _mod(a: Any, b: Any) -> int:
    x, y = _int(a), _int(b)
    if y == 0:
        raise ZeroDivisionError("integer divide by zero")
    return x - y * _div(x, y)


def _plural(one: str, many: str, count: Any) -> str:
    return one if _int(count) == 1 else many


def _has_key(d: Any, key: str) -> bool:
    return isinstance(d, Mapping) and key in d


def _get(d: Any, key: str) -> Any:
    if isinstance(d, Mapping):
        return d.get(key, "")
    return ""


def _keys(*dicts: Any) -> list[str]:
    return [k for d in dicts if isinstance(d, Mapping) for k in d]


def _uniq(items: Any) -> list[Any]:
    out: list[Any] = []
    for item in _as_list(items):
        if item not in out:
            out.append(item)
    return out


def _split(sep: str, text: Any) -> dict[str, str]:
    return {f"_{i}": part for i, part in enumerate(_s(text).split(sep))}


def _join(sep: str, items: Any) -> str:
    if isinstance(items, str):
        return items
    return sep.join(_to_string(i) for i in _as_list(items))


def _regex_replace(pattern: str, text: Any, repl: str) -> str:
    go_repl = re.sub(r"\$\{?(\w+)\}?", r"\\g<\1>", repl.replace("\\", "\\\\"))
    return re.sub(pattern, go_repl, _s(text))


def _slack_user_by_email(email: str) -> str:
    return f"__SLACK_USER_EMAIL__{email}__"


def _slack_channel(name: str) -> str:
    return f"__SLACK_CHANNEL__{name}__"


def _slack_user_group(name: str) -> str:
    return f"__SLACK_USERGROUP__{name}__"


def _kind_of(value: Any) -> str:
    kinds = {"bool": "bool", "int": "int64", "float": "float64", "string": "string"}
    k = _kind(value)
    if k in kinds:
        return kinds[k]
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, list | tuple):
        return "slice"
    return "invalid" if k == "invalid" else "struct"


FUNCS: dict[str, Callable[..., Any]] = {
    # Go's built-ins ("and", "or" and "call" are handled by the executor)
    "and": lambda *a: a[-1],
    "or": lambda *a: a[-1],
    "call": lambda *a: None,
    "not": _not,
    "len": _len,
    "index": _index,
    "slice": _slice,
    "print": _print,
    "printf": lambda fmt, *a: go_sprintf(_s(fmt), *a),
    "println": _println,
    "js": _js,
    "html": _html_escape,
    "urlquery": _urlquery,
    "eq": _eq,
    "ne": _ne,
    "lt": _lt,
    "le": _le,
    "gt": _gt,
    "ge": _ge,
    # Sprig: strings
    "upper": lambda s: _s(s).upper(),
    "lower": lambda s: _s(s).lower(),
    "title": _title,
    "trim": lambda s: _s(s).strip(),
    "trimAll": lambda cut, s: _s(s).strip(cut),
    "trimPrefix": lambda p, s: _s(s).removeprefix(p),
    "trimSuffix": lambda p, s: _s(s).removesuffix(p),
    "trunc": _trunc,
    "abbrev": _abbrev,
    "substr": _substr,
    "replace": lambda old, new, s: _s(s).replace(old, new),
    "repeat": lambda n, s: _s(s) * max(int(n), 0),
    "contains": lambda sub, s: sub in _s(s),
    "hasPrefix": lambda p, s: _s(s).startswith(p),
    "hasSuffix": lambda p, s: _s(s).endswith(p),
    "quote": lambda *a: " ".join(
        json.dumps(_to_string(x), ensure_ascii=False) for x in a if x is not None
    ),
    "squote": lambda *a: " ".join(f"'{_to_string(x)}'" for x in a if x is not None),
    "cat": lambda *a: " ".join(_to_string(x) for x in a if x is not None),
    "indent": _indent,
    "nindent": lambda n, s: "\n" + _indent(n, s),
    "nospace": lambda s: re.sub(r"\s", "", _s(s)),
    "plural": _plural,
    "split": _split,
    "splitList": lambda sep, s: _s(s).split(sep),
    "join": _join,
    "toString": _to_string,
    "toStrings": lambda items: [_to_string(i) for i in _as_list(items)],
    "regexMatch": lambda p, s: re.search(p, _s(s)) is not None,
    "regexFind": lambda p, s: m.group() if (m := re.search(p, _s(s))) else "",
    "regexFindAll": lambda p, s, n: [m.group() for m in re.finditer(p, _s(s))][
        : (None if n < 0 else n)
    ],
    "regexReplaceAll": _regex_replace,
    "regexReplaceAllLiteral": lambda p, s, r: re.sub(p, lambda _m: r, _s(s)),
    "regexSplit": lambda p, s, n: re.split(p, _s(s), maxsplit=0 if n < 0 else max(n - 1, 0)),
    "b64enc": lambda s: base64.b64encode(_s(s).encode()).decode(),
    "b64dec": _b64dec,
    "sha1sum": lambda s: hashlib.sha1(_s(s).encode(), usedforsecurity=False).hexdigest(),
    "sha256sum": lambda s: hashlib.sha256(_s(s).encode()).hexdigest(),
    # defaults, JSON, types
    "default": _default,
    "empty": _empty,
    "coalesce": _coalesce,
    "ternary": _ternary,
    "toJson": _to_json,
    "toPrettyJson": lambda v: _to_json(v, pretty=True),
    "toRawJson": lambda v: _to_json(v, raw=True),
    "fromJson": _from_json,
    "kindOf": _kind_of,
    "kindIs": lambda k, v: _kind_of(v) == k,
    "deepEqual": lambda a, b: a == b,
    # lists and dicts
    "list": _list,
    "tuple": _list,
    "dict": _dict,
    "get": _get,
    "hasKey": _has_key,
    "keys": _keys,
    "first": lambda items: (_as_list(items) or [None])[0],
    "last": lambda items: (_as_list(items) or [None])[-1],
    "rest": lambda items: _as_list(items)[1:],
    "initial": lambda items: _as_list(items)[:-1],
    "append": lambda items, v: [*_as_list(items), v],
    "prepend": lambda items, v: [v, *_as_list(items)],
    "has": lambda v, items: v in _as_list(items),
    "uniq": _uniq,
    "without": lambda items, *drop: [i for i in _as_list(items) if i not in drop],
    "compact": lambda items: [i for i in _as_list(items) if truth(i)],
    "until": lambda n: list(range(int(n))),
    # numbers
    "add": lambda *a: sum(_int(x) for x in a),
    "add1": lambda a: _int(a) + 1,
    "sub": _math(lambda a, b: a - b),
    "mul": lambda *a: __import__("math").prod(_int(x) for x in a),
    "div": _div,
    "mod": _mod,
    "max": lambda *a: max(_int(x) for x in a),
    "min": lambda *a: min(_int(x) for x in a),
    "int": _int,
    "int64": _int,
    "float64": _float,
    "atoi": _int,
    # dates
    "now": GoTime.now,
    "date": _date,
    "dateInZone": lambda fmt, when, zone: _to_time(when).UTC().Format(fmt),
    "toDate": _to_date,
    "unixEpoch": lambda t: str(_to_time(t).Unix()),
    "ago": _ago,
    # the notifications engine's own
    "slackUserByEmail": _slack_user_by_email,
    "slackChannel": _slack_channel,
    "slackUserGroup": _slack_user_group,
}
