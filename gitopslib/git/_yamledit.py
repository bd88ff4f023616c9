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
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

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


def _render_scalar(value: Any, style: str | None) -> str | None:
    """The YAML text of a scalar ``value`` (keeping a quote style), or None if not a scalar."""
    if isinstance(value, dict | list | tuple | set):
        return None
    if style == "'" and isinstance(value, str) and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    if style == '"' and isinstance(value, str):
        import json

        return json.dumps(value, ensure_ascii=False)
    yaml = YAML(typ="rt")
    yaml.width = 1 << 30
    out = io.StringIO()
    yaml.dump({"k": value}, out)
    text = out.getvalue()
    if not text.startswith("k: ") or text.count("\n") != 1:
        return None
    return text[3:-1]


def _value_node(root: Node | None, keys: list[str]) -> ScalarNode | None:
    node = root
    for key in keys:
        if not isinstance(node, MappingNode):
            return None
        found = None
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                found = v
        node = found
    if not isinstance(node, ScalarNode):
        return None
    tag = getattr(node.tag, "value", node.tag)
    return None if tag == "tag:yaml.org,2002:null" else node


def _splice(text: str, keys: list[str], value: Any) -> str | None:
    """Replace an existing single-line scalar in place: the smallest possible diff."""
    yaml = YAML(typ="rt")
    try:
        node = _value_node(yaml.compose(text), keys)
    except YAMLError:
        return None
    if node is None or node.start_mark is None or node.end_mark is None:
        return None
    start, end = node.start_mark.index, node.end_mark.index
    if "\n" in text[start:end] or node.style in ("|", ">"):
        return None
    rendered = _render_scalar(value, node.style)
    if rendered is None:
        return None
    return text[:start] + rendered + text[end:]


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
    if "\t" not in text:
        spliced = _splice(text, keys, value)
        if spliced is not None:
            return spliced
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
