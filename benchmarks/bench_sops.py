"""SOPS decryption benchmark: ratios against a floor measured in the same run.

Makes a YAML values file of N encrypted strings (AES-256-GCM with the library's own sealer, the
data key wrapped for a fresh age identity), then measures ``sops_decrypt`` against the least
any decryptor must do on the same input: open the age envelope, AES-GCM-open every value
(``cryptography``), SHA-512 the plain values, and parse the plain YAML (``CSafeLoader``).
Goal <= 4.0x (we also re-read the file's layout to write the plain text back in place).

Usage: ``python benchmarks/bench_sops.py [--quick]`` (``--quick``: tiny sizes, for CI).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyrage
import yaml
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gitopslib.secrets import SopsKeys, sops_decrypt  # noqa: E402
from gitopslib.secrets._aes import seal  # noqa: E402

LASTMODIFIED = "2026-01-02T03:04:05Z"
_ENC = re.compile(r"ENC\[AES256_GCM,data:([^,]*),iv:([^,]*),tag:([^,]*),type:str\]")


def make_file(count: int) -> tuple[bytes, str]:
    """An encrypted values file with ``count`` nested string values, and its age identity."""
    identity = pyrage.x25519.Identity.generate()
    key = os.urandom(32)
    digest = hashlib.sha512()
    lines = []
    for i in range(count):
        plain = f"value-{i}-" + "x" * 24
        digest.update(plain.encode())
        sealed = seal(plain.encode(), key, f"app{i // 50}:key{i}:", "str", os.urandom(32))
        if i % 50 == 0:
            lines.append(f"app{i // 50}:")
        lines.append(f"    key{i}: {sealed}")
    mac = seal(digest.hexdigest().upper().encode(), key, LASTMODIFIED, "str", os.urandom(32))
    envelope = pyrage.encrypt(key, [identity.to_public()])
    body = base64.b64encode(envelope).decode()
    armored = "\n".join(
        ["-----BEGIN AGE ENCRYPTED FILE-----"]
        + [body[i : i + 64] for i in range(0, len(body), 64)]
        + ["-----END AGE ENCRYPTED FILE-----"]
    )
    meta = {
        "sops": {
            "age": [{"recipient": str(identity.to_public()), "enc": armored + "\n"}],
            "lastmodified": LASTMODIFIED,
            "mac": mac,
            "version": "3.9.0",
        }
    }
    text = "\n".join(lines) + "\n" + yaml.safe_dump(meta, sort_keys=False)
    return text.encode(), str(identity)


def best(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CI smoke run)")
    args = parser.parse_args(argv)
    count = 50 if args.quick else 5_000
    runs = 1 if args.quick else 5
    data, identity = make_file(count)
    keys = SopsKeys(age=[identity])
    doc = yaml.safe_load(data)
    envelope = doc["sops"]["age"][0]["enc"].encode()
    parsed_identity = pyrage.x25519.Identity.from_str(identity)
    found = [(m.group(1), m.group(2), m.group(3)) for m in _ENC.finditer(data.decode())]
    values = found[:-1]  # the last one is the MAC
    aads = [f"app{i // 50}:key{i}:".encode() for i in range(count)]
    plain_text = sops_decrypt(data, keys)
    print(f"file: {count} encrypted values, {len(data) / 1e6:.2f} MB")

    def floor() -> None:
        key = pyrage.decrypt(envelope, [parsed_identity])
        aes = AESGCM(key)
        digest = hashlib.sha512()
        for (d, iv, tag), aad in zip(values, aads, strict=True):
            raw = base64.b64decode(d) + base64.b64decode(tag)
            digest.update(aes.decrypt(base64.b64decode(iv), raw, aad))
        yaml.load(bytes(plain_text), Loader=yaml.CSafeLoader)

    t_floor = best(floor, runs)
    t_ours = best(lambda: sops_decrypt(data, keys), runs)
    ratio = t_ours / t_floor
    goal = 4.0
    print(f"{'measure':<40} {'ours':>9} {'floor':>9} {'ratio':>7} {'goal':>6}")
    mark = "" if ratio <= goal else "  (over goal)"
    name = "sops_decrypt / open + AES + parse"
    print(
        f"{name:<40} {t_ours * 1e3:8.1f}ms {t_floor * 1e3:8.1f}ms {ratio:6.3f}x {goal:5.2f}x{mark}"
    )
    if args.quick:
        return 0
    return 0 if ratio <= goal else 1


if __name__ == "__main__":
    raise SystemExit(main())
