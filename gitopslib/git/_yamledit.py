"""Edit one value in a YAML document without losing comments or formatting.

The in-process equivalent of ``yq w --inplace values.yaml image.tag v2``: ruamel.yaml's
round-trip mode keeps comments, key order, quoting and block style of everything it does not
touch.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from gitopslib.errors import ValidationError

__all__ = ["set_yaml_value"]


def _split(path: str) -> list[str]:
    parts: list[str] = []
    buf = ""
    escaped = False
    for ch in path:
        if escaped:
            buf += ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ".":
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    if any(p == "" for p in parts):
        raise ValidationError(f"invalid key path {path!r}: empty segment", field=path)
    return parts


def set_yaml_value(text: str, path: str, value: Any, *, file: str | None = None) -> str:
    """``text`` with the value at dotted ``path`` set to ``value`` (comments kept).

    Missing intermediate mappings are created. A segment that meets a non-mapping raises
    :class:`~gitopslib.errors.ValidationError` naming the path. Escape a literal dot with a
    backslash (``metadata.annotations.example\\.com/x``).

    >>> print(set_yaml_value("image:\\n  tag: v1  # pinned\\n", "image.tag", "v2"), end="")
    image:
      tag: v2  # pinned
    """
    keys = _split(path)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    try:
        doc = yaml.load(text) if text.strip() else None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ValidationError(
            f"cannot parse YAML: {getattr(exc, 'problem', None) or exc}",
            file=file,
            line=mark.line + 1 if mark is not None else None,
            field=path,
        ) from None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, dict):
        raise ValidationError(
            f"cannot set {path!r}: the document is a {type(doc).__name__}, not a mapping",
            file=file,
            field=path,
        )
    node: Any = doc
    for i, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = CommentedMap()
            node[key] = child
        elif not isinstance(child, dict):
            where = ".".join(keys[: i + 1])
            raise ValidationError(
                f"cannot set {path!r}: {where!r} is a {type(child).__name__}, not a mapping",
                file=file,
                field=path,
            )
        node = child
    node[keys[-1]] = value
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()
