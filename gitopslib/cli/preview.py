"""``gitopslib preview``: a Markdown report of rendered changes between two revisions."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from gitopslib.cli.base import CLIError, one_line
from gitopslib.cli.loading import application_docs, application_files
from gitopslib.cli.locate import located_render_error
from gitopslib.cli.output import plan_markdown
from gitopslib.cli.parser import Commands
from gitopslib.cli.session import Session
from gitopslib.errors import GitError, RenderError, ValidationError

if TYPE_CHECKING:
    from gitopslib.models import Application


@dataclass
class _Side:
    app: Application | None = None
    manifests: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def _git(repo: Path, *argv: str) -> str:
    git = shutil.which("git")
    if git is None:
        raise CLIError("preview needs revisions git can resolve; no git binary found")
    proc = subprocess.run(
        [git, "-C", str(repo), *argv], capture_output=True, text=True, timeout=60, check=False
    )
    if proc.returncode != 0:
        raise CLIError(f"git {' '.join(argv)}: {one_line(proc.stderr)}")
    return proc.stdout.strip()


@contextlib.contextmanager
def _tree_at(repo_dir: Path, rev: str, cache_dir: str | None) -> Iterator[tuple[str, Path]]:
    """A read-only tree of the repository at ``rev`` (through the Git cache)."""
    from gitopslib.git import GitRepository

    git_cache = Path(cache_dir) / "git" if cache_dir else None
    repo = GitRepository(str(repo_dir.resolve()), cache_dir=git_cache)
    try:
        sha = repo.resolve(rev)
    except GitError:
        sha = _git(repo_dir, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        repo.fetch()
    with repo.checkout(sha) as root:
        yield sha, Path(root)


def _collect(session: Session, root: Path, sha: str, selectors: Sequence[str]) -> dict[str, _Side]:
    """Every Application of the tree at one revision (app-of-apps children included), with
    its render or its error, keyed by ``namespace/name``."""
    from gitopslib.sources import Resolver, render_tree

    paths = [root / s for s in selectors if (root / s).exists()]
    names = {s for s in selectors if not (root / s).exists()}
    apps: list[Application] = []
    out: dict[str, _Side] = {}
    # a file that does not load at this revision is a row of the report, not the end of it
    for file in application_files(paths or ([root] if not selectors else [])):
        try:
            apps.extend(application_docs(file))
        except ValidationError as exc:
            rel = file.relative_to(root).as_posix()
            message = one_line(str(exc)).replace(str(file), rel)
            out[rel] = _Side(error=message)
    if names:
        for file in application_files([root]):
            with contextlib.suppress(ValidationError):
                for app in application_docs(file):
                    if app.metadata.name in names and app not in apps:
                        apps.append(app)
    resolver = Resolver(default=root, revision=sha)
    for app in apps:
        session.progress(f"rendering {app.metadata.name} at {sha[:8]}")
        tree = render_tree(
            app, resolver, plugins_dir=session.args.plugins_dir, timeout=session.args.timeout
        )
        for node in tree.walk():
            key = f"{node.app.metadata.namespace or ''}/{node.app.metadata.name}"
            if key in out:
                continue
            side = _Side(node.app)
            if node.error is not None:
                message = (
                    located_render_error(node.app, node.error)
                    if isinstance(node.error, RenderError)
                    else one_line(str(node.error))
                )
                side.error = message.replace(f"{root}{os.sep}", "")
            elif node.result is not None:
                side.manifests = list(node.result.manifests)
            out[key] = side
    return out


def _rendered_diff(base: Sequence[dict[str, Any]], head: Sequence[dict[str, Any]]) -> str:
    """Unified diff of two renders, object by object, Secret values masked."""
    from gitopslib.diff import mask_secrets
    from gitopslib.manifest import dump_manifests, key_of

    before = {key_of(o): o for o in base}
    after = {key_of(o): o for o in head}
    chunks: list[str] = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if a == b:
            continue
        mb, ma = mask_secrets([b, a])
        lines_b = dump_manifests([mb]).splitlines(keepends=True) if mb is not None else []
        lines_a = dump_manifests([ma]).splitlines(keepends=True) if ma is not None else []
        gk = f"{key.group}/{key.kind}" if key.group else key.kind
        name = f"{gk}/{key.namespace}/{key.name}" if key.namespace else f"{gk}/{key.name}"
        chunks.append(
            "".join(difflib.unified_diff(lines_b, lines_a, f"base/{name}", f"head/{name}"))
        )
    return "".join(c if c.endswith("\n") else c + "\n" for c in chunks)


def _as_deployed(app: Application, objs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The base render as Argo CD would have left it live: stamped with the app's tracking."""
    from gitopslib.manifest import ANNOTATION_TRACKING_ID, is_cluster_scoped, key_of
    from gitopslib.tracking import app_instance_name, tracking_id

    instance = app_instance_name(app) or str(app.metadata.name)
    dest_ns = app.spec.destination.namespace or ""
    out = []
    for obj in objs:
        key = key_of(obj, default_namespace=dest_ns)
        meta = dict(obj.get("metadata") or {})
        if not is_cluster_scoped(key.group, key.kind) and not meta.get("namespace"):
            meta["namespace"] = dest_ns
        ann = dict(meta.get("annotations") or {})
        ann[ANNOTATION_TRACKING_ID] = tracking_id(instance, {**obj, "metadata": meta}, dest_ns)
        meta["annotations"] = ann
        out.append({**obj, "metadata": meta})
    return out


