"""``KubernetesCluster.in_cluster``: the pod's service account, over real HTTPS.

The fake API server serves TLS with a certificate made at test time for ``IP:127.0.0.1`` and
answers 401 unless the bearer token is the service account's; ``KUBERNETES_SERVICE_HOST`` and
``KUBERNETES_SERVICE_PORT`` point at it as the kubelet's would point at the cluster's API,
and the token and CA files stand in for the kubelet's mount (the ``tls``, ``https_api`` and
``pod`` fixtures of conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_helpers import SA_TOKEN, Sleeps
from fake_apiserver import FakeApiServer
from tls_certs import TLSFiles, make_tls_files

from gitopslib.cluster import KubernetesCluster
from gitopslib.cluster.connection import default_kubeconfig_exists, running_in_pod
from gitopslib.cluster.kube import RequestPolicy
from gitopslib.errors import ClusterError
from gitopslib.manifest import ResourceKey

CM = ResourceKey("", "ConfigMap", "demo", "cfg")
POLICY = RequestPolicy(request_timeout=5.0, connect_timeout=5.0)


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """Another cluster's CA: it did not sign the fake server's certificate."""
    return make_tls_files(tmp_path_factory.mktemp("other-pki"), "other")


def _configmap(value: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "demo"},
        "data": {"v": value},
    }


def test_in_cluster_lists_applies_and_gets_over_https_as_the_service_account(
    https_api: FakeApiServer, pod: dict[str, Path], tls: TLSFiles
) -> None:
    """Discovery, apply (create, then a patch), get and list all go to the HTTPS URL the
    variables name, verified with the CA file, each with the token file's bearer token."""
    with KubernetesCluster.in_cluster(
        token_file=pod["token"], ca_file=tls.ca, requests=POLICY
    ) as cluster:
        assert repr(cluster) == f"KubernetesCluster('https://127.0.0.1:{https_api.port}')"
        assert cluster.server_version() == "v1.31.0"
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
        assert cluster.apply(_configmap("1")).message == "configmap/cfg created"
        assert cluster.apply(_configmap("2")).message == "configmap/cfg configured"
        live = cluster.get(CM)
        listed = cluster.list_objects("v1", "ConfigMap", namespace="demo")
    assert live is not None and live["data"] == {"v": "2"}
    assert [o["metadata"]["name"] for o in listed] == ["cfg"]
    assert (https_api.get("ConfigMap", "demo", "cfg") or {})["data"] == {"v": "2"}
    methods = {m for m, _, _, _ in https_api.requests}
    assert {"GET", "POST", "PATCH"} <= methods
    schemes = {(a or "").partition(" ")[0].lower() for a in https_api.authorizations}
    credentials = {(a or "").partition(" ")[2] for a in https_api.authorizations}
    assert schemes == {"bearer"} and credentials == {SA_TOKEN}
    assert len(https_api.authorizations) == len(https_api.requests)


def test_a_token_file_ending_in_a_newline_is_sent_without_it(
    https_api: FakeApiServer, pod: dict[str, Path], tls: TLSFiles
) -> None:
    """A token file written by hand (``echo`` adds a newline) still authenticates: the
    newline is not part of the token (an HTTP header cannot carry it)."""
    pod["token"].write_text(SA_TOKEN + "\n")
    with KubernetesCluster.in_cluster(token_file=pod["token"], ca_file=tls.ca) as cluster:
        assert cluster.get(CM) is None
    assert {(a or "").partition(" ")[2] for a in https_api.authorizations} == {SA_TOKEN}


def test_a_token_with_a_line_break_inside_is_an_error_that_does_not_show_it(
    https_api: FakeApiServer, pod: dict[str, Path], tls: TLSFiles
) -> None:
    """A line break inside the token cannot be sent in a header: http.client's own error
    quotes the header (the token); ours says what is wrong and never shows it."""
    broken = "first-half\nsecond-half-of-the-token"
    pod["token"].write_text(broken)
    with pytest.raises(ClusterError) as caught:
        KubernetesCluster.in_cluster(token_file=pod["token"], ca_file=tls.ca)
    exc = caught.value
    assert getattr(exc, "reason", None) == "InvalidCredentials"
    assert "characters HTTP does not allow" in str(exc)
    for shown in (str(exc), repr(exc), repr(exc.args), str(exc.__context__ or "")):
        assert "second-half-of-the-token" not in shown
    assert https_api.requests == []


def test_a_ca_that_did_not_sign_the_server_is_a_tls_error_without_the_token(
    https_api: FakeApiServer, pod: dict[str, Path], other_ca: TLSFiles
) -> None:
    """The client refuses the server's certificate: a ClusterError saying TLS verification
    failed and naming the CA file; the token appears nowhere, and nothing was sent."""
    with pytest.raises(ClusterError) as caught:
        KubernetesCluster.in_cluster(token_file=pod["token"], ca_file=other_ca.ca)
    exc = caught.value
    text = str(exc)
    assert getattr(exc, "reason", None) == "TLSError"
    assert "failed TLS verification: certificate verify failed" in text
    assert str(other_ca.ca) in text
    assert SA_TOKEN not in text and SA_TOKEN not in repr(exc) and SA_TOKEN not in repr(exc.args)
    assert https_api.requests == []


