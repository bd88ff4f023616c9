"""The base classes of every model: camelCase YAML keys, strict types, unknown keys refused.

:class:`GitOpsModel` is the closed form (unknown keys are errors); :class:`OpenModel` keeps the
keys it does not know, for blocks Argo CD and Kubernetes grow over time.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from gitopslib.giturl import mask_credentials

__all__ = ["GitOpsModel", "OpenModel"]


class GitOpsModel(BaseModel):
    """Base of every model: camelCase YAML keys, strict types, unknown keys refused.

    ``to_dict()`` gives back exactly the keys that were set (read from YAML or passed to the
    constructor), with their YAML names; defaults that nobody wrote are never dumped.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        strict=True,
        validate_assignment=True,
    )

    def __repr__(self) -> str:
        # A repoURL may carry a token (https://<token>@host/...): never show it.
        return mask_credentials(super().__repr__())

    def __str__(self) -> str:
        return mask_credentials(super().__str__())

    def to_dict(self) -> dict[str, Any]:
        """The model as plain data with YAML key names, only the fields that were set.

        >>> from gitopslib.models import ApplicationDestination
        >>> ApplicationDestination(server="https://kubernetes.default.svc").to_dict()
        {'server': 'https://kubernetes.default.svc'}
        """
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class OpenModel(GitOpsModel):
    """A model that keeps keys it does not know (``status``, ``metadata``): Argo CD and
    Kubernetes add fields there over time, and dropping them would lose data."""

    model_config = ConfigDict(extra="allow")
