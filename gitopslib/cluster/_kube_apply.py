"""The requests of one apply on :class:`~gitopslib.cluster.KubernetesCluster`, by mode:
server-side apply (one ``PATCH``), create (one ``POST``), replace/update (``GET`` + ``PUT``,
a conflict re-reads once), client-side apply as kubectl (``GET``, then ``POST`` or a
three-way JSON merge ``PATCH``; an object known to be absent is created without the ``GET``,
and a dry run computes its patch from the object the caller last read).

A dry run is a client dry run by default, as Argo CD's (``kubectl apply --dry-run=client``):
the kind must be served (discovery), the live object is the one the caller read (or one
``GET`` when the caller does not know), and the outcome is computed here with no write
request. A server dry run (``dryRun=All``) sends the write for the API server to validate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gitopslib._jsondata import copy_json
from gitopslib.cluster._common import cluster_error, last_applied, three_way_merge
from gitopslib.cluster._kube_http import is_error
from gitopslib.errors import ClusterError
from gitopslib.manifest import ANNOTATION_LAST_APPLIED, ResourceKey
from gitopslib.sync.protocol import ApplyRequest, ApplyResult, apply_message

if TYPE_CHECKING:
    from gitopslib.cluster.kube import KubernetesCluster

__all__ = ["Apply", "merge_patch_between"]


def merge_patch_between(old: Any, new: Any) -> Any:
    """The JSON merge patch (RFC 7386) that turns ``old`` into ``new`` (lists whole).

    >>> merge_patch_between({"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1, "b": {"c": 5}})
    {'b': {'d': None, 'c': 5}}
    """
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        return copy_json(new)
    patch: dict[str, Any] = {}
    for key in old:
        if key not in new:
            patch[key] = None
    for key, value in new.items():
        if key not in old:
            patch[key] = copy_json(value)
        elif old[key] != value:
            if isinstance(old[key], Mapping) and isinstance(value, Mapping):
                patch[key] = merge_patch_between(old[key], value)
            else:
                patch[key] = copy_json(value)
    return patch


class Apply:
    """One apply of one object, by mode (the requests each mode sends)."""

    def __init__(
        self,
        cluster: KubernetesCluster,
        resource: Any,
        key: ResourceKey,
        desired: dict[str, Any],
        req: ApplyRequest,
        params: dict[str, Any],
    ) -> None:
        self.cluster = cluster
        self.resource = resource
        self.key = key
        self.desired = desired
        self.req = req
        self.params = params
        self.namespace = key.namespace or None

    def send(self, verb: str, method: str, **kwargs: Any) -> dict[str, Any]:
        return self.cluster._send(
            verb, self.key, method, self.resource, namespace=self.namespace, **kwargs
        )

    def result(self, stored: dict[str, Any], outcome: str) -> ApplyResult:
        return ApplyResult(stored, apply_message(stored, outcome, dry_run=self.req.dry_run))

    def run(self) -> ApplyResult:
        mode = self.req.mode
        if self.req.dry_run and self.cluster.dry_run_strategy == "client":
            return self.client_dry_run()
        if mode == "server-side apply":
            stored = self.send(
                "apply",
                "server_side_apply",
                body=self.desired,
                name=self.key.name,
                field_manager=self.req.field_manager,
                force_conflicts=True,
                **self.params,
            )
            return self.result(stored, "serverside-applied")
        if mode == "create":
            stored = self.send("create", "create", body=self.desired, **self.params)
            return self.result(stored, "created")
        if mode in ("replace", "update"):
            return self.replace(mode)
        return self.client_side()

    def replace(self, mode: str) -> ApplyResult:
        """A PUT with the live ``resourceVersion``; a conflict re-reads once and tries again."""
        body = copy_json(self.desired)
        for tries_left in (1, 0):
            live = self.cluster._get(self.resource, self.key)
            if live is None:
                raise cluster_error(
                    mode, self.key, 404, "NotFound", f'{self.key.kind} "{self.key.name}" not found'
                )
            body["metadata"]["resourceVersion"] = live["metadata"].get("resourceVersion")
            try:
                stored = self.send(mode, "replace", body=body, name=self.key.name, **self.params)
                break
            except ClusterError as exc:
                if is_error(exc, 409) and getattr(exc, "reason", "") == "Conflict" and tries_left:
                    continue
                if not (self.req.force and mode == "replace" and is_error(exc, 409)) and not (
                    self.req.force and mode == "replace" and is_error(exc, 422)
                ):
                    raise
                self.cluster.delete(
                    self.key, propagation_policy="foreground", dry_run=self.req.dry_run
                )
                body["metadata"].pop("resourceVersion", None)
                stored = self.send("create", "create", body=body, **self.params)
                break
        if mode == "update":
            suffix = " (dry run)" if self.req.dry_run else ""
            return ApplyResult(stored, f"{self.key.kind}/{self.key.name} updated{suffix}")
        return self.result(stored, "replaced")

    def client_dry_run(self) -> ApplyResult:
        """What the apply would do, decided here from the live object the caller read
        (one ``GET`` when it does not know): no write request, as kubectl's client dry run."""
        live = self.live()
        mode = self.req.mode
        if live is None or mode == "create":
            return self.result(self.desired, "created")
        if mode == "server-side apply":
            return self.result(self.desired, "serverside-applied")
        if mode == "replace":
            return self.result(self.desired, "replaced")
        if mode == "update":
            return ApplyResult(self.desired, f"{self.key.kind}/{self.key.name} updated (dry run)")
        merged, patch = self.merge(live)
        if not patch:
            return self.result(live, "unchanged")
        return self.result(merged, "configured")

    def live(self) -> dict[str, Any] | None:
        """The live object as the apply starts: for a dry run, the caller's copy when it has
        one (no fresher copy is needed); None when the caller saw it absent; else one GET."""
        if self.req.dry_run and self.req.live is not None:
            return dict(self.req.live)
        if self.req.exists is False:
            return None
        return self.cluster._get(self.resource, self.key)

    def merge(self, live: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        """kubectl's three-way merge of ``live``, its last-applied configuration and the
        desired object (carrying itself as last-applied), and the merge patch to it."""
        merged = three_way_merge(live, last_applied(live) or {}, self.with_last_applied())
        return merged, merge_patch_between(live, merged)

    def with_last_applied(self) -> dict[str, Any]:
        """The desired object carrying itself as kubectl's last-applied annotation."""
        # new dicts for the levels changed (metadata, annotations), shared below them
        plain = dict(self.desired)
        meta = plain["metadata"] = dict(plain["metadata"])
        annotations = dict(meta.get("annotations") or {})
        annotations.pop(ANNOTATION_LAST_APPLIED, None)
        if annotations:
            meta["annotations"] = annotations
        else:
            meta.pop("annotations", None)
        body = dict(plain)
        body["metadata"] = {
            **meta,
            "annotations": {
                **annotations,
                ANNOTATION_LAST_APPLIED: json.dumps(plain, sort_keys=True, separators=(",", ":"))
                + "\n",
            },
        }
        return body

    def client_side(self) -> ApplyResult:
        """As kubectl: create with the last-applied annotation, or a three-way merge patch.
        An object the caller saw absent is created without reading it first."""
        live = self.live()
        if live is None:
            try:
                stored = self.send("create", "create", body=self.with_last_applied(), **self.params)
                return self.result(stored, "created")
            except ClusterError as exc:
                # someone created it meanwhile (or our retried create did): patch it instead
                if not (is_error(exc, 409) and getattr(exc, "reason", "") == "AlreadyExists"):
                    raise
            live = self.cluster._get(self.resource, self.key)
            if live is None:
                raise cluster_error(
                    "apply", self.key, 409, "Conflict", "created and deleted meanwhile"
                )
        patch = self.merge(live)[1]
        if not patch:
            return self.result(live, "unchanged")
        try:
            stored = self.send(
                "patch",
                "patch",
                body=patch,
                name=self.key.name,
                content_type="application/merge-patch+json",
                **self.params,
            )
        except ClusterError as exc:
            if not (is_error(exc, 404) and self.req.dry_run and self.req.live is not None):
                raise
            # gone since the caller read it: dry-run what a real apply would do now
            self.req = replace(self.req, live=None, exists=None)
            return self.client_side()
        return self.result(stored, "configured")