def preview_report(
    repo_dir: str | os.PathLike[str],
    base: str,
    head: str,
    selectors: Sequence[str] = (),
    *,
    args: argparse.Namespace | None = None,
) -> tuple[str, bool]:
    """The Markdown pull-request preview of a repository between two revisions, and whether
    anything changed. Used by ``gitopslib preview``."""
    from gitopslib.cli.command import build_parser
    from gitopslib.diff import compare
    from gitopslib.sync import SyncPlanOptions, plan_sync

    ns = args or build_parser().parse_args(["preview", "--base", base, "--head", head])
    session = Session(ns)
    repo = Path(repo_dir)
    with _tree_at(repo, base, ns.cache_dir) as (base_sha, base_root):
        old = _collect(session, base_root, base_sha, selectors)
    with _tree_at(repo, head, ns.cache_dir) as (head_sha, head_root):
        new = _collect(session, head_root, head_sha, selectors)

    summary: list[str] = []
    sections: list[str] = []
    changed_any = False
    for key in sorted(set(old) | set(new)):
        b, h = old.get(key), new.get(key)
        name = key.lstrip("/")
        error = (h.error if h else None) or (b.error if b else None)
        if h is None:
            state = "removed"
        elif b is None:
            state = "added"
        else:
            state = "changed" if (b.manifests != h.manifests or error) else "unchanged"
        if error:
            state = "error"
        diff = ""
        if b is not None or h is not None:
            diff = _rendered_diff(b.manifests if b else [], h.manifests if h else [])
        counts = _count_changes(b.manifests if b else [], h.manifests if h else [])
        summary.append(f"| `{name}` | {state} | {counts} |")
        if state == "unchanged":
            continue
        changed_any = True
        part = [f"## `{name}`: {state}", ""]
        if error:
            part += [f"> **error:** {error}", ""]
        if diff:
            part += [
                "<details open><summary>Rendered diff</summary>",
                "",
                "```diff",
                diff.rstrip("\n"),
                "```",
                "",
                "</details>",
                "",
            ]
        if h is not None and h.app is not None and not h.error:
            live = _as_deployed(b.app, b.manifests) if b and b.app is not None else []
            cmp = compare(h.manifests, live, app=h.app)
            plan = plan_sync(
                cmp,
                app=h.app,
                options=SyncPlanOptions(revision=head_sha, started_at=0, strict=False),
            )
            part += [
                "### Sync plan",
                "",
                plan_markdown(plan),
                "```mermaid",
                plan.to_mermaid().rstrip("\n"),
                "```",
                "",
            ]
        sections.append("\n".join(part))
    lines = [
        f"# gitopslib preview: `{base_sha[:8]}` → `{head_sha[:8]}`",
        "",
        "| application | change | objects (added/changed/removed) |",
        "|---|---|---|",
        *summary,
        "",
    ]
    if not summary:
        lines.insert(2, "No Application found.\n")
    if not changed_any and summary:
        lines.append("No rendered change.\n")
    return "\n".join(lines + sections).rstrip("\n") + "\n", changed_any


def _count_changes(base: Sequence[dict[str, Any]], head: Sequence[dict[str, Any]]) -> str:
    from gitopslib.manifest import key_of

    before = {key_of(o): o for o in base}
    after = {key_of(o): o for o in head}
    added = len(set(after) - set(before))
    removed = len(set(before) - set(after))
    changed = sum(1 for k in set(before) & set(after) if before[k] != after[k])
    return f"+{added} ~{changed} -{removed}"


def run(args: argparse.Namespace, out: TextIO) -> int:
    repo = Path(args.repo)
    if not repo.is_dir():
        raise CLIError(f"--repo {repo}: no such folder")
    cache_dir = args.cache_dir
    with contextlib.ExitStack() as stack:
        if cache_dir is None:
            args.cache_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="gitopslib-"))
        report, _changed = preview_report(repo, args.base, args.head, args.apps, args=args)
    if args.output_file:
        Path(args.output_file).write_text(report, encoding="utf-8")
    else:
        out.write(report)
    return 0


def register(commands: Commands) -> None:
    """Add ``preview``."""
    p = commands.add("preview", "Markdown report of rendered changes between two revisions.", "*")
    p.add_argument("--base", required=True, metavar="REV", help="revision before the change")
    p.add_argument("--head", required=True, metavar="REV", help="revision after the change")
    p.add_argument("--repo", default=".", metavar="DIR", help="Git repository (default: .)")
    p.add_argument("--cache-dir", metavar="DIR", help="Git and render cache folder")
    p.add_argument("--plugins-dir", metavar="DIR", help="folder of CMP plugin.yaml files")
    p.add_argument(
        "--timeout", type=float, default=90.0, help="seconds per engine run (default: 90)"
    )
    p.add_argument("--output-file", "-O", metavar="FILE", help="write the report here")
    p.set_defaults(func=run, kube_version=None, api_versions=None, revision=None)
