"""Secret values never appear in diffs, patches, explanations, warnings, plans, previews,
assertion messages or JSON output. (``render`` prints a Secret as the repository wrote it: that
is the desired state the user asked to see, as ``argocd app manifests`` does.)"""

from __future__ import annotations

import base64
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sec_fixtures import app_file

from gitopslib import testing
from gitopslib.cli import main
from gitopslib.diff import compare
from gitopslib.diff.settings import DiffSettings
from gitopslib.models import Application

OLD, NEW = "HUNTER2-OLD-PASSWORD", "CORRECT-HORSE-NEW-PW"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


VALUES = [OLD, NEW, _b64(OLD), _b64(NEW)]


def _clean(text: str) -> bool:
    # a partial echo (jq truncates long values) must not show either: check a prefix too
    return not any(v in text or v[:12] in text for v in VALUES)


def secret(data: Any = None, string: Any = None, annotations: Any = None) -> dict[str, Any]:
    """A core Secret ``s`` in namespace ``default``."""
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "default"},
    }
    if annotations:
        obj["metadata"]["annotations"] = annotations
    if data is not None:
        obj["data"] = data
    if string is not None:
        obj["stringData"] = string
    return obj


def _app(**spec: Any) -> Application:
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "a", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
            "source": {"repoURL": "https://example.com/r.git", "path": "."},
            **spec,
        },
    }
    return Application.from_yaml(yaml.safe_dump(doc))


def _everything(result: Any) -> str:
    parts = [repr(result), str(result.warnings)]
    for rd in result.resources:
        parts += [rd.diff, json.dumps(rd.patch), repr(rd), str(rd.warnings)]
        parts += [str(r) for r in rd.explain()] + [repr(r) for r in rd.explain()]
    return "\n".join(parts)


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

CASES = {
    "data changed": ([secret({"pw": _b64(NEW)})], [secret({"pw": _b64(OLD)})]),
    "stringData against data": ([secret(string={"pw": NEW})], [secret({"pw": _b64(OLD)})]),
    "only in git": ([secret({"pw": _b64(NEW)})], []),
    "key added": (
        [secret({"pw": _b64(OLD), "new": _b64(NEW)})],
        [secret({"pw": _b64(OLD)})],
    ),
    "last-applied annotation": (
        [secret({"pw": _b64(NEW)})],
        [
            secret(
                {"pw": _b64(OLD)},
                annotations={LAST_APPLIED: json.dumps(secret(string={"pw": OLD}))},
            )
        ],
    ),
    "data is a list (invalid Secret)": ([secret([_b64(NEW)])], [secret({"pw": _b64(OLD)})]),
    "data is a string (invalid Secret)": ([secret(_b64(NEW))], [secret(_b64(OLD))]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_compare_masks_secret_values(case: str) -> None:
    """diff, patch, explain() and reprs of a Secret comparison show masks only."""
    desired, live = CASES[case]
    result = compare(desired, live)
    assert result.resources and result.resources[0].modified
    assert _clean(_everything(result))


@pytest.mark.parametrize(
    "expression",
    [".data.pw[]", ".data.pw | error", ".data.pw | tonumber", ".data | tonumber"],
)
def test_jq_errors_on_a_secret_do_not_quote_its_values(expression: str) -> None:
    """A failing ignoreDifferences jq expression is reported without the Secret's data."""
    rule = {"kind": "Secret", "jqPathExpressions": [expression]}
    app = _app(ignoreDifferences=[rule])
    result = compare([secret({"pw": _b64(NEW)})], [secret({"pw": _b64(OLD)})], app=app)
    warnings = result.resources[0].warnings
    assert warnings and all(expression in w for w in warnings)
    assert _clean(_everything(result))


def test_jq_errors_on_sensitive_annotations_do_not_quote_them() -> None:
    """The same holds for annotations listed as sensitive, on any kind."""
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "default", "annotations": {"vault/token": NEW}},
    }
    rule = {"kind": "ConfigMap", "jqPathExpressions": ['.metadata.annotations["vault/token"][]']}
    settings = DiffSettings(sensitive_annotations=["vault/token"])
    app = _app(ignoreDifferences=[rule])
    result = compare([cm], [{**cm, "data": {"k": "v"}}], app=app, settings=settings)
    assert result.resources[0].warnings
    assert _clean(_everything(result))


