"""Pydantic's validation errors turned into located ones: file, line, column and YAML path.

:func:`convert_pydantic_error` gives one :class:`~gitopslib.errors.ValidationError` per
pydantic error, worded for YAML authors (``unknown field 'repoUrl'; did you mean 'repoURL'?``)
and placed with the locations the YAML reader recorded. Model validators raise
:class:`FieldProblem` to point at a field below the model they validate.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic
from pydantic import BaseModel

from gitopslib.errors import ValidationError
from gitopslib.giturl import mask_credentials
from gitopslib.models._yaml import Path_, _Locations, yaml_path

__all__ = ["FieldProblem", "convert_pydantic_error"]


class FieldProblem(ValueError):
    """Raised by model validators to point at a field below the model being validated.

    ``path`` is relative to that model, in YAML names (``("sources", 0)``).
    """

    def __init__(self, message: str, *path: str | int) -> None:
        super().__init__(message)
        self.message = message
        self.path: Path_ = tuple(path)


_EXPECTED = {
    "string_type": "a string",
    "bool_type": "a boolean (true or false)",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "model_fields_type": "a mapping",
    "dataclass_type": "a mapping",
}


def _yaml_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _data_path(data: Any, loc: Sequence[Any]) -> Path_:
    """The YAML path of a pydantic error location (drops union/function tags)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        in_map = isinstance(node, dict) and isinstance(part, str) and part in node
        in_seq = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_seq:
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part == loc[-1]:
            out.append(part)  # a missing or unknown key
            node = None
    return tuple(out)


def _unwrap_models(annotation: Any) -> list[type[BaseModel]]:
    """The model classes reachable through Optional / list / dict of an annotation."""
    found: list[type[BaseModel]] = []
    stack = [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            found.append(item)
            continue
        origin = typing.get_origin(item)
        if origin is typing.Annotated:
            stack.append(typing.get_args(item)[0])
        elif origin in (list, dict, typing.Union, types.UnionType) or origin is not None:
            stack.extend(typing.get_args(item))
    return found


def _model_at(root: type[BaseModel], path: Path_) -> type[BaseModel] | None:
    """The model class that validates the mapping found at ``path`` below ``root``."""
    model: type[BaseModel] | None = root
    for part in path:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None
        models = _unwrap_models(field.annotation)
        model = models[0] if models else None
    return model


def _did_you_mean(name: str, allowed: Sequence[str]) -> str | None:
    folded = {a.lower().replace("_", ""): a for a in allowed}
    probe = name.lower().replace("_", "").replace("-", "")
    if probe in folded:
        return folded[probe]
    close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
    if close:
        return close[0]
    close = difflib.get_close_matches(probe, list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


def _one_error(
    model: type[BaseModel],
    error: Mapping[str, Any],
    data: Any,
    locations: _Locations | None,
    file: str | None,
    prefix: Path_,
) -> ValidationError:
    kind = str(error["type"])
    loc = tuple(error["loc"])
    path = _data_path(data, loc)
    key_position = False
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else str(loc[-1])
        owner = _model_at(model, path[:-1])
        allowed = sorted((f.alias or n) for n, f in owner.model_fields.items()) if owner else []
        message = f"unknown field {name!r}"
        guess = _did_you_mean(name, allowed) if allowed else None
        if guess:
            message += f"; did you mean {guess!r}?"
        elif allowed:
            message += f"; allowed here: {', '.join(allowed)}"
        key_position = True
    elif kind == "missing":
        message = f"required field {str(path[-1])!r} is missing"
        path = path[:-1] if path else path
        key_position = True
    elif kind == "value_error" and isinstance(ctx.get("error"), FieldProblem):
        problem: FieldProblem = ctx["error"]
        path = path + problem.path
        message = problem.message
        key_position = True
    elif kind == "literal_error":
        message = f"expected one of {ctx.get('expected')}, got {_short(error.get('input'))}"
    elif kind in _EXPECTED:
        value = error.get("input")
        message = f"expected {_EXPECTED[kind]}, got {_yaml_type(value)} {_short(value)}"
        if kind == "string_type" and isinstance(value, bool | int | float):
            message += " (YAML reads unquoted y/n/yes/no/on/off/true/false and numbers as "
            message += "such; quote the value to make it a string)"
    else:
        message = str(error.get("msg", "invalid value"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
    full = prefix + path
    line = column = None
    if locations is not None:
        line, column = locations.of(full, key=key_position)
    return ValidationError(
        mask_credentials(message),
        file=file,
        line=line,
        column=column,
        field=yaml_path(full) or None,
    )


def convert_pydantic_error(
    model: type[BaseModel],
    exc: pydantic.ValidationError,
    data: Any,
    locations: _Locations | None = None,
    file: str | None = None,
    prefix: Path_ = (),
) -> ValidationError:
    """One located :class:`ValidationError` for a pydantic error (the first problem leads;
    the message lists the others; ``.errors`` holds them all)."""
    errors = [
        _one_error(model, e, data, locations, file, prefix) for e in exc.errors(include_url=False)
    ]
    first = errors[0]
    if len(errors) == 1:
        result = first
    else:
        others = "; ".join(str(e) for e in errors[1:6])
        more = f" (and {len(errors) - 6} more)" if len(errors) > 6 else ""
        result = ValidationError(
            f"{first.reason} [{len(errors) - 1} more problem(s): {others}{more}]",
            file=first.file,
            line=first.line,
            column=first.column,
            field=first.field,
        )
        result.reason = first.reason
    result.errors = errors  # type: ignore[attr-defined]
    return result
