"""``parse_webhook``: verify a Git provider's push notification and read what it says.

Providers are detected by header in Argo CD's order (argocd-semantics §11.1): Azure DevOps
(``X-Vss-Activityid``), Gogs (``X-Gogs-Event``), GitHub (``X-GitHub-Event``), GitLab
(``X-Gitlab-Event``), Bitbucket Cloud (``X-Hook-UUID``), Bitbucket Server (``X-Event-Key``).
The size limit is checked before anything else, then the signature (over the raw bytes),
then the JSON. Every comparison with a secret is constant-time.

Differences from Argo CD, on purpose: a recognised provider's event that is not a push (a
ping, an issue comment) returns ``None`` ("nothing to do") instead of a 400, so providers do
not mark the hook as failing; with ``require_secret=True`` a provider without a configured
secret is refused instead of accepted unverified.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from gitopslib.errors import WebhookError
from gitopslib.webhook._secrets import WebhookSecrets

__all__ = ["DEFAULT_MAX_PAYLOAD_SIZE", "PushEvent", "parse_revision", "parse_webhook"]

#: Argo CD's default ``webhook.maxPayloadSizeMB`` (50 MiB).
DEFAULT_MAX_PAYLOAD_SIZE = 50 * 1024 * 1024

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass(frozen=True)
class PushEvent:
    """A verified push: which repository, which branch or tag, which files.

    ``repo_url`` is the repository's web URL as the provider sent it (``repo_urls`` every
    URL it named: Bitbucket Server sends its clone links); ``ref`` the full ref
    (``refs/heads/main``) and ``revision`` the branch or tag name (``main``; slashes kept);
    ``changed_files`` every added, modified or removed path of the pushed commits, or None
    when the provider does not send them (Bitbucket, Azure DevOps): then every app on the
    repository and revision is refreshed. ``touched_head``: the push went to the default
    branch (apps at ``HEAD`` care). ``before``/``after``: the commit SHAs when known.
    """

    provider: str
    repo_url: str
    revision: str
    ref: str
    changed_files: tuple[str, ...] | None = None
    repo_urls: tuple[str, ...] = ()
    before: str | None = None
    after: str | None = None
    touched_head: bool = False
    event: str = "push"


def parse_revision(ref: str) -> str:
    """Argo CD's ``ParseRevision``: the text after the second ``/`` (``refs/heads/a/b`` ->
    ``a/b``); anything without two slashes is returned as is.

    >>> parse_revision("refs/heads/feature/x"), parse_revision("main")
    ('feature/x', 'main')
    """
    parts = ref.split("/", 2)
    return parts[2] if len(parts) == 3 else ref


def _headers(headers: Headers) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for key, value in items:
        out[str(key).lower()] = str(value)
    return out


def _refuse(status: int, message: str, provider: str | None = None) -> WebhookError:
    return WebhookError(message, status=status, provider=provider)


def _equal(a: str | bytes, b: str | bytes) -> bool:
    """Constant time, and independent of the lengths (both sides hashed first)."""
    left = a.encode("utf-8") if isinstance(a, str) else a
    right = b.encode("utf-8") if isinstance(b, str) else b
    return hmac.compare_digest(hashlib.sha512(left).digest(), hashlib.sha512(right).digest())


def _check_hmac(
    provider: str, header: str, given: str | None, secret: str, body: bytes, algo: str
) -> None:
    if given is None or not given.strip():
        raise _refuse(401, f"{provider} webhook: missing {header} header", provider)
    given = given.strip()
    prefix = f"{algo}="
    if given.lower().startswith(prefix):
        given = given[len(prefix) :]
    expected = hmac.new(secret.encode("utf-8"), body, algo).hexdigest()
    if not _equal(given.lower(), expected):
        raise _refuse(401, f"{provider} webhook: {header} does not match the secret", provider)


def _verify(provider: str, h: Mapping[str, str], body: bytes, secrets: WebhookSecrets) -> None:
    if provider == "github":
        if "x-hub-signature-256" in h or "x-hub-signature" not in h:
            _check_hmac(
                provider,
                "X-Hub-Signature-256",
                h.get("x-hub-signature-256"),
                secrets.github,
                body,
                "sha256",
            )
        else:  # older GitHub Enterprise servers sign with SHA-1 only
            _check_hmac(
                provider, "X-Hub-Signature", h.get("x-hub-signature"), secrets.github, body, "sha1"
            )
    elif provider == "gitlab":
        token = h.get("x-gitlab-token")
        if token is None:
            raise _refuse(401, "gitlab webhook: missing X-Gitlab-Token header", provider)
        if not _equal(token, secrets.gitlab):
            raise _refuse(401, "gitlab webhook: X-Gitlab-Token does not match the secret", provider)
    elif provider == "bitbucket":
        uuid = h.get("x-hook-uuid")
        if uuid is None:
            raise _refuse(401, "bitbucket webhook: missing X-Hook-UUID header", provider)
        if not _equal(uuid.strip(), secrets.bitbucket):
            raise _refuse(401, "bitbucket webhook: X-Hook-UUID does not match", provider)
    elif provider == "bitbucketserver":
        _check_hmac(
            provider,
            "X-Hub-Signature",
            h.get("x-hub-signature"),
            secrets.bitbucketserver,
            body,
            "sha256",
        )
    elif provider == "gogs":
        _check_hmac(
            provider, "X-Gogs-Signature", h.get("x-gogs-signature"), secrets.gogs, body, "sha256"
        )
    elif provider == "azuredevops":
        _check_basic_auth(h.get("authorization"), secrets)


def _check_basic_auth(header: str | None, secrets: WebhookSecrets) -> None:
    provider = "azuredevops"
    if header is None:
        raise _refuse(401, "azuredevops webhook: missing Authorization header", provider)
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise _refuse(401, "azuredevops webhook: Authorization is not Basic", provider)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _refuse(401, "azuredevops webhook: malformed Basic credentials", provider) from None
    user, _, password = decoded.partition(":")
    ok_user = _equal(user, secrets.azuredevops_username)
    ok_password = _equal(password, secrets.azuredevops_password)
    if not (ok_user and ok_password):
        raise _refuse(401, "azuredevops webhook: wrong username or password", provider)


def _detect(h: Mapping[str, str]) -> str | None:
    if "x-vss-activityid" in h:
        return "azuredevops"
    if "x-gogs-event" in h:
        return "gogs"
    if "x-github-event" in h:
        return "github"
    if "x-gitlab-event" in h:
        return "gitlab"
    if "x-hook-uuid" in h:
        return "bitbucket"
    if "x-event-key" in h:
        # Bitbucket Cloud also sends X-Event-Key; without X-Hook-UUID a repo:push can only be
        # a Cloud hook whose UUID header was stripped
        return "bitbucket" if h["x-event-key"].startswith("repo:push") else "bitbucketserver"
    return None


def _json(provider: str, body: bytes, h: Mapping[str, str]) -> Any:
    raw: bytes | str = body
    content_type = h.get("content-type", "").split(";")[0].strip().lower()
    if provider == "github" and content_type == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(body.decode("utf-8"), max_num_fields=16, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise _refuse(400, "github webhook: malformed form body", provider) from None
        payload = form.get("payload")
        if not payload:
            raise _refuse(400, "github webhook: form body without a payload field", provider)
        raw = payload[0]
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise _refuse(400, f"{provider} webhook: the body is not valid JSON", provider) from None
    if not isinstance(data, dict):
        raise _refuse(400, f"{provider} webhook: the body is not a JSON object", provider)
    return data


def _get(data: Any, path: str, provider: str, *, required: bool = True) -> Any:
    cur = data
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            if required:
                raise _refuse(400, f"{provider} webhook: payload field {path} is missing", provider)
            return None
    return cur


def _text(data: Any, path: str, provider: str, *, required: bool = True) -> str:
    value = _get(data, path, provider, required=required)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise _refuse(400, f"{provider} webhook: payload field {path} must be a string", provider)
    return value


def _changed(data: Any, provider: str) -> tuple[str, ...]:
    commits = data.get("commits") or []
    if not isinstance(commits, list):
        raise _refuse(400, f"{provider} webhook: payload field commits must be a list", provider)
    seen: dict[str, None] = {}
    for commit in commits:
        if not isinstance(commit, dict):
            raise _refuse(400, f"{provider} webhook: a commit is not an object", provider)
        for key in ("added", "modified", "removed"):
            files = commit.get(key) or []
            if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
                raise _refuse(
                    400, f"{provider} webhook: commits[].{key} must be a list of paths", provider
                )
            for f in files:
                seen.setdefault(f, None)
    return tuple(seen)


def _scm_push(provider: str, data: Any, repo_key: str, url_key: str, event: str) -> PushEvent:
    """GitHub, GitLab and Gogs share a shape: ref, before, after, commits, a repository."""
    ref = _text(data, "ref", provider)
    revision = parse_revision(ref)
    url = _text(data, f"{repo_key}.{url_key}", provider)
    default = _text(data, f"{repo_key}.default_branch", provider, required=False)
    return PushEvent(
        provider=provider,
        repo_url=url,
        revision=revision,
        ref=ref,
        changed_files=_changed(data, provider),
        repo_urls=(url,),
        before=_text(data, "before", provider, required=False) or None,
        after=_text(data, "after", provider, required=False) or None,
        touched_head=bool(default) and default == revision,
        event=event,
    )


def _bitbucket_cloud(data: Any) -> PushEvent:
    provider = "bitbucket"
    url = _text(data, "repository.links.html.href", provider)
    change = _get(data, "push.changes.0", provider)
    if not isinstance(change, dict):
        raise _refuse(400, "bitbucket webhook: push.changes[0] must be an object", provider)
    side = change.get("new") or change.get("old")
    if not isinstance(side, dict) or not isinstance(side.get("name"), str):
        raise _refuse(400, "bitbucket webhook: push.changes[0].new.name is missing", provider)
    name = side["name"]
    prefix = "refs/tags/" if side.get("type") == "tag" else "refs/heads/"
    new_hash = _text(change, "new.target.hash", provider, required=False)
    old_hash = _text(change, "old.target.hash", provider, required=False)
    return PushEvent(
        provider=provider,
        repo_url=url,
        revision=name,
        ref=prefix + name,
        changed_files=None,
        repo_urls=(url,),
        before=old_hash or None,
        after=new_hash or None,
        touched_head=True,  # Argo CD assumes so without an API call to the default branch
        event="repo:push",
    )


def _bitbucket_server(data: Any) -> PushEvent:
    provider = "bitbucketserver"
    links = _get(data, "repository.links.clone", provider)
    if not isinstance(links, list):
        raise _refuse(400, "bitbucketserver webhook: repository.links.clone must be a list")
    urls = tuple(
        str(link["href"])
        for link in links
        if isinstance(link, dict)
        and link.get("name") in ("http", "ssh")
        and isinstance(link.get("href"), str)
    )
    if not urls:
        raise _refuse(400, "bitbucketserver webhook: no http or ssh clone link", provider)
    ref = _text(data, "changes.0.ref.id", provider)
    return PushEvent(
        provider=provider,
        repo_url=urls[0],
        revision=parse_revision(ref),
        ref=ref,
        changed_files=None,
        repo_urls=urls,
        before=_text(data, "changes.0.fromHash", provider, required=False) or None,
        after=_text(data, "changes.0.toHash", provider, required=False) or None,
        touched_head=True,
        event="repo:refs_changed",
    )


def _azure(data: Any) -> PushEvent | None:
    provider = "azuredevops"
    if data.get("eventType") != "git.push":
        return None
    url = _text(data, "resource.repository.remoteUrl", provider)
    ref = _text(data, "resource.refUpdates.0.name", provider)
    default = _text(data, "resource.repository.defaultBranch", provider, required=False)
    return PushEvent(
        provider=provider,
        repo_url=url,
        revision=parse_revision(ref),
        ref=ref,
        changed_files=None,
        repo_urls=(url,),
        before=_text(data, "resource.refUpdates.0.oldObjectId", provider, required=False) or None,
        after=_text(data, "resource.refUpdates.0.newObjectId", provider, required=False) or None,
        touched_head=bool(default) and default == ref,
        event="git.push",
    )


def _event(provider: str, h: Mapping[str, str], data: Any) -> PushEvent | None:
    if provider == "github":
        event = h.get("x-github-event", "")
        return (
            _scm_push(provider, data, "repository", "html_url", event) if event == "push" else None
        )
    if provider == "gitlab":
        event = h.get("x-gitlab-event", "")
        kind = data.get("object_kind")
        if event in ("Push Hook", "Tag Push Hook") or (
            event == "System Hook" and kind in ("push", "tag_push")
        ):
            return _scm_push(provider, data, "project", "web_url", event)
        return None
    if provider == "gogs":
        event = h.get("x-gogs-event", "")
        return (
            _scm_push(provider, data, "repository", "html_url", event) if event == "push" else None
        )
    if provider == "bitbucket":
        return _bitbucket_cloud(data) if h.get("x-event-key") == "repo:push" else None
    if provider == "bitbucketserver":
        return _bitbucket_server(data) if h.get("x-event-key") == "repo:refs_changed" else None
    return _azure(data)


def parse_webhook(
    headers: Headers,
    body: bytes | str,
    secrets: WebhookSecrets | Mapping[str, Any] | None = None,
    *,
    max_payload_size: int = DEFAULT_MAX_PAYLOAD_SIZE,
    require_secret: bool = False,
) -> PushEvent | None:
    """Verify and read one webhook request. Returns the :class:`PushEvent`, or None for a
    verified request that asks for no work (a ping, a non-push event).

    ``secrets``: a :class:`WebhookSecrets`, a mapping (``{"github": "..."}`` or
    ``argocd-secret`` keys) or an ``argocd-secret``-shaped Secret object. A provider with a
    secret must prove it (signature, token, UUID or Basic auth); ``require_secret=True``
    refuses providers without one. Raises :class:`~gitopslib.errors.WebhookError` whose
    ``status`` is the HTTP answer: 413 too large, 401 unverified, 400 malformed or unknown.

    >>> import hashlib, hmac, json
    >>> body = json.dumps({"ref": "refs/heads/main", "commits": [{"modified": ["a/x.yaml"]}],
    ...     "repository": {"html_url": "https://github.com/o/r", "default_branch": "main"}})
    >>> sig = "sha256=" + hmac.new(b"s3cret", body.encode(), "sha256").hexdigest()
    >>> ev = parse_webhook({"X-GitHub-Event": "push", "X-Hub-Signature-256": sig}, body,
    ...                    {"github": "s3cret"})
    >>> ev.provider, ev.revision, ev.changed_files, ev.touched_head
    ('github', 'main', ('a/x.yaml',), True)
    """
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if len(raw) > max_payload_size:
        raise _refuse(
            413, f"webhook payload of {len(raw)} bytes exceeds the limit of {max_payload_size}"
        )
    h = _headers(headers)
    provider = _detect(h)
    if provider is None:
        raise _refuse(400, "webhook: no known provider header (X-GitHub-Event, X-Gitlab-Event...)")
    resolved = WebhookSecrets.coerce(secrets)
    if resolved.has(provider):
        _verify(provider, h, raw, resolved)
    elif require_secret:
        raise _refuse(
            401,
            f"{provider} webhook: no secret configured, unverified payloads refused",
            provider,
        )
    if provider == "github" and h.get("x-github-event") == "ping":
        return None
    data = _json(provider, raw, h)
    return _event(provider, h, data)
