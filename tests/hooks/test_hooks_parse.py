"""Hook annotations read as argocd-semantics.md §1.2, §1.10 and §2 describe."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gitopslib import PlanError
from gitopslib.hooks import (
    hook_delete_policies,
    hook_name,
    parse_hook,
    parse_int_annotation,
    sync_wave,
)

HOOK = "argocd.argoproj.io/hook"
POLICY = "argocd.argoproj.io/hook-delete-policy"
WAVE = "argocd.argoproj.io/sync-wave"


def _o(name: str = "x", generate_name: str | None = None, **ann: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"annotations": ann}
    if name:
        meta["name"] = name
    if generate_name:
        meta["generateName"] = generate_name
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta}


def test_plain_object_is_not_a_hook() -> None:
    """No hook annotation: a plain resource."""
    info = parse_hook({"kind": "ConfigMap", "metadata": {"name": "a"}})
    assert (info.is_hook, info.skip, info.sync_phases) == (False, False, ())


def test_argo_phases_are_ordered_and_deduplicated() -> None:
    """'PostSync, PreSync,PostSync' gives PreSync then PostSync."""
    info = parse_hook(_o(**{HOOK: "PostSync, PreSync,PostSync"}))
    assert info.sync_phases == ("PreSync", "PostSync")


def test_skip_alone_skips() -> None:
    """'Skip' alone: skipped, not a hook."""
    info = parse_hook(_o(**{HOOK: "Skip"}))
    assert info.skip and not info.is_hook


def test_skip_with_another_type_is_ignored() -> None:
    """'Skip,PreSync': Skip is ignored, PreSync applies."""
    info = parse_hook(_o(**{HOOK: "Skip,PreSync"}))
    assert (info.skip, info.is_hook, info.sync_phases) == (False, True, ("PreSync",))


@pytest.mark.parametrize(
    ("helm", "phase"),
    [
        ("pre-install", "PreSync"),
        ("pre-upgrade", "PreSync"),
        ("post-install", "PostSync"),
        ("post-upgrade", "PostSync"),
    ],
)
def test_helm_hooks_map_to_argo_phases(helm: str, phase: str) -> None:
    """Helm install/upgrade hooks map to PreSync/PostSync."""
    info = parse_hook(_o(**{"helm.sh/hook": helm}))
    assert (info.sync_phases, info.source) == ((phase,), "helm.sh/hook")


@pytest.mark.parametrize("helm", ["test", "test-success", "test-failure", "pre-rollback"])
def test_helm_test_and_rollback_hooks_are_ignored(helm: str) -> None:
    """Test and rollback hooks: a hook with no type, dropped."""
    info = parse_hook(_o(**{"helm.sh/hook": helm}))
    assert info.is_hook and info.ignored and info.dropped == (helm,)


def test_helm_crd_install_is_a_plain_resource() -> None:
    """helm.sh/hook: crd-install marks an ordinary resource."""
    assert not parse_hook(_o(**{"helm.sh/hook": "crd-install"})).is_hook


def test_argo_hook_wins_over_helm_hook() -> None:
    """With an Argo hook type present, Helm's hook annotation is ignored."""
    info = parse_hook(_o(**{HOOK: "Sync", "helm.sh/hook": "pre-install"}))
    assert (info.sync_phases, info.source) == (("Sync",), HOOK)


def test_helm_pre_and_post_delete_map_to_delete_phases() -> None:
    """pre-delete/post-delete become PreDelete/PostDelete, not sync phases."""
    info = parse_hook(_o(**{"helm.sh/hook": "pre-delete,post-delete"}))
    assert (info.sync_phases, info.delete_phases) == ((), ("PreDelete", "PostDelete"))


def test_unknown_argo_hook_type_raises() -> None:
    """'presync' (wrong case) is an error naming the object and the annotation."""
    with pytest.raises(PlanError, match=r"Job x: annotation argocd.argoproj.io/hook: 'presync'"):
        parse_hook(_o(**{HOOK: "presync"}))


def test_unknown_argo_hook_type_non_strict_is_ignored_with_warning() -> None:
    """strict=False: the unknown type is dropped (Argo CD's behaviour) and reported."""
    warnings: list[str] = []
    info = parse_hook(_o(**{HOOK: "presync"}), strict=False, warnings=warnings)
    assert info.is_hook and info.ignored
    assert len(warnings) == 1


