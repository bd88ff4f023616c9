"""Document: the base of top-level Argo CD kinds, read from and written back to YAML.

Reading goes through :mod:`gitopslib.models._yaml` (located errors), validation errors through
:mod:`gitopslib.models._located_errors`, and writing back through the tree a document was read
from (:mod:`gitopslib.models._roundtrip`), so comments and quoting of untouched values survive.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import pydantic
from pydantic import BaseModel, Field, PrivateAttr

from gitopslib.errors import ValidationError
from gitopslib.giturl import mask_credentials
from gitopslib.models._located_errors import _yaml_type, convert_pydantic_error
from gitopslib.models._model import GitOpsModel
from gitopslib.models._roundtrip import _copy, _merge, _plain_floats, _same
from gitopslib.models._yaml import (
    MAX_STREAM_BYTES,
    _Locations,
    _parse_documents,
    _ParsedDoc,
    _read_text,
    dump_yaml,
)

__all__ = ["Document"]


class Document(GitOpsModel):
    """A top-level Argo CD object (``apiVersion`` + ``kind``) read from and written to YAML.

    Subclasses set ``API_VERSION`` and ``KIND``. ``from_yaml`` builds ``cls`` (so subclasses
    that add behaviour get instances of themselves).
    """

    API_VERSION: ClassVar[str] = "argoproj.io/v1alpha1"
    KIND: ClassVar[str] = ""

    api_version: str = Field(default="argoproj.io/v1alpha1", alias="apiVersion")
    kind: str = ""

    _source: _ParsedDoc | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any, /) -> None:
        if "kind" not in self.model_fields_set:
            object.__setattr__(self, "kind", self.KIND)
        if "api_version" not in self.model_fields_set:
            object.__setattr__(self, "api_version", self.API_VERSION)

    def __eq__(self, other: object) -> bool:
        # Equal when the data is equal: where a document was read from does not count.
        if not isinstance(other, BaseModel):
            return NotImplemented
        return (
            type(self) is type(other)
            and self.__dict__ == other.__dict__
            and self.__pydantic_extra__ == other.__pydantic_extra__
        )

    __hash__ = None  # type: ignore[assignment]

    # reading

    @classmethod
    def _check_type(cls, doc: _ParsedDoc, index: int | None = None) -> None:
        data = doc.data
        where = f"document {index + 1}" if index is not None else "the document"
        if not isinstance(data, dict):
            raise ValidationError(
                f"{where} is a {_yaml_type(data)}, expected a mapping ({cls.KIND})",
                file=doc.file,
                line=doc.locations.of(())[0],
            )
        for key, expected in (("apiVersion", cls.API_VERSION), ("kind", cls.KIND)):
            value = data.get(key)
            if value == expected:
                continue
            line, column = doc.locations.of((key,))
            got = "missing" if key not in data else mask_credentials(repr(value))
            raise ValidationError(
                f"{key} is {got}, expected {expected!r}",
                file=doc.file,
                line=line if key in data else 1 if line is None else line,
                column=column,
                field=key,
            )

    @classmethod
    def _from_parsed(cls, doc: _ParsedDoc) -> Self:
        cls._check_type(doc)
        try:
            obj = cls.model_validate(
                doc.data, by_alias=True, by_name=False, context={"document": True}
            )
        except pydantic.ValidationError as exc:
            raise convert_pydantic_error(cls, exc, doc.data, doc.locations, doc.file) from None
        # The model may share free-form dicts with doc.data; keep a private copy to compare
        # against when writing back.
        doc.data = _copy(doc.data)
        obj._source = doc
        return obj

    @classmethod
    def from_yaml(cls, text_or_path: str | os.PathLike[str]) -> Self:
        """Read one document from YAML text or a file path.

        Raises :class:`~gitopslib.errors.ValidationError` naming the file, line, column and
        field of the first problem (unknown field, wrong type, malformed YAML, ...).
        """
        text, file = _read_text(text_or_path)
        docs = _parse_documents(text, file)
        if len(docs) != 1:
            raise ValidationError(
                f"expected exactly one YAML document, found {len(docs)}"
                + ("; use load_all() for a stream" if docs else ""),
                file=file,
            )
        return cls._from_parsed(docs[0])

    @classmethod
    def load_all(cls, text_or_path: str | os.PathLike[str]) -> list[Self]:
        """Read every document of a multi-document YAML stream (empty documents skipped).

        Every document must be of this kind.
        """
        text, file = _read_text(text_or_path, MAX_STREAM_BYTES)
        return [cls._from_parsed(doc) for doc in _parse_documents(text, file)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> Self:
        """Build from already-parsed data (no line numbers in errors)."""
        doc = _ParsedDoc(None, _copy(dict(data)), _Locations(), file)
        return cls._from_parsed(doc)

    # writing

    def to_dict(self) -> dict[str, Any]:
        """Plain data with YAML names: ``apiVersion`` and ``kind`` first, then every field that
        was set, and nothing else."""
        body = super().to_dict()
        out: dict[str, Any] = {"apiVersion": self.api_version, "kind": self.kind}
        for key, value in body.items():
            if key not in out:
                out[key] = value
        return out

    def to_yaml(self) -> str:
        """YAML text of :meth:`to_dict`. A document read by ``from_yaml`` is written back
        through its own tree: comments, key order and quotes of unchanged values survive."""
        data = self.to_dict()
        source = self._source
        if source is not None and source.tree is not None:
            # The tree is edited in place (a copy would lose anchors and merge keys) and
            # then stands for the data just written.
            if not _same(source.data, data):
                source.tree = _merge(source.tree, source.data, data)
                source.data = _copy(data)
            _plain_floats(source.tree)
            return dump_yaml(source.tree)
        return dump_yaml(data)
