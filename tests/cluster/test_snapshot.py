"""SnapshotCluster: live state read from `kubectl get -o yaml` style dumps, read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopslib.cluster import Cluster, SnapshotCluster
from gitopslib.errors import ClusterError, ManifestError
from gitopslib.manifest import ResourceKey

DUMP = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata:
    name: guestbook-ui
    namespace: demo
    uid: 1234
    annotations:
      argocd.argoproj.io/tracking-id: guestbook:/Service:demo/guestbook-ui
  spec: {ports: [{port: 80}]}
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: guestbook-ui
    namespace: demo
    annotations:
      argocd.argoproj.io/tracking-id: guestbook:apps/Deployment:demo/guestbook-ui
  spec: {replicas: 1}
metadata: {resourceVersion: ""}
"""


@pytest.fixture
def snapshot(tmp_path: Path) -> SnapshotCluster:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "all.yaml").write_text(DUMP)
    (tmp_path / "ns.json").write_text(
        '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}}'
    )
    (tmp_path / "notes.txt").write_text("not yaml: [")
    return SnapshotCluster(tmp_path)


def test_list_kinds_expanded_and_files_found(snapshot: SnapshotCluster) -> None:
    """List documents are expanded; .json files and subfolders are read; other files not."""
    assert [(o["kind"], o["metadata"]["name"]) for o in snapshot.objects()] == [
        ("Namespace", "demo"),
        ("Service", "guestbook-ui"),
        ("Deployment", "guestbook-ui"),
    ]


def test_get_and_list_tracked(snapshot: SnapshotCluster) -> None:
    """get and list_tracked answer like a cluster; dumped fields are kept."""
    svc = snapshot.get(ResourceKey("", "Service", "demo", "guestbook-ui"))
    assert svc is not None and svc["metadata"]["uid"] == 1234
    assert len(snapshot.list_tracked("guestbook")) == 2
    assert isinstance(snapshot, Cluster)


def test_writes_refused_dry_runs_answered(snapshot: SnapshotCluster) -> None:
    """Real writes raise ClusterError 405; a dry run answers and changes nothing."""
    key = ResourceKey("apps", "Deployment", "demo", "guestbook-ui")
    with pytest.raises(ClusterError) as err:
        snapshot.delete(key)
    assert err.value.status == 405  # type: ignore[attr-defined]
    assert "read-only" in str(err.value)
    live = snapshot.get(key)
    assert live is not None
    live["spec"]["replicas"] = 3
    assert (
        snapshot.apply(live, dry_run=True).message
        == "deployment.apps/guestbook-ui configured (dry run)"
    )
    assert snapshot.get(key)["spec"]["replicas"] == 1  # type: ignore[index]


def test_missing_folder_and_bad_file(tmp_path: Path) -> None:
    """A missing folder is a ClusterError; a malformed file a ManifestError naming it."""
    with pytest.raises(ClusterError, match="does not exist"):
        SnapshotCluster(tmp_path / "nope")
    (tmp_path / "bad.yaml").write_text("kind: [")
    with pytest.raises(ManifestError, match=r"bad\.yaml"):
        SnapshotCluster(tmp_path)


def test_object_without_name_is_refused_with_its_file(tmp_path: Path) -> None:
    """A snapshot file holding an object with no metadata.name is an error naming the file,
    not an object silently left out of the live state."""
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
    with pytest.raises(ManifestError, match=r"cm\.yaml: object 1 \(ConfigMap\): metadata\.name"):
        SnapshotCluster(tmp_path)
