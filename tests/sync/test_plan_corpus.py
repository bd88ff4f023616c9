"""Fixed expected orders for the corpus apps, derived by hand from argocd-semantics.md §1-§2.

Sort key (§1.3): phase rank (PreSync -1, Sync 0, PostSync 1), wave (sync-wave, else
helm.sh/hook-weight, else 0), kind rank (Service -13 before ReplicaSet -9 before
Deployment -8 before Job -5, from the 35-entry list), then name.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sync_helpers import from_manifests, order

from gitopslib import load_manifests
from gitopslib.sync import SyncPlanOptions, plan_sync

REV = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"
START = 1_700_000_000
OPTS = SyncPlanOptions(revision=REV, started_at=START)


def test_sync_waves_order(example_apps: Path) -> None:
    """sync-waves: PreSync hook, then waves 0..3 of Sync with hooks interleaved by wave."""
    objs = load_manifests(example_apps / "sync-waves" / "manifests.yaml")
    plan = plan_sync(from_manifests(objs), options=OPTS)
    # Derivation:
    #  Job generateName upgrade-sql-schema, hook PreSync, no wave -> (PreSync, 0); named
    #    "upgrade-sql-schema" + lower("9f8e7d6-presync-1700000000") (§2.4: 7 chars of rev)
    #  ReplicaSet backend, Service backend: plain, no wave -> (Sync, 0); Service (-13)
    #    before ReplicaSet (-9)
    #  Job maint-page-up: hook Sync, sync-wave 1 -> (Sync, 1)
    #  ReplicaSet frontend, Service frontend: sync-wave 2 -> (Sync, 2), Service first
    #  Job maint-page-down: hook Sync, sync-wave 3 -> (Sync, 3)
    assert order(plan) == [
        ("PreSync", 0, "Job", "upgrade-sql-schema9f8e7d6-presync-1700000000"),
        ("Sync", 0, "Service", "backend"),
        ("Sync", 0, "ReplicaSet", "backend"),
        ("Sync", 1, "Job", "maint-page-up"),
        ("Sync", 2, "Service", "frontend"),
        ("Sync", 2, "ReplicaSet", "frontend"),
        ("Sync", 3, "Job", "maint-page-down"),
    ]


def test_sync_waves_steps(example_apps: Path) -> None:
    """sync-waves runs as five (phase, wave) steps, each gated on health before the next."""
    objs = load_manifests(example_apps / "sync-waves" / "manifests.yaml")
    waves = plan_sync(from_manifests(objs), options=OPTS).waves()
    # the derivation of test_sync_waves_order grouped by (phase, wave)
    assert [(w.phase, w.wave, len(w.tasks)) for w in waves] == [
        ("PreSync", 0, 1),
        ("Sync", 0, 2),
        ("Sync", 1, 1),
        ("Sync", 2, 2),
        ("Sync", 3, 1),
    ]
    # the final step holds a hook, so it is health-gated too (§1.7 step 10)
    assert all(w.gated for w in waves)


def test_helm_hooks_order(example_apps: Path) -> None:
    """helm-hooks: Helm hook annotations mapped to Argo phases, hook-weight used as wave."""
    objs = load_manifests(example_apps / "helm-hooks" / "manifests.yaml")
    plan = plan_sync(from_manifests(objs), options=OPTS)
    # Derivation (§2.2 Helm mapping, §1.2 hook-weight on any object):
    #  Job upgrade-sql-schema (generateName): pre-install -> PreSync, weight -2
    #  Job maint-page-up: pre-install -> PreSync, weight -1
    #  ReplicaSet frontend: plain, no annotations -> (Sync, 0)
    #  Service frontend: NOT a hook, but helm.sh/hook-weight "2" still sets wave 2
    #  Job maint-page-down: post-install -> PostSync, no weight -> 0
    assert order(plan) == [
        ("PreSync", -2, "Job", "upgrade-sql-schema9f8e7d6-presync-1700000000"),
        ("PreSync", -1, "Job", "maint-page-up"),
        ("Sync", 0, "ReplicaSet", "frontend"),
        ("Sync", 2, "Service", "frontend"),
        ("PostSync", 0, "Job", "maint-page-down"),
    ]


def test_helm_hooks_delete_policies(example_apps: Path) -> None:
    """helm-hooks: before-hook-creation maps to BeforeHookCreation, absent means the default."""
    objs = load_manifests(example_apps / "helm-hooks" / "manifests.yaml")
    plan = plan_sync(from_manifests(objs), options=OPTS)
    policies = {t.generate_name or t.name: t.hook_delete_policies for t in plan.tasks if t.is_hook}
    assert policies == {
        "upgrade-sql-schema": ("BeforeHookCreation",),  # none written: default
        "maint-page-up": ("BeforeHookCreation",),
        "maint-page-down": ("BeforeHookCreation",),
    }


def test_pre_post_sync_job_files_order(example_apps: Path) -> None:
    """pre-post-sync's two hook jobs alone: PreSync 'before', PostSync 'after'."""
    root = example_apps / "pre-post-sync"
    objs = [
        *load_manifests(root / "pre-sync-job.yaml"),
        *load_manifests(root / "post-sync-job.yaml"),
    ]
    plan = plan_sync(from_manifests(objs), options=OPTS)
    assert order(plan) == [("PreSync", 0, "Job", "before"), ("PostSync", 0, "Job", "after")]
    assert [t.hook_delete_policies for t in plan.tasks] == [("HookSucceeded",)] * 2


@pytest.mark.slow
def test_pre_post_sync_rendered_order(example_apps: Path, tmp_path: Path) -> None:
    """pre-post-sync rendered by the real kustomize (it also pulls in kustomize-guestbook)."""
    kubectl = Path(sys.executable).parent / "kubectl"
    exe = str(kubectl) if kubectl.exists() else (shutil.which("kubectl") or "kubectl")
    out = subprocess.run(
        [exe, "kustomize", str(example_apps / "pre-post-sync")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    plan = plan_sync(from_manifests(load_manifests(out)), options=OPTS)
    # Derivation: the kustomization lists the two jobs and the base ../kustomize-guestbook
    # (Deployment + Service "kustomize-guestbook-ui"), all with namePrefix "pre-post-sync-".
    #  PreSync hook Job pre-post-sync-before                       -> (PreSync, 0)
    #  Service (-13) before Deployment (-8), same name, no waves    -> (Sync, 0)
    #  PostSync hook Job pre-post-sync-after                       -> (PostSync, 0)
    assert order(plan) == [
        ("PreSync", 0, "Job", "pre-post-sync-before"),
        ("Sync", 0, "Service", "pre-post-sync-kustomize-guestbook-ui"),
        ("Sync", 0, "Deployment", "pre-post-sync-kustomize-guestbook-ui"),
        ("PostSync", 0, "Job", "pre-post-sync-after"),
    ]
