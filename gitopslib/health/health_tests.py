"""Run Argo CD-style ``health_test.yaml`` files against their ``health.lua`` scripts.

Argo CD keeps a ``health_test.yaml`` beside every ``health.lua``::

    tests:
    - healthStatus:
        status: Degraded
        message: "CronJob has not completed its last execution successfully"
      inputPath: testdata/degraded.yaml

:func:`run_health_tests` finds every such file under a folder, runs each case through the
gitopslib Lua runtime (with open libs, as Argo CD's test walker does) and compares status and
message exactly. Reading the folder is the point of this helper, so it does file IO.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gitopslib.errors import HealthError
from gitopslib.health._types import HealthStatus
from gitopslib.health.lua import LuaRuntime, default_runtime
from gitopslib.manifest import load_manifests

__all__ = ["HealthTestCase", "HealthTestReport", "run_health_tests"]


@dataclass(frozen=True)
class HealthTestCase:
    """One case of a ``health_test.yaml``: what was expected and what the script returned."""

    script: Path
    input_path: Path
    expected: HealthStatus
    actual: HealthStatus | None
    error: str = ""

    @property
    def passed(self) -> bool:
        """Exact status and message equality, as Argo CD's test walker checks."""
        return not self.error and self.actual == self.expected

    def describe(self) -> str:
        """A one-line account of the case."""
        got = self.error or (
            f"{self.actual.status}: {self.actual.message!r}" if self.actual else "None"
        )
        want = f"{self.expected.status}: {self.expected.message!r}"
        verdict = "ok" if self.passed else f"FAILED: expected {want}, got {got}"
        return f"{self.script.parent.as_posix()} {self.input_path.name}: {verdict}"


@dataclass
class HealthTestReport:
    """All cases run under a folder. Falsy when a case failed or nothing ran."""

    folder: Path
    cases: list[HealthTestCase] = field(default_factory=list)

    @property
    def failures(self) -> list[HealthTestCase]:
        """The cases that did not match."""
        return [c for c in self.cases if not c.passed]

    @property
    def ok(self) -> bool:
        """True when at least one case ran and every case passed."""
        return bool(self.cases) and not self.failures

    def __bool__(self) -> bool:
        return self.ok

    def __iter__(self) -> Iterator[HealthTestCase]:
        return iter(self.cases)

    def summary(self) -> str:
        """A readable report, one line per case."""
        lines = [c.describe() for c in self.cases]
        lines.append(f"{len(self.cases) - len(self.failures)}/{len(self.cases)} passed")
        return "\n".join(lines)

    def assert_ok(self) -> None:
        """Raise ``AssertionError`` listing every failed case (for pytest).

        >>> # in a test: run_health_tests("my-scripts").assert_ok()
        """
        if not self.cases:
            raise AssertionError(f"no health_test.yaml cases found under {self.folder}")
        if self.failures:
            raise AssertionError(
                "\n".join(c.describe() for c in self.failures)
                + f"\n{len(self.failures)} of {len(self.cases)} health test cases failed"
            )


def _expected(entry: object, test_file: Path) -> tuple[HealthStatus, Path]:
    if not isinstance(entry, dict) or not isinstance(entry.get("healthStatus"), dict):
        raise HealthError(f"{test_file}: each test needs healthStatus and inputPath")
    hs = entry["healthStatus"]
    status = hs.get("status")
    try:
        expected = HealthStatus(status if status else None, str(hs.get("message") or ""))
    except ValueError:
        raise HealthError(
            f"{test_file}: healthStatus.status {status!r} is not one of Argo CD's codes",
            file=str(test_file),
        ) from None
    return expected, Path(str(entry.get("inputPath") or ""))


def run_health_tests(
    folder: str | os.PathLike[str], *, runtime: LuaRuntime | None = None
) -> HealthTestReport:
    """Run every ``health_test.yaml`` under ``folder`` through gitopslib's Lua runtime.

    >>> from importlib import resources
    >>> report = run_health_tests(str(resources.files("gitopslib.health") / "scripts"))
    >>> report.ok
    True
    """
    root = Path(folder)
    if not root.is_dir():
        raise HealthError(f"{root}: not a folder", file=str(root))
    lua = runtime or default_runtime()
    report = HealthTestReport(root)
    for test_file in sorted(root.rglob("health_test.yaml")):
        script = test_file.parent / "health.lua"
        if not script.is_file():
            raise HealthError(f"{test_file}: no health.lua beside it", file=str(test_file))
        source = script.read_text(encoding="utf-8")
        spec = yaml.safe_load(test_file.read_text(encoding="utf-8")) or {}
        tests = spec.get("tests") if isinstance(spec, dict) else None
        if not isinstance(tests, list):
            raise HealthError(
                f"{test_file}: expected a top-level 'tests' list", file=str(test_file)
            )
        for entry in tests:
            expected, rel = _expected(entry, test_file)
            input_path = test_file.parent / rel
            docs = load_manifests(input_path)
            if len(docs) != 1:
                raise HealthError(
                    f"{input_path}: expected exactly one object", file=str(input_path)
                )
            try:
                actual: HealthStatus | None = lua.health(source, docs[0], open_libs=True)
                error = ""
            except HealthError as exc:
                actual, error = None, exc.message
            report.cases.append(HealthTestCase(script, input_path, expected, actual, error))
    return report
