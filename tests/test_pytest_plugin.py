"""The pytest plugin, exercised with pytester in inner pytest runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "01-directory-app"
APP = EXAMPLE / "application.yaml"


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester whose tests know the example app's paths as constants."""
    pytester.makeconftest(f"APP = {str(APP)!r}\nREPO = {str(EXAMPLE / 'repo')!r}\n")
    return pytester


def test_plugin_is_registered_by_entry_point(inner: pytest.Pytester) -> None:
    """A plain pytest run lists the gitops fixture without any -p option."""
    result = inner.runpytest("--fixtures")
    result.stdout.fnmatch_lines(
        ["plugins: *gitopslib-*", "gitops ?session scope? -- *gitopslib*pytest_plugin.py*"]
    )


def test_fixture_renders_compares_and_plans(inner: pytest.Pytester) -> None:
    """render, compare and plan work from the fixture, against an empty cluster by default."""
    inner.makepyfile(
        """
        from conftest import APP, REPO

        def test_app(gitops):
            result = gitops.render(APP, repo_root=REPO)
            kinds = sorted(o["kind"] for o in result.manifests)
            assert kinds == ["ConfigMap", "Deployment", "Service"]
            assert gitops.compare(APP, repo_root=REPO).sync_status == "OutOfSync"
            plan = gitops.plan(APP, repo_root=REPO)
            gitops.assert_plan_order(plan, ["Namespace/guestbook", "ConfigMap/guestbook-settings",
                                            "Deployment/guestbook-ui"])
        """
    )
    inner.runpytest().assert_outcomes(passed=1)


def test_assert_no_drift_failure_shows_the_diff(inner: pytest.Pytester) -> None:
    """A drifted live Deployment fails assert_no_drift with its unified diff in the message."""
    inner.makepyfile(
        """
        import copy
        from conftest import APP, REPO

        def test_drift(gitops):
            live = copy.deepcopy(gitops.render(APP, repo_root=REPO).manifests)
            for obj in live:
                meta = obj["metadata"]
                meta["namespace"] = "guestbook"
                group = obj["apiVersion"].rpartition("/")[0]
                meta["annotations"] = {"argocd.argoproj.io/tracking-id":
                    f"guestbook:{group}/{obj['kind']}:guestbook/{meta['name']}"}
                if obj["kind"] == "Deployment":
                    obj["spec"]["replicas"] = 7
            gitops.assert_no_drift(gitops.compare(APP, live, repo_root=REPO))
        """
    )
    result = inner.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*1 resource(s) drifted from Git:*",
            "*apps/Deployment guestbook/guestbook-ui (differs)*",
            "*-  replicas: 7*",
            "*+  replicas: 2*",
        ]
    )


def test_assert_plan_order_failure_lists_the_plan(inner: pytest.Pytester) -> None:
    """Asking for the Deployment before the ConfigMap fails with the actual order shown."""
    inner.makepyfile(
        """
        from conftest import APP, REPO

        def test_order(gitops):
            plan = gitops.plan(APP, repo_root=REPO)
            gitops.assert_plan_order(
                plan, ["Deployment/guestbook-ui", "ConfigMap/guestbook-settings"]
            )
        """
    )
    result = inner.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*'ConfigMap/guestbook-settings' comes at position 2, "
            "before 'Deployment/guestbook-ui'*",
            "*2. Sync/0: ConfigMap/guestbook-settings*",
        ]
    )


