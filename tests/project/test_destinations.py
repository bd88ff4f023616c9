"""destinations (argocd-semantics.md §8.3); expected values worked out from the rules."""

from __future__ import annotations

import pytest

from gitopslib.project import is_destination_permitted

K = "https://kubernetes.default.svc"


@pytest.mark.parametrize(
    ("dests", "server", "name", "namespace", "expected"),
    [
        ([{"server": "*", "namespace": "*"}], K, "", "default", True),
        # `*` matches the empty namespace (cluster-scoped only apps)
        ([{"server": "*", "namespace": "*"}], K, "", "", True),
        ([{"server": K, "namespace": "team-*"}], K, "", "team-a", True),
        ([{"server": K, "namespace": "team-*"}], K, "", "prod", False),
        ([{"server": K, "namespace": "team-*"}], "https://other", "", "team-a", False),
        ([{"name": "in-cluster", "namespace": "*"}], "", "in-cluster", "x", True),
        ([{"name": "in-cluster", "namespace": "*"}], K, "", "x", False),
        # a server pattern never matches an empty server, a name pattern an empty name
        ([{"server": "*", "namespace": "*"}], "", "prod-cluster", "x", False),
        ([{"name": "*", "namespace": "*"}], K, "", "x", False),
        ([], K, "", "default", False),
        (None, K, "", "default", False),
    ],
)
def test_destination_patterns(
    dests: list[dict[str, str]] | None, server: str, name: str, namespace: str, expected: bool
) -> None:
    """(server or name) and namespace must match one entry."""
    assert (
        is_destination_permitted(dests, server=server, name=name, namespace=namespace) is expected
    )


def test_namespace_deny_refuses_when_server_matches() -> None:
    """`!kube-system` with a matching server refuses kube-system even if another entry allows."""
    dests = [{"server": "*", "namespace": "*"}, {"server": "*", "namespace": "!kube-system"}]
    assert not is_destination_permitted(dests, server=K, namespace="kube-system")
    assert is_destination_permitted(dests, server=K, namespace="default")


def test_server_deny_refuses_when_namespace_matches() -> None:
    """`!<server>` refuses that server for namespaces its entry covers."""
    dests = [{"server": "*", "namespace": "*"}, {"server": "!https://prod", "namespace": "*"}]
    assert not is_destination_permitted(dests, server="https://prod", namespace="x")
    assert is_destination_permitted(dests, server="https://dev", namespace="x")


def test_server_deny_ignored_when_namespace_differs() -> None:
    """Precedence quirk: a server deny whose namespace does not match refuses nothing."""
    dests = [{"server": "*", "namespace": "*"}, {"server": "!https://prod", "namespace": "team"}]
    assert is_destination_permitted(dests, server="https://prod", namespace="other")


def test_name_deny_refuses_regardless_of_namespace() -> None:
    """Precedence quirk: a name deny that does not match refuses whatever the namespace."""
    dests = [{"name": "*", "namespace": "*"}, {"name": "!prod", "namespace": "team"}]
    assert not is_destination_permitted(dests, name="prod", namespace="other")
    assert is_destination_permitted(dests, name="dev", namespace="other")


def test_name_deny_also_refuses_a_server_only_destination() -> None:
    """An empty name never matches, so a `!name` entry refuses destinations given by server."""
    dests = [{"server": "*", "namespace": "*"}, {"name": "!prod", "namespace": "*"}]
    assert not is_destination_permitted(dests, server=K, namespace="x")