def test_a_server_certificate_that_stops_verifying_fails_at_once_not_after_retries(
    https_api: FakeApiServer, pod: dict[str, Path], tls: TLSFiles, other_ca: TLSFiles
) -> None:
    """An object request (the client's connection pool, not discovery) to a server whose
    certificate the CA no longer verifies is a final TLSError naming the request: a
    certificate does not become valid by trying again, so no retry waits are spent."""
    sleeps = Sleeps()
    with KubernetesCluster.in_cluster(
        token_file=pod["token"], ca_file=tls.ca, requests=POLICY, sleep=sleeps
    ) as cluster:
        assert cluster.get(CM) is None
        https_api.use_certificate(other_ca)  # the server now shows another CA's certificate
        cluster.api_client.rest_client.pool_manager.clear()  # new connections from here on
        with pytest.raises(ClusterError) as caught:
            cluster.get(CM)
    assert str(caught.value).startswith("get ConfigMap demo/cfg: 0 TLSError: the API server at")
    assert SA_TOKEN not in str(caught.value)
    assert sleeps == []


def test_a_token_the_server_refuses_is_a_401_without_the_token(
    https_api: FakeApiServer, pod: dict[str, Path], tls: TLSFiles
) -> None:
    """The TLS connection works but the token is not the service account's: 401, and the
    error does not show the token that was sent."""
    pod["token"].write_text("not-the-right-token")
    with pytest.raises(ClusterError) as caught:
        KubernetesCluster.in_cluster(token_file=pod["token"], ca_file=tls.ca)
    assert getattr(caught.value, "status", None) == 401
    assert "not-the-right-token" not in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("KUBERNETES_SERVICE_HOST", None, "KUBERNETES_SERVICE_HOST is not set"),
        ("KUBERNETES_SERVICE_PORT", None, "KUBERNETES_SERVICE_PORT is not set"),
        ("KUBERNETES_SERVICE_PORT", "", "KUBERNETES_SERVICE_PORT is empty"),
    ],
)
def test_a_missing_service_variable_is_named(
    pod: dict[str, Path],
    tls: TLSFiles,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str | None,
    said: str,
) -> None:
    """Outside a pod (or with a variable cleared) the error names the variable and says
    what in-cluster needs; it never reads out the token."""
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    with pytest.raises(ClusterError) as caught:
        KubernetesCluster.in_cluster(token_file=pod["token"], ca_file=tls.ca)
    text = str(caught.value)
    assert text.startswith("in-cluster config: ") and said in text
    assert "not in a Kubernetes pod" in text
    assert SA_TOKEN not in text


def test_missing_or_empty_files_are_named(pod: dict[str, Path], tmp_path: Path) -> None:
    """A token file that is not there, or a CA file that is empty, is named with its path."""
    missing = tmp_path / "nope" / "token"
    empty_ca = tmp_path / "ca.crt"
    empty_ca.write_text("")
    with pytest.raises(ClusterError) as caught:
        KubernetesCluster.in_cluster(token_file=missing, ca_file=empty_ca)
    assert f"token file {missing} does not exist" in str(caught.value)
    assert f"CA file {empty_ca} is empty" in str(caught.value)
    pod["token"].write_text("")
    with pytest.raises(ClusterError) as caught:
        KubernetesCluster.in_cluster(token_file=pod["token"], ca_file=empty_ca)
    assert f"token file {pod['token']} is empty" in str(caught.value)


def test_the_default_files_are_the_kubelets_mount(
    pod: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without token_file/ca_file the service account mount is read (absent here)."""
    mount = "/var/run/secrets/kubernetes.io/serviceaccount"
    if Path(mount).exists():  # pragma: no cover - the suite itself runs in a pod
        pytest.skip("this machine has a service account mount")
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT")
    with pytest.raises(ClusterError) as caught:
        KubernetesCluster.in_cluster()
    assert f"token file {mount}/token does not exist" in str(caught.value)
    assert f"CA file {mount}/ca.crt does not exist" in str(caught.value)


def test_pod_and_kubeconfig_facts(tmp_path: Path) -> None:
    """running_in_pod reads KUBERNETES_SERVICE_HOST; default_kubeconfig_exists follows
    $KUBECONFIG (a path list) and falls back to ~/.kube/config."""
    assert running_in_pod({"KUBERNETES_SERVICE_HOST": "10.0.0.1"})
    assert not running_in_pod({"KUBERNETES_SERVICE_HOST": ""})
    config = tmp_path / "config"
    config.write_text("apiVersion: v1\nkind: Config\n")
    listed = f"{tmp_path / 'missing'}:{config}"
    assert default_kubeconfig_exists({"KUBECONFIG": listed})
    assert not default_kubeconfig_exists({"KUBECONFIG": str(tmp_path / "missing")})