def test_unknown_helm_hook_raises() -> None:
    """A Helm hook value Helm does not define is an error."""
    with pytest.raises(PlanError, match=r"helm\.sh/hook"):
        parse_hook(_o(**{"helm.sh/hook": "pre-instal"}))


def test_delete_policy_default_is_before_hook_creation() -> None:
    """No delete policy: BeforeHookCreation."""
    assert hook_delete_policies(_o()) == ("BeforeHookCreation",)


def test_delete_policies_union_of_argo_and_helm() -> None:
    """Argo values plus mapped Helm values."""
    o = _o(**{POLICY: "HookSucceeded", "helm.sh/hook-delete-policy": "hook-failed"})
    assert hook_delete_policies(o) == ("HookSucceeded", "HookFailed")


def test_unknown_delete_policy_raises() -> None:
    """An unknown delete policy is an error naming the annotation."""
    with pytest.raises(PlanError, match=POLICY):
        hook_delete_policies(_o(**{POLICY: "OnSuccess"}))


def test_sync_wave_annotation() -> None:
    """sync-wave is read as a signed integer."""
    assert sync_wave(_o(**{WAVE: "-3"})) == (-3, WAVE)


def test_hook_weight_applies_to_any_object() -> None:
    """helm.sh/hook-weight sets the wave of a non-hook object too."""
    assert sync_wave(_o(**{"helm.sh/hook-weight": "7"})) == (7, "helm.sh/hook-weight")


def test_sync_wave_beats_hook_weight() -> None:
    """sync-wave wins over helm.sh/hook-weight."""
    assert sync_wave(_o(**{WAVE: "1", "helm.sh/hook-weight": "7"}))[0] == 1


def test_sync_wave_default_zero() -> None:
    """No annotation: wave 0."""
    assert sync_wave(_o()) == (0, "default")


def test_non_integer_sync_wave_raises() -> None:
    """sync-wave 'abc' raises PlanError naming object and annotation."""
    with pytest.raises(PlanError, match=r"Job x: annotation argocd.argoproj.io/sync-wave: 'abc'"):
        sync_wave(_o(**{WAVE: "abc"}))


def test_non_integer_sync_wave_non_strict_falls_back_to_hook_weight() -> None:
    """strict=False: Argo CD's fallback to the Helm weight, with a warning."""
    warnings: list[str] = []
    wave = sync_wave(
        _o(**{WAVE: "abc", "helm.sh/hook-weight": "2"}), strict=False, warnings=warnings
    )
    assert wave == (2, "helm.sh/hook-weight")
    assert len(warnings) == 1


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5", 5),
        ("+5", 5),
        ("-0", 0),
        ("007", 7),
        (" 5", None),
        ("5 ", None),
        ("1_0", None),
        ("1.0", None),
        ("", None),
        ("9223372036854775808", None),
    ],
)
def test_integers_parse_like_go_atoi(text: str, value: int | None) -> None:
    """Only what Go's strconv.Atoi accepts is an integer (no spaces, underscores, overflow)."""
    assert parse_int_annotation(text) == value


def test_hook_name_keeps_metadata_name() -> None:
    """A named hook keeps its name."""
    assert hook_name(_o("migrate"), "PreSync", "abcdef0123", 5) == "migrate"


def test_hook_name_from_generate_name_long_revision() -> None:
    """generateName + lower('<7 chars of rev>-<phase>-<unix>')."""
    o = _o("", generate_name="db-")
    assert hook_name(o, "PostSync", "ABCDEF0123456", 1_700_000_000) == (
        "db-abcdef0-postsync-1700000000"
    )


def test_hook_name_short_revision_is_used_whole() -> None:
    """A revision shorter than 8 characters is used whole."""
    o = _o("", generate_name="db-")
    assert hook_name(o, "Sync", "v1.2.3", 10) == "db-v1.2.3-sync-10"


def test_hook_name_from_datetime_start() -> None:
    """A datetime start time is converted to UTC unix seconds."""
    o = _o("", generate_name="db-")
    start = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert hook_name(o, "PreSync", "", start) == f"db--presync-{int(start.timestamp())}"
