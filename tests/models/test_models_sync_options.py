"""SyncOptions: Argo CD's exact-membership flags and first-prefix values (semantics §3).

Every expected value below is read by hand from the option table of argocd-semantics.md §3.2
and the matching rules of §3.1 (HasOption is exact string membership, GetOptionValue is the
first `Key=` prefix).
"""

from __future__ import annotations

from typing import Any

import pytest

from gitopslib.models import Application, SyncOptions

FLAG_TABLE: list[tuple[list[str], str, Any]] = [
    ([], "prune", None),
    (["Prune=false"], "prune", False),
    (["Prune=true"], "prune", True),
    (["Prune=confirm"], "prune", None),
    (["Prune=confirm"], "prune_confirm", True),
    (["Prune=false"], "prune_confirm", False),
    (["Delete=false"], "delete", False),
    (["Delete=confirm"], "delete_confirm", True),
    (["Delete=confirm"], "requires_deletion_confirmation", True),
    (["Prune=confirm"], "requires_deletion_confirmation", True),
    (["Validate=false"], "validate", False),
    ([], "validate", None),
    (["SkipDryRunOnMissingResource=true"], "skip_dry_run_on_missing_resource", True),
    (["CreateNamespace=true"], "create_namespace", True),
    (["CreateNamespace=True"], "create_namespace", False),  # exact match: case matters
    (["CreateNamespace=true "], "create_namespace", False),  # app-level lists are not trimmed
    (["PruneLast=true"], "prune_last", True),
    (["ApplyOutOfSyncOnly=true"], "apply_out_of_sync_only", True),
    (["ApplyOutOfSyncOnly=false"], "apply_out_of_sync_only", False),
    (["ServerSideApply=true"], "server_side_apply", True),
    (["ServerSideApply=false"], "server_side_apply", False),
    ([], "server_side_apply", None),
    (["ClientSideApplyMigration=false"], "client_side_apply_migration", False),
    (["Replace=true"], "replace", True),
    (["Replace=false"], "replace", False),
    (["Force=true"], "force", True),
    (["PrunePropagationPolicy=orphan"], "prune_propagation_policy", "orphan"),
    ([], "prune_propagation_policy", None),
    (["RespectIgnoreDifferences=true"], "respect_ignore_differences", True),
    (["FailOnSharedResource=true"], "fail_on_shared_resource", True),
]


@pytest.mark.parametrize(("items", "attr", "expected"), FLAG_TABLE)
def test_option_table(items: list[str], attr: str, expected: Any) -> None:
    """Each option of the table maps to its typed attribute."""
    assert getattr(SyncOptions.from_list(items), attr) == expected


def test_valued_option_first_prefix_wins() -> None:
    """A valued option is read from the first `Key=` item."""
    opts = SyncOptions.from_list(
        ["PrunePropagationPolicy=background", "PrunePropagationPolicy=orphan"]
    )
    assert opts.get("PrunePropagationPolicy") == "background"
    assert opts.prune_propagation_policy == "background"


def test_has_is_exact_membership() -> None:
    """has() is exact string membership, not a prefix or case-insensitive match."""
    opts = SyncOptions.from_list(["PruneLast=true"])
    assert opts.has("PruneLast=true")
    assert not opts.has("PruneLast")
    assert not opts.has("prunelast=true")


def test_unknown_keys_are_kept_and_reported() -> None:
    """Unknown keys and values with no effect stay in raw and are listed in unknown."""
    items = ["CreateNamespace=true", "Foo=bar", "CreateNamespace=yes", "PruneLast", "Prune=false"]
    opts = SyncOptions.from_list(items)
    assert opts.raw == items
    assert opts.unknown == ["Foo=bar", "CreateNamespace=yes", "PruneLast"]


def test_defined_constants_are_not_unknown() -> None:
    """Options Argo CD defines but never consults are known, not reported."""
    opts = SyncOptions.from_list(
        ["Replace=false", "ApplyOutOfSyncOnly=false", "ClientSideApplyMigration=true"]
    )
    assert opts.unknown == []


def test_from_object_reads_the_annotation_as_csv() -> None:
    """The annotation is comma-separated: items trimmed, empties and repeats dropped."""
    obj = {
        "metadata": {
            "annotations": {
                "argocd.argoproj.io/sync-options": " Prune=false, ,Replace=true,Prune=false"
            }
        }
    }
    opts = SyncOptions.from_object(obj)
    assert opts.raw == ["Prune=false", "Replace=true"]
    assert opts.prune is False
    assert opts.replace is True


def test_from_object_without_annotation() -> None:
    """An object without the annotation has no options."""
    assert SyncOptions.from_object({"metadata": {"name": "x"}}).raw == []


def test_from_annotation_text() -> None:
    """The annotation's text alone can be parsed."""
    assert SyncOptions.from_annotation("ServerSideApply=true,Validate=false").raw == [
        "ServerSideApply=true",
        "Validate=false",
    ]


def test_resource_level_wins_over_app_level() -> None:
    """`ServerSideApply=false` on a resource opts it out of app-level SSA."""
    app_level = SyncOptions.from_list(["ServerSideApply=true", "CreateNamespace=true"])
    merged = SyncOptions.from_list(["ServerSideApply=false"]).merged_over(app_level)
    assert merged.server_side_apply is False
    assert merged.create_namespace is True


def test_resource_prune_overrides_app_default() -> None:
    """A resource's Prune=true overrides an app-level Prune=false default."""
    merged = SyncOptions.from_list(["Prune=true"]).merged_over(
        SyncOptions.from_list(["Prune=false"])
    )
    assert merged.prune is True


def test_from_app_reads_sync_policy() -> None:
    """from_app reads spec.syncPolicy.syncOptions; no policy means no options."""
    head = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\n"
    app = Application.from_yaml(head + "spec:\n  syncPolicy:\n    syncOptions: [PruneLast=true]\n")
    assert SyncOptions.from_app(app).prune_last is True
    assert SyncOptions.from_app(Application.from_yaml(head + "spec: {}\n")).raw == []
