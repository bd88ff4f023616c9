"""Readable output: table, JSON, Mermaid; and plan.compare explaining a change."""

from __future__ import annotations

import json
import re

from sync_helpers import comparison, desired, from_manifests, live_only, obj

from gitopslib.sync import SyncPlanOptions, escape_mermaid, plan_sync

HOOK = "argocd.argoproj.io/hook"
WAVE = "argocd.argoproj.io/sync-wave"


def _plan() -> object:
    objs = [
        obj("Job", "migrate", api_version="batch/v1", annotations={HOOK: "PreSync"}),
        obj("ConfigMap", 'we"ird<name>', annotations={WAVE: "1"}),
        obj("Job", "notify", api_version="batch/v1", annotations={HOOK: "SyncFail"}),
    ]
    return plan_sync(from_manifests(objs))


def test_table_has_the_columns_and_one_row_per_task() -> None:
    """render_table: header columns, then phase/wave/action/kind/namespace-name/reason."""
    plan = plan_sync(from_manifests([obj("ConfigMap", "c", annotations={WAVE: "2"})]))
    lines = plan.render_table().splitlines()
    assert lines[0].split() == ["PHASE", "WAVE", "ACTION", "KIND", "NAMESPACE/NAME", "REASON"]
    assert lines[1].split()[:5] == ["Sync", "2", "create", "ConfigMap", "default/c"]


def test_table_marks_skipped_tasks() -> None:
    """A skipped task's reason starts with SKIPPED."""
    plan = plan_sync(comparison(live_only(obj("ConfigMap", "old"))))
    assert "SKIPPED: ignored (requires pruning)" in plan.render_table()


def test_json_is_deterministic_and_parses() -> None:
    """to_json is valid JSON, identical across calls, without manifests by default."""
    plan = _plan()
    text = plan.to_json()  # type: ignore[attr-defined]
    assert text == _plan().to_json()  # type: ignore[attr-defined]
    data = json.loads(text)
    assert [t["name"] for t in data["tasks"]] == ["migrate", 'we"ird<name>']
    assert [t["phase"] for t in data["sync_fail_tasks"]] == ["SyncFail"]
    assert "obj" not in data["tasks"][0]


def test_mermaid_escapes_names() -> None:
    """Quotes and angle brackets in names are entity-escaped inside labels."""
    text = _plan().to_mermaid()  # type: ignore[attr-defined]
    assert "we#quot;ird#lt;name#gt;" in text
    for line in text.splitlines():
        # every label is one double-quoted string: quotes come in pairs
        assert line.count('"') % 2 == 0, line


def test_mermaid_structure() -> None:
    """Flowchart with a subgraph per phase, a box per wave, gates, SyncFail apart."""
    text = _plan().to_mermaid()  # type: ignore[attr-defined]
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    assert re.search(r'subgraph phase\d+\["PreSync"\]', text)
    assert re.search(r'subgraph phase\d+\["Sync"\]', text)
    assert "w0 -->|all done and Healthy| w1" in text
    assert "w1 -->|applied, not health-gated| done" in text
    assert 'subgraph syncfail["SyncFail (only when the sync fails)"]' in text
    opened = sum(1 for line in lines if line.strip().startswith("subgraph "))
    closed = sum(1 for line in lines if line.strip() == "end")
    assert opened == closed == 3


def test_escape_mermaid_hash_first() -> None:
    """'#' is escaped before other entities so entity codes stay intact."""
    assert escape_mermaid("#&") == "#35;#amp;"


def test_compare_reports_move_and_new_prune() -> None:
    """compare says a hook moved phase/wave and an object will now be pruned."""
    job_before = obj("Job", "migrate", api_version="batch/v1", annotations={HOOK: "PreSync"})
    job_after = obj("Job", "migrate", api_version="batch/v1", annotations={HOOK: "Sync", WAVE: "3"})
    old_cm = obj("ConfigMap", "old")
    before = plan_sync(
        comparison(desired(job_before), desired(old_cm, live=old_cm)),
        options=SyncPlanOptions(prune=True),
    )
    after = plan_sync(
        comparison(desired(job_after), live_only(old_cm)), options=SyncPlanOptions(prune=True)
    )
    assert str(before.compare(after)) == (
        "ConfigMap old will now be pruned; Job migrate moved from PreSync wave 0 to Sync wave 3"
    )


def test_compare_generated_hook_names_match_across_revisions() -> None:
    """A generateName hook is the same task across revisions (no add/remove noise)."""
    job = obj("Job", "", generate_name="m-", api_version="batch/v1", annotations={HOOK: "PreSync"})
    a = plan_sync(from_manifests([job]), options=SyncPlanOptions(revision="a" * 40))
    b = plan_sync(from_manifests([job]), options=SyncPlanOptions(revision="b" * 40))
    assert not a.compare(b)
    assert str(a.compare(b)) == "no change"


def test_compare_added_and_removed() -> None:
    """New and vanished tasks are reported."""
    a = plan_sync(from_manifests([obj("ConfigMap", "x")]))
    b = plan_sync(from_manifests([obj("Secret", "y")]))
    assert a.compare(b).messages == [
        "Secret y is new: create in Sync wave 0",
        "ConfigMap x is no longer synced",
    ]


def test_compare_prune_now_skipped() -> None:
    """A prune that becomes Prune=false says it will no longer be pruned, and why."""
    old = obj("ConfigMap", "old")
    kept = obj("ConfigMap", "old", annotations={"argocd.argoproj.io/sync-options": "Prune=false"})
    a = plan_sync(comparison(live_only(old)), options=SyncPlanOptions(prune=True))
    b = plan_sync(comparison(live_only(kept)), options=SyncPlanOptions(prune=True))
    assert a.compare(b).messages == [
        "ConfigMap old will no longer be pruned (ignored (no prune): Prune=false on the object)"
    ]
