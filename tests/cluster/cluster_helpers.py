"""Values and small classes the cluster tests import (conftest.py only holds fixtures, so a
test module never imports a ``conftest`` that another folder's may shadow)."""

from __future__ import annotations

#: The bearer token the kubeconfig of the ``kubeconfig`` fixture carries.
TOKEN = "s3cr3t-token-value"


class Sleeps(list[float]):
    """A ``sleep`` that records the waits asked for and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
