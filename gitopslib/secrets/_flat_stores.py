"""The JSON, binary, dotenv and INI stores: load into the neutral tree, write plain output.

Metadata in dotenv and INI files is flattened (``sops_age__list_0__map_enc``); it is unflattened
here as SOPS does, with ``\\n`` escapes turned back into newlines.
"""

from __future__ import annotations

import json
import re

from gitopslib.secrets._tree import Comment, Leaf, MapNode, Node, SeqNode, to_python
from gitopslib.secrets._values import Scalar
from gitopslib.secrets._yaml_store import StoreError

_MAP = "__map_"
_LIST = "__list_"


# --- JSON and binary -------------------------------------------------------------------------


def _from_json(value: object) -> Node | None:
    if isinstance(value, MapNode):
        return value
    if isinstance(value, list):
        return SeqNode([_from_json(v) for v in value])  # type: ignore[misc]
    if value is None:
        return Leaf(None)
    return Leaf(value)  # type: ignore[arg-type]


def _pairs(pairs: list[tuple[str, object]]) -> MapNode:
    return MapNode([(k, _from_json(v)) for k, v in pairs])


def _json_metadata(node: Node | None) -> object:
    if isinstance(node, MapNode):
        return {k: _json_metadata(v) for k, v in node.items if isinstance(k, str)}
    if isinstance(node, SeqNode):
        return [_json_metadata(v) for v in node.items if not isinstance(v, Comment)]
    return None if node is None else node.raw


def load_json(text: str) -> tuple[MapNode, dict[str, object] | None]:
    """The tree (without ``sops``) and the metadata of a JSON document."""
    try:
        root = json.loads(text, object_pairs_hook=_pairs)
    except (json.JSONDecodeError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        raise StoreError(f"not valid JSON (line {line})" if line else "not valid JSON") from None
    if not isinstance(root, MapNode):
        raise StoreError("the JSON document is not an object")
    metadata = None
    kept = []
    for key, value in root.items:
        if key == "sops":
            meta = _json_metadata(value)
            if not isinstance(meta, dict):
                raise StoreError("the 'sops' key is not an object")
            metadata = meta
        else:
            kept.append((key, value))
    root.items = kept
    return root, metadata


def emit_json(root: MapNode) -> bytes:
    """Plain JSON as SOPS writes it: tab indentation and a final newline."""
    return (json.dumps(to_python(root), indent="\t", ensure_ascii=False) + "\n").encode()


def emit_binary(root: MapNode) -> bytes:
    """The plain bytes of a binary-store file (its one ``data`` value)."""
    for key, value in root.items:
        if key == "data" and isinstance(value, Leaf):
            plain = value.value
            if isinstance(plain, bytes):
                return plain
            if isinstance(plain, str):
                return plain.encode("utf-8", "surrogateescape")
    raise StoreError("a binary-store file needs one text 'data' value")


def looks_binary(root: MapNode) -> bool:
    """True for SOPS' binary store: an object whose only key besides ``sops`` is ``data``."""
    keys = [k for k, _ in root.items if isinstance(k, str)]
    return keys == ["data"] and isinstance(root.items[0][1], Leaf)


# --- flattened metadata ----------------------------------------------------------------------


def _tokens(path: str) -> list[str | int]:
    parts = re.split(f"({_MAP}|{_LIST})", path)
    tokens: list[str | int] = [parts[0]]
    for sep, name in zip(parts[1::2], parts[2::2], strict=True):
        if sep == _LIST:
            try:
                tokens.append(int(name))
            except ValueError:
                raise StoreError(f"metadata key {path!r} has a bad list index") from None
        else:
            tokens.append(name)
    return tokens


def unflatten(flat: dict[str, str]) -> dict[str, object]:
    """SOPS' flattened metadata keys back into nested data (``\\n`` escapes decoded)."""
    root: dict[str, object] = {}
    for key, raw in flat.items():
        value: object = raw.replace("\\n", "\n")
        tokens = _tokens(key)
        node: object = root
        for token, following in zip(tokens, [*tokens[1:], None], strict=True):
            if following is None:
                _set(node, token, value)
                break
            child = _get(node, token)
            if child is None:
                child = [] if isinstance(following, int) else {}
                _set(node, token, child)
            node = child
    for name in ("mac_only_encrypted",):
        if name in root:
            root[name] = root[name] == "true"
    return root


def _get(node: object, token: str | int) -> object:
    if isinstance(node, dict) and isinstance(token, str):
        return node.get(token)
    if isinstance(node, list) and isinstance(token, int):
        return node[token] if token < len(node) else None
    raise StoreError("metadata keys mix lists and mappings")


def _set(node: object, token: str | int, value: object) -> None:
    if isinstance(node, dict) and isinstance(token, str):
        node[token] = value
    elif isinstance(node, list) and isinstance(token, int):
        while len(node) <= token:
            node.append(None)
        node[token] = value
    else:
        raise StoreError("metadata keys mix lists and mappings")


# --- dotenv ----------------------------------------------------------------------------------


def load_dotenv(text: str) -> tuple[MapNode, dict[str, object] | None]:
    """``KEY=VALUE`` lines and ``#`` comments; ``sops_*`` keys are the metadata."""
    root = MapNode()
    flat: dict[str, str] = {}
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line.startswith("#"):
            root.items.append((Comment(line[1:]), None))
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise StoreError(f"line {number} is not KEY=VALUE")
        if key.startswith("sops_"):
            flat[key[len("sops_") :]] = value
        else:
            root.items.append((key, Leaf(value.replace("\\n", "\n"))))
    return root, (unflatten(flat) if flat else None)


def _text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, float):
        from gitopslib.secrets._values import go_float

        return go_float(value)
    return "" if value is None else str(value)


