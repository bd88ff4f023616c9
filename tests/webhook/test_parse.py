"""parse_webhook: provider detection, signature checks, size limits and payload reading."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
from webhook_samples import basic, payload, sign

import gitopslib as g
from gitopslib.webhook import PushEvent, WebhookSecrets, parse_webhook

SECRETS = {
    "github": "gh-s3cret",
    "gitlab": "gl-s3cret",
    "bitbucket": "{8d3c2f1e-uuid}",
    "bitbucketserver": "bbs-s3cret",
    "gogs": "gogs-s3cret",
    "azuredevops.username": "hook",
    "azuredevops.password": "pa55",
}


def _github(body: bytes, secret: str = "gh-s3cret", event: str = "push") -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "X-Hub-Signature-256": "sha256=" + sign(secret, body),
        "Content-Type": "application/json",
    }


def _status(exc: pytest.ExceptionInfo[g.WebhookError]) -> int:
    return int(exc.value.status)


# --- GitHub ---------------------------------------------------------------------------------


def test_github_push_signed_sha256() -> None:
    """A GitHub push with the right X-Hub-Signature-256 yields the branch and changed files."""
    body = payload("github-push")
    ev = parse_webhook(_github(body), body, SECRETS)
    assert ev == PushEvent(
        provider="github",
        repo_url="https://github.com/example-org/gitops-apps",
        revision="main",
        ref="refs/heads/main",
        changed_files=("apps/web/hpa.yaml", "apps/web/deployment.yaml", "docs/old.md"),
        repo_urls=("https://github.com/example-org/gitops-apps",),
        before="6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        after="0000000000000000000000000000000000000001",
        touched_head=True,
        event="push",
    )


def test_github_wrong_signature_is_401() -> None:
    """A signature made with another secret is refused with 401."""
    body = payload("github-push")
    with pytest.raises(g.WebhookError) as exc:
        parse_webhook(_github(body, secret="not-it"), body, SECRETS)
    assert _status(exc) == 401
    assert "gh-s3cret" not in str(exc.value)


def test_github_signature_of_other_body_is_401() -> None:
    """A valid signature of a different body does not verify a tampered body."""
    body = payload("github-push")
    tampered = body.replace(b"apps/web/hpa.yaml", b"apps/api/hpa.yaml")
    with pytest.raises(g.WebhookError) as exc:
        parse_webhook(_github(body), tampered, SECRETS)
    assert _status(exc) == 401


def test_github_missing_signature_with_secret_is_401() -> None:
    """With a secret configured, a request without any signature header is refused."""
    body = payload("github-push")
    with pytest.raises(g.WebhookError) as exc:
        parse_webhook({"X-GitHub-Event": "push"}, body, SECRETS)
    assert _status(exc) == 401
    assert "X-Hub-Signature-256" in str(exc.value)


def test_github_sha1_fallback() -> None:
    """An X-Hub-Signature (SHA-1) alone is checked when no SHA-256 header came."""
    body = payload("github-push")
    ok = {"X-GitHub-Event": "push", "X-Hub-Signature": "sha1=" + sign("gh-s3cret", body, "sha1")}
    assert parse_webhook(ok, body, SECRETS) is not None
    bad = {"X-GitHub-Event": "push", "X-Hub-Signature": "sha1=" + sign("x", body, "sha1")}
    with pytest.raises(g.WebhookError):
        parse_webhook(bad, body, SECRETS)


def test_github_sha256_wins_over_sha1() -> None:
    """When both headers come, a wrong SHA-256 signature is not rescued by a right SHA-1 one."""
    body = payload("github-push")
    headers = _github(body, secret="wrong")
    headers["X-Hub-Signature"] = "sha1=" + sign("gh-s3cret", body, "sha1")
    with pytest.raises(g.WebhookError):
        parse_webhook(headers, body, SECRETS)


def test_github_ping_is_verified_and_needs_no_work() -> None:
    """A signed ping returns None; an unsigned one is still refused."""
    body = payload("github-ping")
    assert parse_webhook(_github(body, event="ping"), body, SECRETS) is None
    with pytest.raises(g.WebhookError):
        parse_webhook({"X-GitHub-Event": "ping"}, body, SECRETS)


def test_github_other_event_needs_no_work() -> None:
    """A verified event that is not a push (an issue comment) returns None."""
    body = b'{"action": "created", "issue": {"number": 1}}'
    assert parse_webhook(_github(body, event="issue_comment"), body, SECRETS) is None


def test_github_form_encoded_payload() -> None:
    """The form content type (payload=<json>) is read too, signature over the raw form."""
    form = urlencode({"payload": payload("github-push").decode()}).encode()
    headers = _github(form)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    ev = parse_webhook(headers, form, SECRETS)
    assert ev is not None and ev.revision == "main"


def test_github_unsigned_accepted_without_secret() -> None:
    """Without a GitHub secret Argo CD accepts the payload unverified; so do we by default."""
    body = payload("github-push")
    ev = parse_webhook({"X-GitHub-Event": "push"}, body, {"gitlab": "x"})
    assert ev is not None and ev.provider == "github"


def test_require_secret_refuses_unconfigured_provider() -> None:
    """require_secret=True refuses a provider that has no secret configured."""
    body = payload("github-push")
    with pytest.raises(g.WebhookError) as exc:
        parse_webhook({"X-GitHub-Event": "push"}, body, {"gitlab": "x"}, require_secret=True)
    assert _status(exc) == 401


# --- GitLab ---------------------------------------------------------------------------------


def test_gitlab_push_with_token() -> None:
    """A GitLab push with the right X-Gitlab-Token names the project web URL and files."""
    body = payload("gitlab-push")
    headers = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "gl-s3cret"}
    ev = parse_webhook(headers, body, SECRETS)
    assert ev is not None
    assert (ev.provider, ev.repo_url, ev.revision) == (
        "gitlab",
        "https://gitlab.example.com/infra/platform",
        "main",
    )
    assert ev.changed_files == ("envs/prod/api/values.yaml",)
    assert ev.touched_head


def test_gitlab_wrong_or_missing_token_is_401() -> None:
    """A wrong token and a missing token are both refused."""
    body = payload("gitlab-push")
    for headers in (
        {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "gl-s3cre"},
        {"X-Gitlab-Event": "Push Hook"},
    ):
        with pytest.raises(g.WebhookError) as exc:
            parse_webhook(headers, body, SECRETS)
        assert _status(exc) == 401


def test_gitlab_tag_push() -> None:
    """A Tag Push Hook yields the tag name as revision and does not touch HEAD."""
    body = payload("gitlab-tag-push")
    headers = {"X-Gitlab-Event": "Tag Push Hook", "X-Gitlab-Token": "gl-s3cret"}
    ev = parse_webhook(headers, body, SECRETS)
    assert ev is not None
    assert (ev.revision, ev.ref, ev.touched_head, ev.changed_files) == (
        "v1.4.2",
        "refs/tags/v1.4.2",
        False,
        (),
    )


def test_gitlab_system_hook_push() -> None:
    """A System Hook carrying a push is read like a push."""
    body = payload("gitlab-push")
    headers = {"X-Gitlab-Event": "System Hook", "X-Gitlab-Token": "gl-s3cret"}
    ev = parse_webhook(headers, body, SECRETS)
    assert ev is not None and ev.revision == "main"


def test_gitlab_merge_request_needs_no_work() -> None:
    """A verified merge request hook returns None."""
    body = b'{"object_kind": "merge_request"}'
    headers = {"X-Gitlab-Event": "Merge Request Hook", "X-Gitlab-Token": "gl-s3cret"}
    assert parse_webhook(headers, body, SECRETS) is None


# --- Bitbucket Cloud and Server -------------------------------------------------------------


def test_bitbucket_cloud_push_with_uuid() -> None:
    """A Bitbucket Cloud repo:push with the configured X-Hook-UUID yields the branch, no files."""
    body = payload("bitbucket-push")
    headers = {"X-Event-Key": "repo:push", "X-Hook-UUID": "{8d3c2f1e-uuid}"}
    ev = parse_webhook(headers, body, SECRETS)
    assert ev is not None
    assert (ev.repo_url, ev.revision, ev.ref) == (
        "https://bitbucket.org/teamx/cluster-config",
        "release/2026.12",
        "refs/heads/release/2026.12",
    )
    assert ev.changed_files is None
    assert ev.after == "709d658dc5b6d6afcd46049c2f332ee3f515a67d"


def test_bitbucket_cloud_wrong_or_missing_uuid_is_401() -> None:
    """Another UUID, or a repo:push without X-Hook-UUID, is refused when a UUID is set."""
    body = payload("bitbucket-push")
    for headers in (
        {"X-Event-Key": "repo:push", "X-Hook-UUID": "{other}"},
        {"X-Event-Key": "repo:push"},
    ):
        with pytest.raises(g.WebhookError) as exc:
            parse_webhook(headers, body, SECRETS)
        assert _status(exc) == 401


def test_bitbucket_server_push_signed() -> None:
    """A Bitbucket Server refs_changed with the right X-Hub-Signature lists both clone URLs."""
    body = payload("bitbucketserver-push")
    headers = {
        "X-Event-Key": "repo:refs_changed",
        "X-Hub-Signature": "sha256=" + sign("bbs-s3cret", body),
        "X-Request-Id": "b8e4b9d1",
    }
    ev = parse_webhook(headers, body, SECRETS)
    assert ev is not None
    assert ev.repo_urls == (
        "ssh://git@bitbucket.example.com:7999/ops/deploy.git",
        "https://bitbucket.example.com/scm/ops/deploy.git",
    )
    assert (ev.revision, ev.touched_head, ev.changed_files) == ("main", True, None)


def test_bitbucket_server_bad_signature_is_401() -> None:
    """A Bitbucket Server signature with another secret is refused."""
    body = payload("bitbucketserver-push")
    headers = {"X-Event-Key": "repo:refs_changed", "X-Hub-Signature": "sha256=" + sign("x", body)}
    with pytest.raises(g.WebhookError):
        parse_webhook(headers, body, SECRETS)


def test_bitbucket_server_ping_needs_no_work() -> None:
    """The "Test connection" ping (diagnostics:ping) returns None once verified."""
    body = payload("bitbucketserver-ping")
    headers = {
        "X-Event-Key": "diagnostics:ping",
        "X-Hub-Signature": "sha256=" + sign("bbs-s3cret", body),
    }
    assert parse_webhook(headers, body, SECRETS) is None


# --- Gogs and Azure DevOps ------------------------------------------------------------------


def test_gogs_push_signed() -> None:
    """A Gogs push with the right X-Gogs-Signature (bare hex) is read."""
    body = payload("gogs-push")
    headers = {"X-Gogs-Event": "push", "X-Gogs-Signature": sign("gogs-s3cret", body)}
    ev = parse_webhook(headers, body, SECRETS)
    assert ev is not None
    assert (ev.repo_url, ev.changed_files) == (
        "https://gogs.example.com/ops/deploy",
        ("shared/labels.yaml",),
    )


def test_gogs_bad_signature_is_401() -> None:
    """A Gogs signature with another secret is refused."""
    body = payload("gogs-push")
    with pytest.raises(g.WebhookError):
        parse_webhook({"X-Gogs-Event": "push", "X-Gogs-Signature": sign("x", body)}, body, SECRETS)


def test_azure_devops_push_with_basic_auth() -> None:
    """An Azure DevOps git.push with the right Basic credentials yields the remote URL."""
    body = payload("azuredevops-push")
    headers = {"X-Vss-Activityid": "f1a2", "Authorization": basic("hook", "pa55")}
    ev = parse_webhook(headers, body, SECRETS)
    assert ev is not None
    assert (ev.repo_url, ev.revision, ev.touched_head, ev.changed_files) == (
        "https://dev.azure.com/fabrikam/Fabrikam-Fiber-Git/_git/Fabrikam-Fiber-Git",
        "main",
        True,
        None,
    )


def test_azure_devops_wrong_or_missing_auth_is_401() -> None:
    """A wrong password, a missing header and a non-Basic scheme are refused."""
    body = payload("azuredevops-push")
    for auth in (basic("hook", "nope"), None, "Bearer abc"):
        headers = {"X-Vss-Activityid": "f1a2"}
        if auth:
            headers["Authorization"] = auth
        with pytest.raises(g.WebhookError) as exc:
            parse_webhook(headers, body, SECRETS)
        assert _status(exc) == 401


# --- limits and malformed input -------------------------------------------------------------


def test_oversized_body_is_413_before_anything_else() -> None:
    """A body over the limit is refused with 413 without looking at its signature."""
    body = payload("github-push")
    with pytest.raises(g.WebhookError) as exc:
        parse_webhook(_github(body), body, SECRETS, max_payload_size=len(body) - 1)
    assert _status(exc) == 413
    assert parse_webhook(_github(body), body, SECRETS, max_payload_size=len(body)) is not None


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"ref": 5}', b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000],
)
def test_malformed_body_is_400(body: bytes) -> None:
    """Invalid JSON, a non-object, a wrong field type or absurd nesting is a 400."""
    with pytest.raises(g.WebhookError) as exc:
        parse_webhook(_github(body), body, SECRETS)
    assert _status(exc) == 400


def test_missing_field_names_it() -> None:
    """A push without repository.html_url is a 400 naming the field."""
    body = json.dumps({"ref": "refs/heads/main", "repository": {}}).encode()
    with pytest.raises(g.WebhookError) as exc:
        parse_webhook(_github(body), body, SECRETS)
    assert _status(exc) == 400
    assert "repository.html_url" in str(exc.value)


def test_unknown_provider_is_400() -> None:
    """A request without any provider header is a 400."""
    with pytest.raises(g.WebhookError) as exc:
        parse_webhook({"Content-Type": "application/json"}, b"{}", SECRETS)
    assert _status(exc) == 400


def test_headers_are_case_insensitive() -> None:
    """Header names match whatever their case (HTTP/2 proxies lower-case them)."""
    body = payload("github-push")
    lower = {k.lower(): v for k, v in _github(body).items()}
    assert parse_webhook(list(lower.items()), body, SECRETS) is not None


# --- secrets --------------------------------------------------------------------------------


def test_secrets_from_argocd_secret_object() -> None:
    """An argocd-secret object (data base64, stringData plain) configures the providers."""
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "argocd-secret"},
        "data": {
            "webhook.github.secret": base64.b64encode(b"gh-s3cret").decode(),
            "admin.password": base64.b64encode(b"ignored").decode(),
        },
        "stringData": {"webhook.gitlab.secret": "gl-s3cret"},
    }
    parsed = WebhookSecrets.from_secret(secret)
    assert parsed.configured() == ["github", "gitlab"]
    body = payload("github-push")
    assert parse_webhook(_github(body), body, secret) is not None
    with pytest.raises(g.WebhookError):
        parse_webhook({"X-GitHub-Event": "push"}, body, secret)


def test_secrets_never_print() -> None:
    """repr of the secrets names providers only."""
    text = repr(WebhookSecrets.from_mapping(SECRETS))
    assert "s3cret" not in text and "pa55" not in text
    assert "github" in text


def test_unknown_secret_key_is_an_error() -> None:
    """A misspelt key is an error rather than silently unverified webhooks."""
    with pytest.raises(g.WebhookError, match="githbu"):
        WebhookSecrets.from_mapping({"githbu": "x"})
