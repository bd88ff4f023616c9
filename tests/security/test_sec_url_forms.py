"""Credentials in every URL form are masked wherever a URL can be printed: query-string
tokens, scp-style and ``ssh://`` users, token user names, through the error tree itself (so a
message formatted anywhere is masked), render, Git, the CLI's error line and its ``--debug``
traceback; and ``compare()`` expands ``v1 List`` objects, so a Secret inside one is masked."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
import yaml
from sec_fixtures import AppFor

import gitopslib
from gitopslib.cli import main
from gitopslib.errors import CommandError, GitError, GitOpsError, RenderError
from gitopslib.git import GitRepository
from gitopslib.giturl import mask_credentials

TOKEN = "glpat-Zq8SECRETt0ken4242"  # a fake token the tests hunt for
PLAIN = "s3cretvalue"  # a token with no shape that gives it away

FORMS = [
    f"https://gitlab.example.com/o/r.git?access_token={TOKEN}",
    f"https://gitlab.example.com/o/r.git?ref=main&private_token={TOKEN}",
    f"https://example.com/o/r.git?x={TOKEN}",
    f"https://example.com/o/r.git?ref=v1&token={TOKEN}#frag",
    f"{TOKEN}@gitlab.example.com:o/r.git",
    f"git::{TOKEN}@example.com:o/r.git",
    f"ssh://{TOKEN}@example.com/o/r.git",
    f"ssh://git:{TOKEN}@example.com:2222/o/r.git",
    f"git+ssh://{TOKEN}@example.com/o/r.git",
    f"https://{TOKEN}@example.com/o/r.git",
    f"https://{TOKEN}:x-oauth-basic@github.com/o/r.git",
    f"https://oauth2:{TOKEN}@gitlab.example.com/o/r.git",
    f"HTTPS://user:{TOKEN}@[::1]:8443/o/r.git",
    f"git::https://bot:{TOKEN}@example.com/o/r.git//base?ref=v1",
    f"oci://bot:{TOKEN}@registry.example.com/charts",
    f"user:{TOKEN}@example.com/o/r.git",
    f"https://s3.example.com/b/chart.tgz?X-Amz-Signature={TOKEN}&X-Amz-Credential=abc",
    f"Authorization: Bearer {TOKEN}",
]


@pytest.mark.parametrize("url", FORMS)
@pytest.mark.parametrize("context", ["{}", "fetching '{}' failed: 403", "clone of <{}>: refused"])
def test_every_url_form_is_masked(url: str, context: str) -> None:
    """mask_credentials hides the token in each form, alone or inside a message."""
    assert TOKEN not in mask_credentials(context.format(url))


@pytest.mark.parametrize(
    "url",
    [
        f"{PLAIN}@example.com:o/r.git",
        f"ssh://{PLAIN}@example.com/o/r.git",
        f"https://example.com/o/r.git?key={PLAIN}",
        f"https://{PLAIN}@example.com/o/r.git",
    ],
)
def test_a_token_without_a_telltale_shape_is_masked_too(url: str) -> None:
    """Masking does not depend on the token looking like one."""
    assert PLAIN not in mask_credentials(url)


def test_what_is_not_a_credential_survives() -> None:
    """Host, path, the `git` SSH user and Git ref parameters stay readable."""
    text = "git@github.com:o/r.git and https://h/o/r.git?ref=v1.2&depth=1 and ssh://git@h/r"
    assert mask_credentials(text) == text


@pytest.mark.parametrize("url", FORMS)
def test_the_error_tree_masks_whoever_formats_the_message(url: str) -> None:
    """Any GitOpsError (message, stderr, command, url) is masked at construction."""
    errors = [
        RenderError(f"cannot fetch {url}", source_type=None, path=None),
        CommandError(
            f"`git fetch {url}` failed",
            command=("git", "fetch", url),
            exit_code=128,
            stderr=f"fatal: unable to access '{url}'",
            source_type=None,
            path=None,
        ),
        GitError(f"ls-remote {url}", url=url),
    ]
    for err in errors:
        shown = [str(err), repr(err), repr(err.args), repr(vars(err))]
        assert not any(TOKEN in text for text in shown), shown


@pytest.mark.parametrize("url", [u for u in FORMS if "Authorization" not in u])
def test_render_names_the_repository_masked(url: str, app_for: AppFor) -> None:
    """A repository render cannot reach is named without its token."""
    app = app_for({"repoURL": url, "path": "."})
    with pytest.raises(GitOpsError) as info:
        gitopslib.render(app, resolver=gitopslib.Resolver())
    assert TOKEN not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.1:1/o/r.git?access_token={TOKEN}",
        f"http://{TOKEN}@127.0.0.1:1/o/r.git",
        f"http://oauth2:{TOKEN}@127.0.0.1:1/o/r.git?private_token={TOKEN}",
    ],
)
def test_git_errors_mask_query_tokens(url: str, tmp_path: Path) -> None:
    """A loopback port that refuses: the GitError, its url and the repr hide the token."""
    repo = GitRepository(url, cache_dir=tmp_path, retries=1, timeout=5)
    with pytest.raises(GitError) as info:
        repo.ls_remote()
    shown = [str(info.value), repr(vars(info.value)), repr(repo), repo.url]
    assert not any(TOKEN in text for text in shown), shown


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.1:1/o/r.git?access_token={TOKEN}",
        f"http://127.0.0.1:1/o/r.git?ref=main&private_token={TOKEN}",
        f"http://{TOKEN}@127.0.0.1:1/o/r.git",
    ],
)
def test_cli_error_line_and_debug_traceback_mask_the_token(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    app_for: AppFor,
    url: str,
    debug: bool,
) -> None:
    """`gitopslib [--debug] render` prints the failure (and traceback) without the token."""
    app_file = tmp_path / "app.yaml"
    app_file.write_text(app_for({"repoURL": url, "path": "."}).to_yaml())
    argv = ["render", str(app_file), "--cache-dir", str(tmp_path / "cache")]
    assert main(["--debug", *argv] if debug else argv, out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "gitopslib: error:" in err
    assert ("Traceback" in err) is debug
    assert TOKEN not in err


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("kind", ["List", "SecretList"])
@pytest.mark.parametrize("side", ["desired", "live", "both"])
def test_compare_expands_lists_and_masks_their_secrets(kind: str, side: str) -> None:
    """A Secret inside a List is compared as a Secret: listed by its own key, values masked."""
    old, new = "OLD-PASSWORD-VALUE-1", "NEW-PASSWORD-VALUE-2"

    def secret(value: str) -> dict[str, object]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "default"},
            "data": {"pw": _b64(value)},
        }

    def wrapped(value: str) -> dict[str, object]:
        return {"apiVersion": "v1", "kind": kind, "items": [secret(value)]}

    desired = [wrapped(new) if side in ("desired", "both") else secret(new)]
    live = [wrapped(old) if side in ("live", "both") else secret(old)]
    result = gitopslib.compare(desired, live)
    assert [(r.kind, r.name) for r in result.resources] == [("Secret", "db")]
    rd = result.resources[0]
    assert rd.status == "OutOfSync"
    shown = "\n".join([rd.diff, yaml.safe_dump(rd.patch), repr(rd)])
    assert not any(v in shown for v in (old, new, _b64(old), _b64(new)))