def emit_dotenv(root: MapNode) -> bytes:
    """Plain dotenv: one ``KEY=VALUE`` per line, newlines in values written as ``\\n``."""
    lines = []
    for key, value in root.items:
        if isinstance(key, Comment):
            lines.append(f"#{key.value}\n")
        elif isinstance(value, Leaf):
            lines.append(f"{key}={_text(value.value).replace(chr(10), chr(92) + 'n')}\n")
    return "".join(lines).encode("utf-8", "surrogateescape")


# --- INI -------------------------------------------------------------------------------------


def load_ini(text: str) -> tuple[MapNode, dict[str, object] | None]:
    """Sections of ``key = value`` lines; the ``[sops]`` section is the metadata."""
    root = MapNode()
    sections: dict[str, MapNode] = {}
    current = MapNode()
    sections["DEFAULT"] = current
    root.items.append(("DEFAULT", current))
    pending: list[Comment] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line[0] in "#;":
            pending.append(Comment(line.lstrip("#; ")))
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise StoreError(f"line {number} is not a valid section header")
            name = line[1:-1].strip()
            current = sections.setdefault(name, MapNode())
            if all(k != name for k, _ in root.items):
                root.items.append((name, current))
            current.items.extend((c, None) for c in pending)
            pending = []
            continue
        match = re.match(r"([^=:]+?)\s*[=:]\s*(.*)$", line)
        if match is None:
            raise StoreError(f"line {number} is not key = value")
        value = match.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
            value = value[1:-1]
        current.items.append((match.group(1), Leaf(value)))
        current.items.extend((c, None) for c in pending)
        pending = []
    metadata = None
    for index, (section, node) in enumerate(root.items):
        if section == "sops" and isinstance(node, MapNode):
            flat = {
                k: str(v.raw) for k, v in node.items if isinstance(k, str) and isinstance(v, Leaf)
            }
            metadata = unflatten(flat)
            del root.items[index]
            break
    return root, metadata


def emit_ini(root: MapNode) -> bytes:
    """Plain INI: ``[section]`` headers and ``key = value`` lines."""
    blocks = []
    for name, node in root.items:
        if not isinstance(node, MapNode) or isinstance(name, Comment):
            continue
        lines = [] if name == "DEFAULT" else [f"[{name}]"]
        for key, value in node.items:
            if isinstance(key, Comment):
                lines.append(f"; {key.value}")
            elif isinstance(value, Leaf):
                lines.append(f"{key} = {_text(value.value)}")
        if name == "DEFAULT" and not lines:
            continue
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks).encode("utf-8", "surrogateescape")
