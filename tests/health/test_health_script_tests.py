"""run_health_tests: Argo CD's health_test.yaml format through gitopslib's Lua runtime."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from gitopslib.errors import HealthError
from gitopslib.health import HealthStatusCode, bundled_scripts, run_health_tests

WriteScript = Callable[[Path, str, str], Path]
BUNDLED = Path(str(resources.files("gitopslib.health") / "scripts"))


def _case_folder(root: Path, write_script: WriteScript, expected_message: str) -> Path:
    folder = root / "example.com" / "Widget"
    write_script(
        root,
        "example.com/Widget",
        'if obj.status.ready then return {status = "Healthy", message = "ready " ..'
        " tostring(obj.status.count / 2)} end\n"
        'return {status = "Progressing", message = "waiting"}\n',
    )
    (folder / "testdata").mkdir()
    (folder / "testdata" / "ready.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
        "status: {ready: true, count: 3}\n"
    )
    (folder / "health_test.yaml").write_text(
        "tests:\n- healthStatus:\n    status: Healthy\n"
        f"    message: {expected_message!r}\n  inputPath: testdata/ready.yaml\n"
    )
    return root


def test_bundled_scripts_pass_their_own_tests() -> None:
    """Every bundled health.lua passes its health_test.yaml, exact status and message."""
    report = run_health_tests(BUNDLED)
    report.assert_ok()
    assert len(report.cases) >= 15


def test_every_bundled_script_has_tests() -> None:
    """Each bundled health.lua has a health_test.yaml beside it (Argo CD requires it)."""
    for key in bundled_scripts():
        assert (BUNDLED / key / "health_test.yaml").is_file(), key


def test_bundled_kinds() -> None:
    """CronJob, PodDisruptionBudget and CustomResourceDefinition ship as bundled scripts."""
    assert set(bundled_scripts()) >= {
        "batch/CronJob",
        "policy/PodDisruptionBudget",
        "apiextensions.k8s.io/CustomResourceDefinition",
    }


def test_user_folder_passing(tmp_path: Path, write_script: WriteScript) -> None:
    """A user's folder whose expectations hold reports ok (3/2 prints as 1.5)."""
    report = run_health_tests(_case_folder(tmp_path, write_script, "ready 1.5"))
    assert report.ok
    [case] = report.cases
    assert case.actual is not None
    assert case.actual.status is HealthStatusCode.HEALTHY


def test_user_folder_failing_is_reported(tmp_path: Path, write_script: WriteScript) -> None:
    """A wrong expected message fails, and assert_ok says what was expected and got."""
    report = run_health_tests(_case_folder(tmp_path, write_script, "ready 2"))
    assert not report.ok
    with pytest.raises(
        AssertionError, match=re.escape("expected Healthy: 'ready 2', got Healthy: 'ready 1.5'")
    ):
        report.assert_ok()


def test_empty_folder_is_not_ok(tmp_path: Path) -> None:
    """A folder without any health_test.yaml does not pass silently."""
    report = run_health_tests(tmp_path)
    assert not report.ok
    with pytest.raises(AssertionError, match=r"no health_test\.yaml"):
        report.assert_ok()


def test_bad_expected_status_is_a_clear_error(tmp_path: Path, write_script: WriteScript) -> None:
    """A health_test.yaml expecting a status that does not exist is reported by file."""
    folder = _case_folder(tmp_path, write_script, "ready 1.5") / "example.com" / "Widget"
    text = (folder / "health_test.yaml").read_text().replace("Healthy", "Fine")
    (folder / "health_test.yaml").write_text(text)
    with pytest.raises(HealthError, match="not one of Argo CD's codes"):
        run_health_tests(tmp_path)
