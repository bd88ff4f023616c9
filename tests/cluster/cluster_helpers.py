"""Values and small classes the cluster tests import (conftest.py only holds fixtures, so a
test module never imports a ``conftest`` that another folder's may shadow)."""

from __future__ import annotations

import base64
import json
from typing import Any

from gitopslib.models import Application

#: The bearer token the kubeconfig of the ``kubeconfig`` fixture carries.
TOKEN = "s3cr3t-token-value"
#: The service account's token of the ``pod`` fixture (a projected token is a JWT; any
#: opaque string will do here).
SA_TOKEN = "eyJhbGciOi.sa-t0ken-value.sig"


class Sleeps(list[float]):
    """A ``sleep`` that records the waits asked for and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def app(dest: str, name: str = "web") -> Application:
    """An Application of ``name`` whose destination is ``dest`` (YAML flow mapping entries,
    e.g. ``"name: prod"``) in namespace ``shop``."""
    return Application.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        f"metadata: {{name: {name}, namespace: argocd}}\n"
        "spec:\n  source: {repoURL: 'https://example.com/r.git', path: web}\n"
        f"  destination: {{{dest}, namespace: shop}}\n"
    )


def secret(server: str, config: dict[str, Any], name: str = "prod", **extra: str) -> dict[str, Any]:
    """An Argo CD cluster Secret (``data``, base64) called ``cluster-<name>``."""
    data = {"name": name, "server": server, "config": json.dumps(config), **extra}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"cluster-{name}",
            "namespace": "argocd",
            "labels": {"argocd.argoproj.io/secret-type": "cluster"},
        },
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }
