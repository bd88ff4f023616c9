"""Revision resolution of a GitRepository: the remote's refs and what a revision means.

``ls_remote`` lists the remote's refs without fetching; ``resolve`` turns a revision (a SHA,
``HEAD``, a semver constraint, a branch or tag name, an abbreviated SHA) into a full commit SHA
the way Argo CD's repo server does.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping

from dulwich.client import GitClient
from dulwich.errors import NotGitRepository
from dulwich.object_store import BaseObjectStore
from dulwich.objects import Commit, ObjectID, Tag
from dulwich.repo import Repo

from gitopslib.errors import RevisionNotFoundError
from gitopslib.git._mirror import _Mirror
from gitopslib.git._semver import max_version
from gitopslib.giturl import is_commit_sha, is_truncated_commit_sha


def _peel(store: BaseObjectStore, sha: bytes) -> bytes:
    """The object a (chain of) tag(s) points at; ``sha`` itself for anything else."""
    obj = store[ObjectID(sha)]
    hops = 0
    while isinstance(obj, Tag) and hops < 64:
        obj = store[obj.object[1]]
        hops += 1
    return bytes(obj.id)


class _Resolution(_Mirror):
    """Refs and revision resolution of :class:`~gitopslib.git.GitRepository`."""

    _refs_ttl: float
    _refs_cache: tuple[float, dict[str, str]] | None

    def ls_remote(self) -> dict[str, str]:
        """The remote's refs as ``{name: sha}``, without fetching objects.

        Includes ``HEAD`` (resolved through its target) and, for annotated tags, the peeled
        commit under ``refs/tags/<name>^{}`` as ``git ls-remote`` prints it. Cheap: what a
        poller calls every few minutes to see whether anything changed.
        """

        def call(client: GitClient, path: str) -> dict[str, str]:
            result = client.get_refs(path.encode("utf-8") if isinstance(path, str) else path)
            refs: dict[str, str] = {}
            for name, sha in result.refs.items():
                if sha is not None:
                    refs[name.decode("utf-8", "replace")] = sha.decode("ascii")
            for name, target in result.symrefs.items():
                tgt = refs.get(target.decode("utf-8", "replace"))
                if tgt is not None:
                    refs[name.decode("utf-8", "replace")] = tgt
            return refs

        refs = self._network("ls-remote", call)
        if self._remote.kind == "local":
            refs = self._add_peeled_local(refs)
        return refs

    def _add_peeled_local(self, refs: dict[str, str]) -> dict[str, str]:
        # The local transport does not advertise peeled tags; add them like git ls-remote.
        try:
            source = Repo(self._remote.path)
        except NotGitRepository:
            return refs
        with contextlib.closing(source):
            for name, sha in list(refs.items()):
                if name.startswith("refs/tags/") and not name.endswith("^{}"):
                    peeled = _peel(source.object_store, sha.encode("ascii"))
                    if peeled != sha.encode("ascii"):
                        refs[name + "^{}"] = peeled.decode("ascii")
        return refs

    # --- resolution ---------------------------------------------------------------------

    def resolve(self, revision: str = "HEAD") -> str:
        """The full 40-hex commit SHA ``revision`` means, following Argo CD.

        A 40-hex SHA must name a commit the repository has: found in the local mirror it is
        returned without network, else after one fetch (a SHA nobody has raises, where Argo
        CD would fail only at checkout); ``""`` means ``HEAD``; a
        semver constraint (``1.2.*``, ``~1.2``) becomes the highest matching tag; then full ref
        names (``refs/heads/x``) and short branch or tag names are matched against the remote's
        refs (annotated tags peeled to their commit); an abbreviated SHA (7+ hex) is expanded
        from the local mirror (fetching first if needed). Anything else raises
        :class:`RevisionNotFoundError` naming the revision and the (masked) URL.
        """
        rev = revision.strip() if revision else ""
        if is_commit_sha(rev):
            full = self._expand_short_sha(rev)
            if full is None:
                raise self._error(
                    RevisionNotFoundError,
                    f"commit {rev!r} does not exist in {self.url}",
                    revision=revision,
                )
            return full
        if rev == "":
            rev = "HEAD"
        refs = self._refs()
        tags = [
            n[len("refs/tags/") :]
            for n in refs
            if n.startswith("refs/tags/") and not n.endswith("^{}")
        ]
        semver = max_version(rev, tags)
        if semver is not None:
            # Argo CD looks the semver result up among tags first (a tag beats a branch of
            # the same name); when no such tag exists the revision falls through unchanged.
            tag_ref = f"refs/tags/{semver}"
            if tag_ref in refs:
                return refs.get(tag_ref + "^{}", refs[tag_ref])
        found = self._match_ref(rev, refs)
        if found is not None:
            return found
        if is_truncated_commit_sha(rev):
            full = self._expand_short_sha(rev)
            if full is not None:
                return full
        raise self._error(
            RevisionNotFoundError,
            f"unable to resolve {revision!r} to a commit SHA in {self.url}",
            revision=revision,
        )

    def _refs(self) -> dict[str, str]:
        now = time.monotonic()
        with self._mutex:
            cached = self._refs_cache
        if cached is not None and now - cached[0] < self._refs_ttl:
            return cached[1]
        refs = self.ls_remote()
        if self._refs_ttl > 0:
            with self._mutex:
                self._refs_cache = (now, refs)
        return refs

    @staticmethod
    def _match_ref(rev: str, refs: Mapping[str, str]) -> str | None:
        names = sorted(n for n in refs if not n.endswith("^{}") and n != "HEAD")
        order = (["HEAD"] if "HEAD" in refs else []) + names
        short = not rev.startswith("refs/")
        for name in order:
            short_name = name
            for prefix in ("refs/heads/", "refs/tags/", "refs/remotes/", "refs/"):
                if name.startswith(prefix):
                    short_name = name[len(prefix) :]
                    break
            if name == rev or (short and short_name == rev):
                return refs.get(name + "^{}", refs[name])
        return None

    def _expand_short_sha(self, prefix: str) -> str | None:
        found = self._find_prefix(prefix)
        if found is None:
            self.fetch()
            found = self._find_prefix(prefix)
        return found

    def _find_prefix(self, prefix: str) -> str | None:
        repo = self._open_mirror()
        if repo is None:
            return None
        with self._mutex:
            matches = set()
            store = repo.object_store
            for sha in store.iter_prefix(prefix.lower().encode("ascii")):
                peeled = _peel(store, sha)
                if isinstance(store[ObjectID(peeled)], Commit):
                    matches.add(peeled.decode("ascii"))
        if len(matches) > 1:
            raise self._error(
                RevisionNotFoundError,
                f"abbreviated SHA {prefix!r} is ambiguous in {self.url} "
                f"({len(matches)} commits match)",
                revision=prefix,
            )
        return next(iter(matches), None)
