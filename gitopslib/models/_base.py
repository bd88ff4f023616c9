"""Shared machinery of the models: the base classes, YAML reading with locations, write-back.

Every model in :mod:`gitopslib.models` derives from :class:`GitOpsModel`: Python attributes are
snake_case, YAML keys are Argo CD's camelCase, unknown keys are refused and values are checked
strictly (a ``"true"`` string is not a boolean, as in Argo CD's own decoder). Blocks Argo CD
grows over time (``status``, ``metadata``) derive from :class:`OpenModel` and keep unknown keys.

Top-level kinds derive from :class:`Document`, which reads YAML with ruamel.yaml so that every
error names the file, line, column and YAML path of the offending value, and which writes YAML
back through the tree it was read from, so comments and quoting of untouched values survive.

The machinery lives in sibling modules, one idea each, and is re-exported here for the
models and the rest of the package: :mod:`~gitopslib.models._model` (the base classes),
:mod:`~gitopslib.models._yaml` (reading with locations and bounds, dumping),
:mod:`~gitopslib.models._located_errors` (pydantic errors as located ones, ``FieldProblem``),
:mod:`~gitopslib.models._roundtrip` (write-back through the original tree) and
:mod:`~gitopslib.models._document` (``Document``).

>>> class Thing(GitOpsModel):
...     repo_url: str | None = Field(default=None, alias="repoURL")
>>> Thing.model_validate({"repoURL": "https://x"}).to_dict()
{'repoURL': 'https://x'}
"""

from __future__ import annotations

from pydantic import Field

from gitopslib.models._document import Document
from gitopslib.models._located_errors import FieldProblem
from gitopslib.models._located_errors import convert_pydantic_error as convert_pydantic_error
from gitopslib.models._model import GitOpsModel, OpenModel
from gitopslib.models._yaml import (
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENT_DEPTH,
    MAX_DOCUMENT_NODES,
    MAX_DOCUMENT_TEXT,
    MAX_STREAM_BYTES,
    yaml_path,
)
from gitopslib.models._yaml import _parse_documents as _parse_documents
from gitopslib.models._yaml import _read_text as _read_text
from gitopslib.models._yaml import dump_yaml as dump_yaml

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_DOCUMENT_DEPTH",
    "MAX_DOCUMENT_NODES",
    "MAX_DOCUMENT_TEXT",
    "MAX_STREAM_BYTES",
    "Document",
    "Field",
    "FieldProblem",
    "GitOpsModel",
    "OpenModel",
    "yaml_path",
]
