"""Diff and normalisation: decide Synced / OutOfSync as Argo CD does, and explain why.

>>> import gitopslib.diff as gd
>>> cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "d"}}
>>> gd.compare([cm], [cm]).sync_status
'Synced'
"""

from __future__ import annotations

from gitopslib.diff._result import ComparisonResult, ResourceDiff, SyncStatus
from gitopslib.diff.compare import compare, compare_resource, hook_type, wave_of
from gitopslib.diff.defaults import apply_defaults
from gitopslib.diff.explain import DriftReason, explain
from gitopslib.diff.ignore import (
    managed_field_pointers,
    remove_jq,
    remove_managed_fields,
    remove_pointer,
)
from gitopslib.diff.mask import mask_secrets
from gitopslib.diff.normalize import canonical_duration, canonical_quantity, normalize
from gitopslib.diff.settings import DiffSettings, IgnoreRule, KnownTypeField
from gitopslib.diff.strategic import predict
from gitopslib.diff.tracking import (
    app_instance_name,
    claims,
    parse_tracking_id,
    self_referenced,
    tracking_id,
)

__all__ = [
    "ComparisonResult",
    "DiffSettings",
    "DriftReason",
    "IgnoreRule",
    "KnownTypeField",
    "ResourceDiff",
    "SyncStatus",
    "app_instance_name",
    "apply_defaults",
    "canonical_duration",
    "canonical_quantity",
    "claims",
    "compare",
    "compare_resource",
    "explain",
    "hook_type",
    "managed_field_pointers",
    "mask_secrets",
    "normalize",
    "parse_tracking_id",
    "predict",
    "remove_jq",
    "remove_managed_fields",
    "remove_pointer",
    "self_referenced",
    "tracking_id",
    "wave_of",
]
