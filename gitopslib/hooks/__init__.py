"""Argo CD resource hooks (PreSync, Sync, PostSync, SyncFail, Skip, PreDelete, PostDelete).

Pure functions over one Kubernetes object: which phases its hook annotations (Argo CD's or
Helm's) put it in, its delete policies, its sync wave and, for ``generateName`` hooks, the
name Argo CD gives it. The sync planner (:mod:`gitopslib.sync`) builds on these.

>>> from gitopslib.hooks import parse_hook
>>> parse_hook({"metadata": {"annotations": {"argocd.argoproj.io/hook": "Skip"}}}).skip
True
"""

from __future__ import annotations

from gitopslib.hooks._hooks import (
    ALL_PHASES,
    DELETE_PHASES,
    DELETE_POLICIES,
    HELM_DELETE_POLICY_MAP,
    HELM_HOOK_MAP,
    HELM_IGNORED_HOOKS,
    HELM_RESOURCE_POLICY,
    HOOK_TYPES,
    PHASE_RANK,
    SYNC_PHASES,
    DeletePolicy,
    HookInfo,
    Phase,
    describe_object,
    hook_delete_policies,
    hook_name,
    parse_hook,
    parse_int_annotation,
    sync_wave,
)

__all__ = [
    "ALL_PHASES",
    "DELETE_PHASES",
    "DELETE_POLICIES",
    "HELM_DELETE_POLICY_MAP",
    "HELM_HOOK_MAP",
    "HELM_IGNORED_HOOKS",
    "HELM_RESOURCE_POLICY",
    "HOOK_TYPES",
    "PHASE_RANK",
    "SYNC_PHASES",
    "DeletePolicy",
    "HookInfo",
    "Phase",
    "describe_object",
    "hook_delete_policies",
    "hook_name",
    "parse_hook",
    "parse_int_annotation",
    "sync_wave",
]