def test_sensitive_annotation_is_masked_in_the_diff() -> None:
    """Annotations named in sensitive_annotations are masked like Secret data."""
    ann = {"vault/token": OLD}
    meta = {"name": "c", "namespace": "default", "annotations": ann}
    live = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
    desired = json.loads(json.dumps(live).replace(OLD, NEW))
    settings = DiffSettings(sensitive_annotations=["vault/token"])
    result = compare([desired], [live], settings=settings)
    assert result.resources[0].modified
    assert _clean(_everything(result))


@pytest.mark.parametrize("case", sorted(CASES))
def test_testing_assertions_mask_secret_values(case: str) -> None:
    """assert_no_drift and assert_only_changes failure messages show masks only."""
    desired, live = CASES[case]
    with pytest.raises(AssertionError) as drift:
        testing.assert_no_drift(compare(desired, live))
    assert _clean(str(drift.value))
    with pytest.raises(AssertionError) as changes:
        testing.assert_only_changes(live, desired, paths=[])
    assert _clean(str(changes.value))


# --- the CLI ------------------------------------------------------------------------------


@pytest.fixture
def cli_inputs(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(app file, repo root with two Secrets, live dir with other values and an extra one)."""
    root = tmp_path / "repo" / "app"
    root.mkdir(parents=True)
    live = tmp_path / "live"
    live.mkdir()
    second = {**secret({"pw": _b64(NEW)}), "metadata": {"name": "s2", "namespace": "default"}}
    desired = [secret(string={"pw": NEW}), second]
    (root / "s.yaml").write_text(yaml.safe_dump_all(desired))
    labels = {"app.kubernetes.io/instance": "a"}
    old = secret({"pw": _b64(OLD)}, annotations={LAST_APPLIED: json.dumps(secret({"pw": OLD}))})
    old["metadata"]["labels"] = labels
    gone = secret({"pw": _b64(OLD)})
    gone["metadata"].update(name="gone", labels=labels)
    (live / "s.yaml").write_text(yaml.safe_dump_all([old, gone]))
    app = tmp_path / "app.yaml"
    app.write_text(app_file())
    return app, tmp_path / "repo", live


@pytest.mark.parametrize(
    "argv",
    [
        ["diff"],
        *(["plan", "--prune", "-o", fmt] for fmt in ("table", "json", "yaml", "markdown")),
    ],
)
def test_cli_diff_and_plan_mask_secret_values(
    cli_inputs: tuple[Path, Path, Path], argv: list[str]
) -> None:
    """``gitopslib diff`` and every ``plan`` output format show masks only."""
    app, root, live = cli_inputs
    out = io.StringIO()
    args = [argv[0], str(app), "--repo-root", str(root), "--live", str(live), *argv[1:]]
    code = main(args, out=out)
    assert code in (0, 1)
    assert "Secret" in out.getvalue()
    assert _clean(out.getvalue())


def test_cli_render_prints_the_desired_secret(cli_inputs: tuple[Path, Path, Path]) -> None:
    """render is the desired state as written (documented choice, like argocd app manifests)."""
    app, root, _ = cli_inputs
    out = io.StringIO()
    assert main(["render", str(app), "--repo-root", str(root)], out=out) == 0
    assert NEW in out.getvalue()


def test_cli_preview_masks_secret_values(tmp_path: Path) -> None:
    """The preview report (markdown diff and plan) of a Secret change shows masks only."""
    work = tmp_path / "work"
    (work / "app").mkdir(parents=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*argv: str) -> None:
        subprocess.run(["git", *argv], cwd=work, env=env, check=True, timeout=30)

    (work / "app.yaml").write_text(app_file(str(work)))
    (work / "app" / "s.yaml").write_text(yaml.safe_dump(secret(string={"pw": OLD})))
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    (work / "app" / "s.yaml").write_text(yaml.safe_dump(secret({"pw": _b64(NEW)})))
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "head")
    out = io.StringIO()
    argv = ["preview", "--base", "HEAD~1", "--head", "HEAD", "--repo", str(work)]
    code = main([*argv, "--cache-dir", str(tmp_path / "cache"), str(work / "app.yaml")], out=out)
    assert code == 0
    assert "Secret" in out.getvalue()
    assert _clean(out.getvalue())


def test_apply_result_repr_hides_the_applied_secret() -> None:
    """An ApplyResult (which pytest prints on a failed assert) does not repr the object."""
    from gitopslib.cluster import MemoryCluster

    result = MemoryCluster().apply(secret({"pw": _b64(NEW)}))
    assert result.object["data"]["pw"] == _b64(NEW)  # the data itself is still there
    assert _clean(repr(result))
    assert "secret/s created" in repr(result)