def test_assert_only_changes(inner: pytest.Pytester) -> None:
    """Allowed paths pass; a change outside them fails with the unexpected path and a diff."""
    inner.makepyfile(
        """
        import copy
        import pytest
        from conftest import APP, REPO

        def test_changes(gitops):
            base = gitops.render(APP, repo_root=REPO)
            head = copy.deepcopy(base.manifests)
            dep = next(o for o in head if o["kind"] == "Deployment")
            dep["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
            gitops.assert_only_changes(base, head, paths=["Deployment/guestbook-ui:/spec/template"])
            dep["spec"]["replicas"] = 4
            gitops.assert_only_changes(base, head, paths=["/spec/template/spec/containers/*/image"])
        """
    )
    result = inner.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*unexpected changes (allowed: /spec/template/spec/containers/*/image):*",
            "*apps/Deployment/guestbook-ui: /spec/replicas*",
            "*-  replicas: 2*",
            "*+  replicas: 4*",
        ]
    )


def test_no_autouse_fixture(inner: pytest.Pytester) -> None:
    """The plugin adds nothing to a test that does not ask for it."""
    inner.makepyfile(
        """
        def test_plain(request):
            assert "gitops" not in request.fixturenames
        """
    )
    inner.runpytest().assert_outcomes(passed=1)


def test_ini_repo_root(inner: pytest.Pytester) -> None:
    """gitops_repo_root in the ini file makes render use that folder for every repo URL."""
    inner.makeini(f"[pytest]\ngitops_repo_root = {EXAMPLE / 'repo'}\n")
    inner.makepyfile(
        """
        from conftest import APP

        def test_render(gitops):
            assert len(gitops.render(APP).manifests) == 3
            assert gitops.cache_dir is not None and gitops.cache_dir.is_dir()
        """
    )
    inner.runpytest().assert_outcomes(passed=1)


def test_plugin_import_is_cheap() -> None:
    """Importing the plugin loads nothing beyond the gitopslib package itself: no testing
    helpers, engines or clients until a test asks for the fixture."""
    code = (
        "import sys\n"
        "import gitopslib, pytest\n"
        "before = set(sys.modules)\n"
        "import gitopslib.pytest_plugin\n"
        "added = set(sys.modules) - before - {'gitopslib.pytest_plugin'}\n"
        "heavy = ('gitopslib.testing', 'gitopslib.git', 'gitopslib.cluster', 'dulwich',"
        " 'kubernetes', 'helm_python', '_gojsonnet', 'lupa')\n"
        "print(sorted(added), sorted(m for m in sys.modules if m.partition('.')[0] in heavy"
        " or m.rpartition('.')[0] in heavy or m in heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[] []"


def test_assertion_failure_points_at_the_test_line(inner: pytest.Pytester) -> None:
    """A failing helper is reported at the line of the test that called it: gitopslib's own
    frames (their source, their long argument reprs) are hidden from the report."""
    inner.makepyfile(
        test_hidden="""
        from conftest import APP, REPO
        from gitopslib.testing import assert_plan_order

        def test_order(gitops):
            plan = gitops.plan(APP, repo_root=REPO)
            gitops.assert_plan_order(plan, ["Deployment/guestbook-ui", "ConfigMap/*"])

        def test_order_plain(gitops):
            assert_plan_order(gitops.plan(APP, repo_root=REPO), ["Secret/none"])
        """
    )
    result = inner.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["test_hidden.py:6: AssertionError", "test_hidden.py:9: Assert*"])
    text = result.stdout.str()
    assert "def assert_plan_order" not in text
    assert "gitopslib/testing.py" not in text
    assert "plan = SyncPlan(" not in text


def test_relative_paths_resolve_from_the_rootdir(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Relative app and live paths (as the docs write them) work when pytest runs from
    another directory: they are looked up under the rootdir."""
    import shutil

    shutil.copytree(EXAMPLE, pytester.path / "deploy")
    pytester.makeini("[pytest]\ngitops_repo_root = deploy/repo\n")
    pytester.makepyfile(
        test_rel="""
        def test_render(gitops):
            assert len(gitops.render("deploy/application.yaml").manifests) == 3
            assert gitops.compare("deploy/application.yaml", live="deploy/repo").sync_status
        """
    )
    elsewhere = pytester.path / "sub"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = pytester.runpytest(str(pytester.path / "test_rel.py"), f"--rootdir={pytester.path}")
    result.assert_outcomes(passed=1)


def test_bare_kind_matches_any_object_of_that_kind() -> None:
    """``"Kind"`` alone in assert_plan_order matches any task of that kind (docs: items
    are ``Kind/name`` or a bare ``Kind``)."""
    from gitopslib.sync import SyncPlan, SyncTask
    from gitopslib.testing import assert_plan_order

    plan = SyncPlan(
        tasks=[
            SyncTask("Sync", 0, "", "ConfigMap", "ns", "cfg", "create"),
            SyncTask("Sync", 1, "apps", "Deployment", "ns", "web", "create"),
        ]
    )
    assert_plan_order(plan, ["ConfigMap", "Deployment"])
    with pytest.raises(AssertionError, match="'ConfigMap' comes at position 1"):
        assert_plan_order(plan, ["Deployment", "ConfigMap"])
