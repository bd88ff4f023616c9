"""helm-secrets' value file schemes, decrypted in memory for the Helm renderer.

Argo CD users list SOPS-encrypted value files with helm-secrets' URL schemes::

    secrets://FILE                                   keys from the environment (as sops)
    secrets+age-import://KEYFILE?FILE                an age keys file on the repo server
    secrets+gpg-import://KEYFILE?FILE                an armored PGP private key file
    secrets+age-import-kubernetes://[NS/]SECRET#KEY?FILE   the key read from a cluster Secret
    secrets+gpg-import-kubernetes://[NS/]SECRET#KEY?FILE

As in helm-secrets, the key part ends at the first ``?``; ``FILE`` is a value file path
resolved like any other (relative to the chart, confined to the repository). A key file path
is honoured only under a location the caller configured (helm-secrets'
``HELM_SECRETS_KEY_LOCATION_PREFIX``): :class:`HelmSecrets` maps such a prefix (the guide's
``/helm-secrets-private-keys``) to a local folder, and refuses a folder inside the repository
unless ``allow_repo_keys``. The ``*-kubernetes`` schemes read the Secret through the
``Cluster`` the caller passes. The plain values stay in memory.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import os
import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gitopslib.errors import PathEscapeError, RenderError, SopsError
from gitopslib.manifest import ResourceKey
from gitopslib.secrets import SecretBytes, SopsKeys, sops_decrypt

__all__ = [
    "SECRETS_SCHEMES",
    "DecryptedValues",
    "HelmSecrets",
    "SecretsRef",
    "parse_secrets_url",
    "secret_value_file",
    "uses_helm_secrets",
    "values_fifos",
]

#: helm-secrets' schemes (``sops://`` and ``secret://`` are its deprecated spellings).
SECRETS_SCHEMES: tuple[str, ...] = (
    "secrets",
    "secrets+age-import",
    "secrets+age-import-kubernetes",
    "secrets+gpg-import",
    "secrets+gpg-import-kubernetes",
    "sops",
    "secret",
)


@dataclass(frozen=True)
class HelmSecrets:
    """How the Helm renderer may open helm-secrets value files (``options["helm_secrets"]``).

    ``keys``: the keys for ``secrets://`` (default: what sops finds in the environment).
    ``key_locations``: key path prefix in the URL -> local folder holding those key files
    (``{"/helm-secrets-private-keys": "/etc/keys"}``); a key path under no prefix is refused.
    ``allow_repo_keys``: accept key folders (or relative key paths) inside the repository.
    ``cluster``: a ``Cluster`` to read the key Secret of the ``*-kubernetes`` schemes;
    ``namespace``: the Secret's namespace when the URL names none (the repo server's).
    ``allowed``: the schemes accepted (helm-secrets' ``HELM_SECRETS_ALLOW_*``), default all.

    >>> HelmSecrets(key_locations={"/keys": "/srv/keys"}).model_dump()["key_locations"]
    ['/keys']
    """

    keys: SopsKeys | None = None
    key_locations: Mapping[str, str | os.PathLike[str]] = field(default_factory=dict)
    allow_repo_keys: bool = False
    cluster: Any = None
    namespace: str = "argocd"
    allowed: frozenset[str] = frozenset(SECRETS_SCHEMES)

    def model_dump(self, **_: Any) -> dict[str, Any]:
        """A description without any key material (render cache keys use it)."""
        return {
            "keys": repr(self.keys),
            "key_locations": sorted(self.key_locations),
            "allow_repo_keys": self.allow_repo_keys,
            "cluster": self.cluster is not None,
            "namespace": self.namespace,
            "allowed": sorted(self.allowed),
        }


@dataclass(frozen=True)
class SecretsRef:
    """One parsed helm-secrets URL: its scheme, key location (may be empty) and file."""

    scheme: str
    key: str
    file: str


class DecryptedValues:
    """A decrypted value file held in memory; reads like a path (``name``, ``read_text``)."""

    def __init__(self, name: str, plain: SecretBytes) -> None:
        self.name = name
        self._plain = plain

    def read_text(self, encoding: str = "utf-8") -> str:
        """The plain YAML (never logged: ``repr`` shows only the file name)."""
        return self._plain.decode(encoding)

    def read_bytes(self) -> bytes:
        return bytes(self._plain)

    def __repr__(self) -> str:
        return f"DecryptedValues({self.name!r})"

    __str__ = __repr__


def parse_secrets_url(value: str) -> SecretsRef | None:
    """The helm-secrets reference in ``value``, or None if it uses no helm-secrets scheme.

    >>> parse_secrets_url("secrets+age-import:///keys/key.txt?values/prod.enc.yaml")
    SecretsRef(scheme='secrets+age-import', key='/keys/key.txt', file='values/prod.enc.yaml')
    >>> parse_secrets_url("https://example.com/v.yaml") is None
    True
    """
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in SECRETS_SCHEMES:
        return None
    if scheme.endswith("-import") or scheme.endswith("-kubernetes"):
        key, _, file = rest.partition("?")
        return SecretsRef(scheme, key, file)
    return SecretsRef(scheme, "", rest)


def _fail(raw: str, message: str) -> RenderError:
    return RenderError(f"value file {raw!r}: {message}", source_type="Helm", path=raw)


def _key_file(
    ref: SecretsRef, raw: str, settings: HelmSecrets, repo_root: Path, app_dir: Path
) -> Path:
    """The local key file behind ``ref.key``, confined to a configured location."""
    key = ref.key
    repo = repo_root.resolve()
    if not key.startswith("/"):
        if not settings.allow_repo_keys:
            raise _fail(
                raw,
                f"key location {key!r} is relative (a key inside the repository); "
                "not allowed unless allow_repo_keys",
            )
        target = (app_dir / key).resolve()
        if not target.is_relative_to(repo):
            raise PathEscapeError(
                f"value file {raw!r}: key location {key!r} leaves the repository",
                file=raw,
                source_type="Helm",
                path=raw,
            )
        return target
    best: tuple[str, Path] | None = None
    for prefix, folder in settings.key_locations.items():
        clean = "/" + str(prefix).strip("/")
        if (key == clean or key.startswith(clean.rstrip("/") + "/")) and (
            best is None or len(clean) > len(best[0])
        ):
            best = (clean, Path(folder))
    if best is None:
        raise _fail(
            raw,
            f"key location {key!r} is not allowed (configure HelmSecrets.key_locations; "
            "on the command line, --sops-key-location PREFIX=DIR)",
        )
    prefix, folder = best
    base = folder.resolve()
    rest = key[len(prefix) :].lstrip("/")
    target = (base / rest).resolve()
    if not target.is_relative_to(base):
        raise PathEscapeError(
            f"value file {raw!r}: key location {key!r} leaves its configured folder",
            file=raw,
            source_type="Helm",
            path=raw,
        )
    if target.is_relative_to(repo) and not settings.allow_repo_keys:
        raise _fail(
            raw,
            f"key location {key!r} maps inside the repository; not allowed unless allow_repo_keys",
        )
    if not target.is_file():
        raise _fail(raw, f"key file {key!r} does not exist")
    return target


def _kubernetes_key(ref: SecretsRef, raw: str, settings: HelmSecrets) -> bytes:
    location, sep, data_key = ref.key.partition("#")
    if not sep or not data_key:
        raise _fail(raw, "a kubernetes key location is [NAMESPACE/]SECRET#KEY")
    namespace, slash, name = location.rpartition("/")
    if not slash:
        namespace = settings.namespace
    if settings.cluster is None:
        raise _fail(
            raw,
            f"reading the key from Secret {namespace}/{name} needs a cluster (HelmSecrets.cluster)",
        )
    try:
        secret = settings.cluster.get(ResourceKey("", "Secret", namespace, name))
    except Exception as exc:  # a cluster adapter's own error: say which Secret, not more
        raise _fail(raw, f"cannot read Secret {namespace}/{name}: {type(exc).__name__}") from None
    if not secret:
        raise _fail(raw, f"Secret {namespace}/{name} does not exist")
    encoded = (secret.get("data") or {}).get(data_key)
    if encoded is None:
        plain = (secret.get("stringData") or {}).get(data_key)
        if plain is None:
            raise _fail(raw, f"Secret {namespace}/{name} has no key {data_key!r}")
        return str(plain).encode()
    try:
        return base64.b64decode(str(encoded), validate=True)
    except (binascii.Error, ValueError):
        raise _fail(raw, f"Secret {namespace}/{name} key {data_key!r} is not base64") from None


def keys_for(
    ref: SecretsRef, raw: str, settings: HelmSecrets, repo_root: Path, app_dir: Path
) -> SopsKeys:
    """The keys one reference names (explicit: the environment is not consulted)."""
    if ref.scheme not in settings.allowed:
        raise _fail(raw, f"{ref.scheme}:// is not allowed in this context")
    try:
        if ref.scheme in ("secrets", "sops", "secret"):
            return settings.keys if settings.keys is not None else SopsKeys.from_environment()
        if ref.scheme == "secrets+age-import":
            return SopsKeys(age_files=[_key_file(ref, raw, settings, repo_root, app_dir)])
        if ref.scheme == "secrets+gpg-import":
            return SopsKeys(pgp_files=[_key_file(ref, raw, settings, repo_root, app_dir)])
        material = _kubernetes_key(ref, raw, settings)
        if ref.scheme == "secrets+age-import-kubernetes":
            return SopsKeys(age=[material.decode("utf-8", "replace")])
        return SopsKeys(pgp=[material])
    except SopsError as exc:
        raise _fail(raw, str(exc)) from None


def decrypt_value_file(
    raw: str,
    ref: SecretsRef,
    settings: HelmSecrets,
    resolve: Callable[[str], Path],
    repo_root: Path,
    app_dir: Path,
) -> DecryptedValues | None:
    """The decrypted value file of ``ref`` (None when it is missing: the caller decides)."""
    if not ref.file:
        raise _fail(raw, "names no value file after the key location (KEY?FILE)")
    path = resolve(ref.file)
    if not path.is_file():
        return None
    keys = keys_for(ref, raw, settings, repo_root, app_dir)
    label = (
        os.path.relpath(path, repo_root.resolve())
        if path.is_relative_to(repo_root.resolve())
        else path.name
    )
    try:
        plain = sops_decrypt(path, keys, name=label)
    except SopsError as exc:
        raise RenderError(f"value file {raw!r}: {exc}", source_type="Helm", path=raw) from None
    return DecryptedValues(label, plain)


# --- the Helm renderer's side ----------------------------------------------------------------


def _explicit_schemes(ctx: Any) -> bool:
    return "values_file_schemes" in ctx.options


def uses_helm_secrets(ctx: Any) -> bool:
    """True when the source lists a helm-secrets value file (its render is never cached)."""
    helm = getattr(ctx.source, "helm", None)
    files = getattr(helm, "value_files", None) or []
    return any(parse_secrets_url(str(raw)) is not None for raw in files)


def secret_value_file(
    raw: str,
    ctx: Any,
    env: Mapping[str, str],
    schemes: tuple[str, ...],
    resolve_file: Callable[..., Path],
) -> DecryptedValues | Literal[False] | None:
    """The decrypted value file ``raw`` names with a helm-secrets scheme.

    None: ``raw`` uses no helm-secrets scheme (an ordinary value file). False: the encrypted
    file does not exist (the caller applies ``ignoreMissingValueFiles``). A scheme must be
    allowed as in Argo CD (``helm.valuesFileSchemes``, the ``values_file_schemes`` option);
    without that option, passing ``options["helm_secrets"]`` allows helm-secrets' schemes.
    """
    from gitopslib.sources._base import envsubst

    ref = parse_secrets_url(envsubst(raw, env))
    if ref is None:
        return None
    configured = ctx.options.get("helm_secrets")
    allowed = ref.scheme in schemes if _explicit_schemes(ctx) else configured is not None
    if not allowed:
        raise _fail(
            raw,
            f"the URL scheme {ref.scheme!r} is not allowed (list it in argocd-cm "
            "helm.valuesFileSchemes, or pass options={'helm_secrets': HelmSecrets(...)}; on the "
            "command line, --sops-key-location or --sops-age-key-file)",
        )
    settings = configured if isinstance(configured, HelmSecrets) else HelmSecrets()

    def resolve(file: str) -> Path:
        return resolve_file(file, ctx, env, what="value file", schemes=schemes)

    found = decrypt_value_file(raw, ref, settings, resolve, ctx.repo_root, ctx.app_dir)
    if found is None:
        return False
    ctx.contains_secrets = True  # the render cache must not keep this render
    return found


def values_fifos(inputs: Any, scratch: Path, stack: ExitStack) -> Any:
    """``inputs`` with each decrypted value file replaced by a named pipe in ``scratch``.

    A ``helm`` binary reads ``--values`` from a path; a FIFO hands it the plain YAML without
    the bytes ever being stored on disk. Each pipe is fed by a thread and unblocked on exit.
    """
    if not any(isinstance(v, DecryptedValues) for v in inputs.value_files):
        return inputs
    if not hasattr(os, "mkfifo"):
        raise RenderError(
            "helm-secrets value files with a helm binary need named pipes (POSIX); use the "
            "in-process engine (HelmRenderer(engine='python'))",
            source_type="Helm",
            path=None,
        )
    replaced: list[Any] = []
    for number, item in enumerate(inputs.value_files):
        if not isinstance(item, DecryptedValues):
            replaced.append(item)
            continue
        pipe = scratch / f"secret-values-{number}.yaml"
        os.mkfifo(pipe, 0o600)
        thread = threading.Thread(target=_feed, args=(pipe, item.read_bytes()), daemon=True)
        thread.start()
        stack.callback(_drain, pipe, thread)
        replaced.append(pipe)
    return dataclasses.replace(inputs, value_files=replaced)


def _feed(pipe: Path, data: bytes) -> None:
    with contextlib.suppress(OSError), pipe.open("wb") as sink:  # blocks until read
        sink.write(data)


def _drain(pipe: Path, thread: threading.Thread) -> None:
    if thread.is_alive():  # helm never opened it: open the read end so the writer finishes
        with contextlib.suppress(OSError):
            fd = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
            thread.join(2)
            os.close(fd)
    thread.join(2)
