"""SOPS-encrypted manifests in Directory sources, and KSOPS generators in kustomizations.

A Directory source may hold manifests encrypted with SOPS (as Flux's kustomize-controller
decrypts them): each is decrypted at render with ``options["sops_keys"]`` (default: the keys
sops finds in the environment), and a file that cannot be opened fails naming the file.

A kustomization may list a KSOPS generator (``apiVersion: viaduct.ai/v1``, ``kind: ksops``,
as Argo CD users configure it). gitopslib does not run the ``ksops`` binary: in the scratch
copy it builds, each such generator is replaced by a resource read from a named pipe that a
thread feeds with the generator's decrypted output, so kustomize's transformers (name prefix,
namespace, labels, patches) apply to it as to KSOPS' output, and the plain manifests never
sit in a file.
"""

from __future__ import annotations

import base64
import contextlib
import os
import threading
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml

from gitopslib.errors import PathEscapeError, RenderError, SopsError
from gitopslib.secrets import SecretBytes, SopsKeys, is_sops_document, sops_decrypt

__all__ = ["decrypt_manifest_file", "ksops_generators", "prepare_ksops", "sops_keys"]

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def sops_keys(ctx: Any) -> SopsKeys:
    """The keys for manifests: ``options["sops_keys"]``, else the environment (as sops)."""
    keys = ctx.options.get("sops_keys")
    return keys if isinstance(keys, SopsKeys) else SopsKeys.from_environment()


def _mark(ctx: Any) -> None:
    ctx.contains_secrets = True  # the render cache must not keep this render


def looks_encrypted(data: bytes) -> bool:
    """A cheap test first, then the real one: does ``data`` carry SOPS metadata?"""
    return (b"sops" in data and b"ENC[AES256_GCM" in data) or (
        b"sops" in data and b"lastmodified" in data and is_sops_document(data)
    )


def decrypt_manifest_file(data: bytes, rel: str, ctx: Any, source_type: str) -> bytes:
    """``data`` decrypted when it is a SOPS document, else unchanged."""
    if not looks_encrypted(data) or not is_sops_document(data):
        return data
    try:
        plain = sops_decrypt(data, sops_keys(ctx), name=rel)
    except SopsError as exc:
        reason = str(exc).removeprefix(rel + ": ")
        raise RenderError(
            f"{rel}: SOPS-encrypted manifest cannot be decrypted: {reason}",
            source_type=source_type,
            path=rel,
        ) from None
    _mark(ctx)
    return bytes(plain)


# --- KSOPS -----------------------------------------------------------------------------------


