"""What was already sent, kept where Argo CD keeps it: the ``notified.notifications.argoproj.io``
annotation on the Application, a JSON object from state key to the Unix time it was sent.

A key is ``[<oncePer value>:]<trigger>:[<i>].<sha1 of when>:<service>:<recipient>``. A condition
that turns false forgets its keys (so it can fire again), except ``oncePer`` ones, which stay
until the history passes 100 entries (oldest dropped first). A failed delivery is not recorded.

>>> s = NotifiedState()
>>> key = state_key("on-deployed", 0, "app.x == 1", "abc", "hook", "")
>>> key
'abc:on-deployed:[0].av11cmm9EBqzOZTp3EvvQnXLr_E:hook:'
>>> s.set(key, True, once_per="abc", now=1), s.set(key, True, once_per="abc", now=2)
(True, False)
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, MutableMapping
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "NOTIFIED_ANNOTATION",
    "NotifiedState",
    "StateStore",
    "state_key",
]

NOTIFIED_ANNOTATION = "notified.notifications.argoproj.io"
MAX_HISTORY = 100


def _hash(text: str) -> str:
    digest = hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def state_key(
    trigger: str, index: int, when: str, once_per: str | None, service: str, recipient: str
) -> str:
    """The engine's key for one condition result and destination."""
    key = f"{trigger}:[{index}].{_hash(when)}:{service}:{recipient}"
    return f"{once_per}:{key}" if once_per else key


class NotifiedState:
    """The annotation's content: state key -> Unix seconds when it was sent."""

    def __init__(self, items: Mapping[str, int] | None = None) -> None:
        self.items: dict[str, int] = dict(items or {})

    @classmethod
    def parse(cls, text: str | None) -> NotifiedState:
        """Read the annotation; anything unreadable is an empty state (the engine's rule)."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls({str(k): int(v) for k, v in data.items() if isinstance(v, int | float)})

    def has(self, key: str) -> bool:
        return key in self.items

    def set(self, key: str, notified: bool, *, once_per: str | None, now: int) -> bool:
        """Record or forget ``key``; True when that changed the state."""
        if (key in self.items) == notified:
            return False
        if notified:
            self.items[key] = now
            return True
        if once_per:
            return False
        del self.items[key]
        return True

    def dump(self) -> str | None:
        """The annotation value (None: remove the annotation), trimmed to 100 entries."""
        if len(self.items) > MAX_HISTORY:
            for key in sorted(self.items, key=lambda k: (self.items[k], k))[
                : len(self.items) - MAX_HISTORY
            ]:
                del self.items[key]
        if not self.items:
            return None
        return json.dumps(self.items, sort_keys=True, separators=(",", ":"))


@runtime_checkable
class StateStore(Protocol):
    """Where the notified state of an app lives besides its annotation (e.g. the operations
    status store). ``load`` returns the annotation's JSON text or None; ``save`` receives
    the new text (None: remove)."""

    def load(self, app: Mapping[str, Any]) -> str | None: ...

    def save(self, app: Mapping[str, Any], value: str | None) -> None: ...


def read_annotation(app: Mapping[str, Any]) -> str | None:
    annotations = (app.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(NOTIFIED_ANNOTATION)
    return value if isinstance(value, str) else None


def write_annotation(target: Any, value: str | None) -> None:
    """Set or remove the annotation on the caller's app (a dict or a model), in place."""
    if isinstance(target, MutableMapping):
        meta = target.setdefault("metadata", {})
        if not isinstance(meta, MutableMapping):
            return
        annotations = meta.get("annotations")
        if annotations is None:
            if value is None:
                return
            annotations = meta["annotations"] = {}
        _apply(annotations, value)
        return
    meta = getattr(target, "metadata", None)
    if meta is None:
        return
    annotations = getattr(meta, "annotations", None)
    if annotations is None:
        if value is None:
            return
        annotations = {}
        meta.annotations = annotations
    _apply(annotations, value)


def _apply(annotations: MutableMapping[str, Any], value: str | None) -> None:
    if value is None:
        annotations.pop(NOTIFIED_ANNOTATION, None)
    else:
        annotations[NOTIFIED_ANNOTATION] = value
