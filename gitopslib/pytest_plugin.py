"""pytest plugin for deployment checks: a ``gitops`` fixture that renders, compares and plans
Applications, with assertion helpers whose failures show a readable diff.

Registered through the ``pytest11`` entry point, so every pytest session of a project that
installs gitopslib loads it: importing it is cheap (only pytest), the heavy modules are
imported when a test first asks for the fixture, and it defines no autouse fixtures.

.. code-block:: python

    def test_guestbook_plan(gitops):
        plan = gitops.plan("deploy/guestbook.yaml", live="snapshots/prod")
        gitops.assert_plan_order(plan, ["ConfigMap/settings", "Deployment/web"])

Configuration (``pytest.ini``/``pyproject.toml``): ``gitops_repo_root`` renders every
repository URL from that local folder (relative to the rootdir) instead of cloning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from gitopslib.testing import GitOps

__all__ = ["gitops", "pytest_addoption"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ``gitops_repo_root`` ini option."""
    parser.addini(
        "gitops_repo_root",
        "local checkout the gitops fixture renders every repository URL from",
        default="",
    )


@pytest.fixture(scope="session")
def gitops(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> GitOps:
    """A :class:`gitopslib.testing.GitOps` for this session: ``render(app)``,
    ``compare(app, live)``, ``plan(app, live)`` and the ``assert_*`` helpers, with a Git and
    render cache in a per-session temporary folder."""
    from gitopslib.testing import GitOps

    configured = str(pytestconfig.getini("gitops_repo_root") or "")
    repo_root = pytestconfig.rootpath / configured if configured else None
    cache_dir = tmp_path_factory.mktemp("gitopslib-cache")
    # relative app / live / manifest paths work from any working directory
    return GitOps(repo_root=repo_root, cache_dir=cache_dir, base_dir=pytestconfig.rootpath)