def _kustomization(folder: Path) -> Path | None:
    for name in KUSTOMIZATION_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def _load(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def _is_ksops(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and str(doc.get("kind", "")).lower() == "ksops"
        and str(doc.get("apiVersion", "")).startswith("viaduct.ai/")
    )


def ksops_generators(
    folders: Iterable[Path], parsed: Mapping[Path, Any] | None = None
) -> list[tuple[Path, str]]:
    """(kustomization folder, generator entry) of every KSOPS generator in ``folders``;
    ``parsed``: kustomization documents already read, by folder (the others are read here)."""
    found = []
    for folder in folders:
        if parsed is not None and folder in parsed:
            doc = parsed[folder]
        else:
            kfile = _kustomization(folder)
            doc = _load(kfile) if kfile else None
        if not isinstance(doc, Mapping):
            continue
        for entry in doc.get("generators") or []:
            named = isinstance(entry, str) and (folder / entry).is_file()
            if named and _is_ksops(_load(folder / entry)):
                found.append((folder, entry))
    return found


def _confined(folder: Path, root: Path, rel: str, what: str) -> Path:
    target = (folder / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise PathEscapeError(
            f"{what} {rel!r} leaves the repository", file=rel, source_type="Kustomize", path=rel
        )
    return target


def _decrypt(path: Path, root: Path, keys: SopsKeys) -> SecretBytes:
    rel = path.relative_to(root.resolve()).as_posix()
    try:
        return sops_decrypt(path, keys, name=rel)
    except SopsError as exc:
        raise RenderError(f"KSOPS: {exc}", source_type="Kustomize", path=rel) from None


def _dotenv(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if sep:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            out[key.strip().removeprefix("export ").strip()] = value
    return out


def ksops_output(generator: Path, root: Path, keys: SopsKeys) -> bytes:
    """What KSOPS prints for one generator file: decrypted ``files``, then one Secret per
    ``secretFrom`` entry (``files`` and ``binaryFiles`` by base name, ``envs`` key by key)."""
    spec = _load(generator) or {}
    folder = generator.parent
    what = f"KSOPS generator {generator.name}"
    if not spec.get("files") and not spec.get("secretFrom"):
        raise RenderError(
            f"{what}: needs 'files' or 'secretFrom'", source_type="Kustomize", path=generator.name
        )
    chunks: list[bytes] = []
    for rel in spec.get("files") or []:
        chunks.append(bytes(_decrypt(_confined(folder, root, str(rel), what), root, keys)))
    for entry in spec.get("secretFrom") or []:
        string_data: dict[str, str] = {}
        data: dict[str, str] = {}
        for rel in entry.get("files") or []:
            name, sep, path = str(rel).partition("=")
            key, path = (name, path) if sep else (Path(name).name, name)
            plain = _decrypt(_confined(folder, root, path, what), root, keys)
            string_data[key] = plain.decode("utf-8", "replace")
        for rel in entry.get("binaryFiles") or []:
            name, sep, path = str(rel).partition("=")
            key, path = (name, path) if sep else (Path(name).name, name)
            plain = _decrypt(_confined(folder, root, path, what), root, keys)
            data[key] = base64.b64encode(plain).decode()
        for rel in entry.get("envs") or []:
            plain = _decrypt(_confined(folder, root, str(rel), what), root, keys)
            string_data.update(_dotenv(plain.decode("utf-8", "replace")))
        secret: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": dict(entry.get("metadata") or {}),
        }
        if entry.get("type"):
            secret["type"] = entry["type"]
        if data:
            secret["data"] = data
        secret["stringData"] = string_data
        chunks.append(yaml.safe_dump(secret, sort_keys=False).encode())
    return b"\n---\n".join(c.rstrip(b"\n") + b"\n" for c in chunks)


def prepare_ksops(scratch: Path, folders: Iterable[Path], ctx: Any, stack: ExitStack) -> None:
    """In the scratch copy, swap each KSOPS generator for a resource fed through a pipe."""
    keys: SopsKeys | None = None
    for folder, entry in ksops_generators(folders):
        keys = keys or sops_keys(ctx)
        kfile = _kustomization(folder)
        assert kfile is not None
        doc = _load(kfile)
        output = ksops_output(folder / entry, scratch, keys)
        pipe = (
            folder / f".gitopslib-ksops-{len(doc.get('resources') or [])}-{Path(entry).stem}.yaml"
        )
        _feed_pipe(pipe, output, stack)
        doc["generators"] = [g for g in doc.get("generators") or [] if g != entry]
        if not doc["generators"]:
            del doc["generators"]
        doc["resources"] = [*(doc.get("resources") or []), pipe.name]
        kfile.unlink()  # the scratch copy may link to the repository: never write through
        kfile.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        _mark(ctx)


def _feed_pipe(pipe: Path, data: bytes, stack: ExitStack) -> None:
    if not hasattr(os, "mkfifo"):
        raise RenderError(
            "KSOPS generators need named pipes (POSIX)", source_type="Kustomize", path=None
        )
    os.mkfifo(pipe, 0o600)

    def feed() -> None:
        with contextlib.suppress(OSError), pipe.open("wb") as sink:
            sink.write(data)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()

    def drain() -> None:
        if thread.is_alive():
            with contextlib.suppress(OSError):
                fd = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
                thread.join(2)
                os.close(fd)
        thread.join(2)

    stack.callback(drain)
