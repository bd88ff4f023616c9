"""Health status codes and the result type every health check returns.

The six codes and their order come from Argo CD (gitops-engine ``pkg/health``): from best to
worst ``Healthy < Suspended < Progressing < Missing < Degraded < Unknown``. The members of
:class:`HealthStatusCode` are declared in that order, so ``list(HealthStatusCode)`` is the
precedence list and :meth:`HealthStatusCode.rank` is the index in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["HealthStatus", "HealthStatusCode", "is_worse", "rank"]


class HealthStatusCode(StrEnum):
    """Argo CD's health codes, declared from best to worst.

    >>> HealthStatusCode("Degraded").is_worse_than(HealthStatusCode.PROGRESSING)
    True
    """

    HEALTHY = "Healthy"
    SUSPENDED = "Suspended"
    PROGRESSING = "Progressing"
    MISSING = "Missing"
    DEGRADED = "Degraded"
    UNKNOWN = "Unknown"

    @property
    def rank(self) -> int:
        """Position in Argo CD's order (0 = Healthy, 5 = Unknown)."""
        return _ORDER[self]

    def is_worse_than(self, other: HealthStatusCode | None) -> bool:
        """Whether this code is strictly worse than ``other`` (None ranks like Healthy)."""
        return self.rank > rank(other)


_ORDER: dict[HealthStatusCode, int] = {code: i for i, code in enumerate(HealthStatusCode)}


def rank(code: HealthStatusCode | str | None) -> int:
    """Rank of ``code`` in Argo CD's order; an empty or unknown code ranks like Healthy.

    >>> rank("Missing"), rank(None), rank("")
    (3, 0, 0)
    """
    if code is None or code == "":
        return 0
    try:
        return _ORDER[HealthStatusCode(code)]
    except ValueError:
        return 0


def is_worse(current: HealthStatusCode | str | None, new: HealthStatusCode | str | None) -> bool:
    """Argo CD's ``IsWorse``: whether ``new`` is strictly worse than ``current``.

    >>> is_worse("Healthy", "Suspended")
    True
    """
    return rank(new) > rank(current)


@dataclass(frozen=True, slots=True)
class HealthStatus:
    """The health of one object: a code and a human message.

    ``status`` is ``None`` only for the *empty* result a Lua script produces by returning
    ``nil`` or ``{}``: Argo CD keeps such a result (it still suppresses the built-in check)
    but it carries no code.

    >>> HealthStatus(HealthStatusCode.HEALTHY)
    HealthStatus(status=<HealthStatusCode.HEALTHY: 'Healthy'>, message='')
    """

    status: HealthStatusCode | None
    message: str = ""

    def __post_init__(self) -> None:
        if self.status is not None and not isinstance(self.status, HealthStatusCode):
            object.__setattr__(self, "status", HealthStatusCode(self.status))

    @property
    def is_empty(self) -> bool:
        """True for the empty result of a Lua script (no status at all)."""
        return self.status is None

    def to_dict(self) -> dict[str, str]:
        """Argo CD's JSON form: ``status`` and ``message``, empty fields left out."""
        out: dict[str, str] = {}
        if self.status is not None:
            out["status"] = str(self.status)
        if self.message:
            out["message"] = self.message
        return out
