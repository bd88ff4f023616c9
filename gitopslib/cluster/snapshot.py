"""``SnapshotCluster``: read-only live state from YAML files, e.g. ``kubectl get -o yaml`` dumps.

Every ``*.yaml``, ``*.yml`` and ``*.json`` file under the folder (recursively, in sorted
order) is read; ``kind: List`` documents (what ``kubectl get -o yaml`` prints for several
objects) are expanded into their items. The snapshot answers ``get`` and ``list_tracked``
like a cluster, dry runs like a cluster that would accept the change, and refuses real
writes with a :class:`~gitopslib.errors.ClusterError` (status 405).

>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "live.yaml").write_text(
...     "apiVersion: v1\\nkind: List\\nitems:\\n- apiVersion: v1\\n  kind: ConfigMap\\n"
...     "  metadata: {name: a, namespace: ns}\\n")
>>> [o["metadata"]["name"] for o in SnapshotCluster(d).objects()]
['a']
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gitopslib.cluster._common import cluster_error, key_for
from gitopslib.cluster.memory import MemoryCluster
from gitopslib.errors import ClusterError
from gitopslib.manifest import LABEL_INSTANCE, ResourceKey, load_manifests, require_identity
from gitopslib.sync.protocol import ARGOCD_FIELD_MANAGER, ApplyMode, ApplyResult

__all__ = ["SnapshotCluster"]

_SUFFIXES = (".yaml", ".yml", ".json")


class SnapshotCluster:
    """Live objects read from the YAML/JSON files of ``directory`` (read-only).

    Raises :class:`ClusterError` when the folder does not exist; a malformed file raises
    :class:`~gitopslib.errors.ManifestError` naming it.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise ClusterError(f"snapshot folder {self.directory} does not exist")
        self._memory = MemoryCluster()
        for path in sorted(p for p in self.directory.rglob("*") if p.suffix in _SUFFIXES):
            if not path.is_file():
                continue
            objs = load_manifests(path)
            require_identity(objs, file=str(path))
            for obj in objs:
                self._memory.add(obj)

    def objects(self) -> list[dict[str, Any]]:
        """Every object of the snapshot, sorted by key."""
        return self._memory.objects()

    def list_tracked(
        self, app_instance: str, *, label_key: str = LABEL_INSTANCE
    ) -> list[dict[str, Any]]:
        """Objects whose tracking names ``app_instance`` (see the ``Cluster`` protocol)."""
        return self._memory.list_tracked(app_instance, label_key=label_key)

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        """The object with this key, or None."""
        return self._memory.get(key)

    def api_versions(self) -> list[str]:
        """API versions of the kinds present in the snapshot."""
        return self._memory.api_versions()

    def apply(
        self,
        obj: Mapping[str, Any],
        *,
        mode: ApplyMode = "client-side apply",
        dry_run: bool = False,
        force: bool = False,
        validate: bool = True,
        field_manager: str = ARGOCD_FIELD_MANAGER,
    ) -> ApplyResult:
        """Dry runs answer as a cluster would; real writes raise :class:`ClusterError`."""
        if not dry_run:
            raise self._read_only("apply", key_for(obj))
        return self._memory.apply(
            obj,
            mode=mode,
            dry_run=True,
            force=force,
            validate=validate,
            field_manager=field_manager,
        )

    def delete(
        self,
        key: ResourceKey,
        *,
        propagation_policy: str | None = "foreground",
        dry_run: bool = False,
    ) -> bool:
        """Dry runs say whether the object exists; real deletes raise :class:`ClusterError`."""
        if not dry_run:
            raise self._read_only("delete", key)
        return self._memory.get(key) is not None

    def patch(
        self, key: ResourceKey, patch: Mapping[str, Any], *, dry_run: bool = False
    ) -> dict[str, Any] | None:
        """Dry runs return the patched object; real patches raise :class:`ClusterError`."""
        if not dry_run:
            raise self._read_only("patch", key)
        return self._memory.patch(key, patch, dry_run=True)

    def _read_only(self, verb: str, key: ResourceKey) -> ClusterError:
        return cluster_error(
            verb, key, 405, "MethodNotAllowed", f"snapshot {self.directory} is read-only"
        )
