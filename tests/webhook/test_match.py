"""apps_for_webhook: which Applications a verified push refreshes."""

from __future__ import annotations

import pytest
from webhook_samples import payload, sign

import gitopslib as g
from gitopslib.webhook import PushEvent, apps_for_webhook, parse_webhook, url_matches

REPO = "https://github.com/example-org/gitops-apps"


def _app(
    name: str,
    *,
    path: str = "apps/web",
    revision: str | None = "main",
    repo: str = REPO + ".git",
    paths: str | None = None,
    sources: str | None = None,
) -> g.Application:
    annotations = (
        f"\n  annotations:\n    argocd.argoproj.io/manifest-generate-paths: '{paths}'"
        if paths is not None
        else ""
    )
    rev = f", targetRevision: '{revision}'" if revision is not None else ""
    spec_source = sources or f"  source: {{repoURL: '{repo}', path: '{path}'{rev}}}"
    return g.Application.from_yaml(
        f"""apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}{annotations}
spec:
{spec_source}
  destination: {{name: in-cluster, namespace: {name}}}
"""
    )


def _push(files: tuple[str, ...] | None, revision: str = "main", head: bool = True) -> PushEvent:
    ref = ("refs/tags/" if revision.startswith("v") else "refs/heads/") + revision
    return PushEvent("github", REPO, revision, ref, files, (REPO,), touched_head=head)


def _names(apps: list[g.Application]) -> list[str]:
    return [a.metadata.name for a in apps]


def test_real_github_payload_selects_by_path() -> None:
    """The signed GitHub sample refreshes the app whose path it touched and not the other."""
    body = payload("github-push")
    headers = {"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign("s", body)}
    ev = parse_webhook(headers, body, {"github": "s"})
    web = _app("web", path="apps/web", paths=".")
    api = _app("api", path="apps/api", paths=".")
    assert _names(apps_for_webhook(ev, [web, api])) == ["web"]


def test_no_annotation_refreshes_on_any_change() -> None:
    """Without manifest-generate-paths every push to the repo and revision refreshes the app."""
    assert _names(apps_for_webhook(_push(("README.md",)), [_app("web")])) == ["web"]


def test_no_file_list_refreshes_annotated_apps() -> None:
    """A provider that sends no file list (Bitbucket) refreshes annotated apps too."""
    assert _names(apps_for_webhook(_push(None), [_app("web", paths=".")])) == ["web"]


@pytest.mark.parametrize(
    ("paths", "changed", "expected"),
    [
        (".", "apps/web/deploy.yaml", True),
        (".", "apps/webby/deploy.yaml", False),
        ("../common", "apps/common/labels.yaml", True),
        ("/shared", "shared/x/y.yaml", True),
        ("/shared", "apps/web/shared/y.yaml", False),
        (".;/shared", "shared/z.yaml", True),
        (" . ; /shared ", "shared/z.yaml", True),
        ("/charts/*.yaml", "charts/values.yaml", True),
        ("/charts/*.yaml", "charts/sub/values.yaml", False),
        ("values.yaml", "apps/web/values.yaml", True),
        ("values.yaml", "apps/web/values-prod.yaml", False),
        (";", "anything.txt", True),
    ],
)
def test_manifest_generate_paths(paths: str, changed: str, expected: bool) -> None:
    """The annotation's `.`, relative, absolute, glob and `;`-separated paths, as Argo CD."""
    got = apps_for_webhook(_push((changed,)), [_app("web", paths=paths)])
    assert bool(got) is expected


@pytest.mark.parametrize(
    ("target", "pushed", "head", "expected"),
    [
        ("main", "main", True, True),
        ("main", "dev", False, False),
        ("refs/heads/main", "main", True, True),
        ("HEAD", "main", True, True),
        ("HEAD", "dev", False, False),
        (None, "main", True, True),
        ("v1.2.0", "v1.2.0", False, True),
        ("refs/tags/v1.2.0", "v1.2.0", False, True),
        (">=1.0.0 <2.0.0", "v1.4.2", False, True),
        ("~1.4", "v1.5.0", False, False),
        ("feature/a", "feature/a", False, True),
        ("feature/a", "feature/b", False, False),
    ],
)
def test_target_revision(target: str | None, pushed: str, head: bool, expected: bool) -> None:
    """targetRevision vs the pushed branch or tag: HEAD means the default branch, constraints."""
    app = _app("web", revision=target)
    got = apps_for_webhook(_push(("apps/web/a.yaml",), pushed, head), [app])
    assert bool(got) is expected


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        ("https://github.com/example-org/gitops-apps.git", True),
        ("https://github.com/example-org/gitops-apps", True),
        ("HTTPS://GitHub.com/Example-Org/gitops-apps", True),
        ("git@github.com:example-org/gitops-apps.git", True),
        ("ssh://git@github.com/example-org/gitops-apps.git", True),
        ("ssh://git@ssh.github.com:443/example-org/gitops-apps.git", True),
        ("https://github.com/example-org/gitops-apps-2.git", False),
        ("https://github.com/other-org/gitops-apps.git", False),
        ("https://gitlab.com/example-org/gitops-apps.git", False),
    ],
)
def test_repo_url_forms(repo: str, expected: bool) -> None:
    """Every spelling of the same repository matches; other repositories do not."""
    assert url_matches(REPO, repo) is expected


def test_bitbucket_server_clone_links_match() -> None:
    """A Bitbucket Server push matches apps by either clone link."""
    body = payload("bitbucketserver-push")
    ev = parse_webhook({"X-Event-Key": "repo:refs_changed"}, body)
    ssh_app = _app("a", repo="ssh://git@bitbucket.example.com:7999/ops/deploy.git")
    http_app = _app("b", repo="https://bitbucket.example.com/scm/ops/deploy.git")
    other = _app("c", repo="https://bitbucket.example.com/scm/ops/other.git")
    assert _names(apps_for_webhook(ev, [ssh_app, http_app, other])) == ["a", "b"]


MULTI = """  sources:
  - repoURL: https://charts.example.com
    chart: web
    targetRevision: 1.2.3
    helm: {valueFiles: [$values/envs/prod/web.yaml]}
  - repoURL: https://github.com/example-org/gitops-apps.git
    targetRevision: main
    ref: values
"""


def test_ref_source_push_refreshes_multi_source_app() -> None:
    """A push to a `$ref` values repository refreshes the app using it."""
    app = _app("web", sources=MULTI, paths="/envs/prod")
    assert _names(apps_for_webhook(_push(("envs/prod/web.yaml",)), [app])) == ["web"]


def test_ref_source_unrelated_change_is_ignored() -> None:
    """A change outside the annotated values path does not refresh the multi-source app."""
    app = _app("web", sources=MULTI, paths="/envs/prod")
    assert apps_for_webhook(_push(("envs/dev/web.yaml",)), [app]) == []


def test_multi_source_each_source_its_own_path() -> None:
    """Relative annotation paths are joined to each source's own path."""
    sources = """  sources:
  - {repoURL: 'https://github.com/example-org/gitops-apps', path: apps/web, targetRevision: main}
  - {repoURL: 'https://github.com/example-org/gitops-apps', path: apps/db, targetRevision: main}
"""
    app = _app("web", sources=sources, paths=".")
    assert _names(apps_for_webhook(_push(("apps/db/sts.yaml",)), [app])) == ["web"]
    assert apps_for_webhook(_push(("apps/cache/sts.yaml",)), [app]) == []


def test_ping_refreshes_nothing() -> None:
    """No event (a ping) refreshes no app."""
    assert apps_for_webhook(None, [_app("web")]) == []
