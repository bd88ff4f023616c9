"""Files made here with the real libraries (cryptography, pyrage, gpg) for what the corpus
lacks: key groups with a Shamir threshold, mac_only_encrypted, suffix/regex/comment rules,
bytes values, SSH identities, and the dotenv, INI and binary stores with age."""

from __future__ import annotations

import json
from pathlib import Path

import pyrage
import pytest
import yaml
from sopsmake import Sealer, dedent, encrypt_tree, flatten_meta, metadata, shamir_split, wrap_age

from gitopslib.errors import SopsError
from gitopslib.secrets import SopsKeys, sops_decrypt


def _yaml(data: dict[str, object], meta: dict[str, object]) -> bytes:
    return yaml.safe_dump({**data, "sops": meta}, sort_keys=False).encode()


def test_every_value_type(age_pair: tuple[str, str]) -> None:
    """str, int, float, bool and bytes values come back with their types."""
    identity, recipient = age_pair
    sealer = Sealer()
    data = encrypt_tree({"s": "text", "i": -42, "f": 1.5, "b": False, "n": None}, sealer)
    assert isinstance(data, dict)
    data["raw"] = sealer.seal(b"\x00\x01bytes", ("raw",))
    plain = sops_decrypt(_yaml(data, metadata(sealer, age=[recipient])), SopsKeys(age=[identity]))
    loaded = yaml.safe_load(plain)
    assert loaded["s"] == "text" and loaded["i"] == -42 and loaded["f"] == 1.5
    assert loaded["b"] is False and loaded["n"] is None
    assert loaded["raw"] == "\x00\x01bytes"


def test_nested_lists_and_multiline(age_pair: tuple[str, str]) -> None:
    """Values in lists of maps and multi-line strings round-trip through the YAML output."""
    identity, recipient = age_pair
    sealer = Sealer()
    source = {"a": [{"x": "one\ntwo\n"}, "plain: colon", "  lead"], "b": {"c": ["#hash", "yes"]}}
    data = encrypt_tree(source, sealer)
    plain = sops_decrypt(_yaml(data, metadata(sealer, age=[recipient])), SopsKeys(age=[identity]))  # type: ignore[arg-type]
    assert yaml.safe_load(plain) == source


def test_two_of_three_key_groups(age_pairs: list[tuple[str, str]]) -> None:
    """With shamir_threshold 2 of 3 groups, any two identities open the file."""
    sealer = Sealer()
    data = encrypt_tree({"password": "hunter2"}, sealer)
    shares = shamir_split(sealer.key, 3, 2)
    groups = [
        {"age": [wrap_age(share, pair[1])]} for share, pair in zip(shares, age_pairs, strict=True)
    ]
    meta = metadata(sealer, extra={"age": None, "key_groups": groups, "shamir_threshold": 2})
    meta.pop("age")
    doc = _yaml(data, meta)  # type: ignore[arg-type]
    for chosen in ([0, 1], [1, 2], [0, 2]):
        keys = SopsKeys(age=[age_pairs[i][0] for i in chosen])
        assert yaml.safe_load(sops_decrypt(doc, keys)) == {"password": "hunter2"}


def test_threshold_not_reached(age_pairs: list[tuple[str, str]]) -> None:
    """One identity of a 2-of-3 file is not enough, and the error says how many opened."""
    sealer = Sealer()
    data = encrypt_tree({"password": "hunter2"}, sealer)
    shares = shamir_split(sealer.key, 3, 2)
    groups = [
        {"age": [wrap_age(share, pair[1])]} for share, pair in zip(shares, age_pairs, strict=True)
    ]
    meta = {
        "key_groups": groups,
        "shamir_threshold": 2,
        "lastmodified": "2026-01-02T03:04:05Z",
        "mac": sealer.mac(),
        "version": "3.9.0",
    }
    with pytest.raises(SopsError, match="1 of 2 required key groups") as caught:
        sops_decrypt(_yaml(data, meta), SopsKeys(age=[age_pairs[0][0]]))  # type: ignore[arg-type]
    assert "hunter2" not in str(caught.value)


def test_groups_without_threshold_need_all(age_pairs: list[tuple[str, str]]) -> None:
    """Without shamir_threshold every group is needed (sops' default)."""
    sealer = Sealer()
    data = encrypt_tree({"k": "v"}, sealer)
    shares = shamir_split(sealer.key, 2, 2)
    groups = [{"age": [wrap_age(s, p[1])]} for s, p in zip(shares, age_pairs[:2], strict=True)]
    meta = {
        "key_groups": groups,
        "lastmodified": "2026-01-02T03:04:05Z",
        "mac": sealer.mac(),
        "version": "3.9.0",
    }
    doc = _yaml(data, meta)  # type: ignore[arg-type]
    with pytest.raises(SopsError, match="1 of 2"):
        sops_decrypt(doc, SopsKeys(age=[age_pairs[0][0]]))
    assert yaml.safe_load(sops_decrypt(doc, SopsKeys(age=[p[0] for p in age_pairs[:2]]))) == {
        "k": "v"
    }


def test_mac_only_encrypted(age_pair: tuple[str, str]) -> None:
    """With mac_only_encrypted, clear values may change without breaking the MAC."""
    identity, recipient = age_pair
    sealer = Sealer(mac_only_encrypted=True)
    data = encrypt_tree(
        {"secret": "s3", "note_unencrypted": "hello"},
        sealer,
        lambda p: not p[-1].endswith("_unencrypted"),
    )
    meta = metadata(
        sealer,
        age=[recipient],
        extra={"mac_only_encrypted": True, "unencrypted_suffix": "_unencrypted"},
    )
    data["note_unencrypted"] = "edited by hand"  # type: ignore[index]
    plain = yaml.safe_load(sops_decrypt(_yaml(data, meta), SopsKeys(age=[identity])))  # type: ignore[arg-type]
    assert plain == {"secret": "s3", "note_unencrypted": "edited by hand"}


def test_clear_value_change_breaks_full_mac(age_pair: tuple[str, str]) -> None:
    """Without mac_only_encrypted, editing a clear value is a MAC mismatch."""
    identity, recipient = age_pair
    sealer = Sealer()
    data = encrypt_tree(
        {"secret": "s3", "note_unencrypted": "hello"},
        sealer,
        lambda p: not p[-1].endswith("_unencrypted"),
    )
    meta = metadata(sealer, age=[recipient])
    data["note_unencrypted"] = "edited by hand"  # type: ignore[index]
    with pytest.raises(SopsError, match="MAC mismatch"):
        sops_decrypt(_yaml(data, meta), SopsKeys(age=[identity]))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "pattern", "encrypted"),
    [
        ("encrypted_suffix", "_secret", lambda p: any(k.endswith("_secret") for k in p)),
        ("unencrypted_regex", "^public", lambda p: not any(k.startswith("public") for k in p)),
        (
            "encrypted_regex",
            "^(data|stringData)$",
            lambda p: any(k in ("data", "stringData") for k in p),
        ),
    ],
)
def test_encryption_rules(
    age_pair: tuple[str, str], rule: str, pattern: str, encrypted: object
) -> None:
    """encrypted_suffix, unencrypted_regex and encrypted_regex pick the same values as sops."""
    identity, recipient = age_pair
    sealer = Sealer()
    source = {
        "db_secret": "pw",
        "public_name": "svc",
        "data": {"token": "t"},
        "stringData": {"x": "y"},
        "kind": "Secret",
    }
    data = encrypt_tree(source, sealer, encrypted)  # type: ignore[arg-type]
    meta = metadata(sealer, age=[recipient], extra={rule: pattern})
    assert yaml.safe_load(sops_decrypt(_yaml(data, meta), SopsKeys(age=[identity]))) == source  # type: ignore[arg-type]


def test_encrypted_comment_regex(age_pair: tuple[str, str]) -> None:
    """Values after a comment matching encrypted_comment_regex are encrypted, others not."""
    identity, recipient = age_pair
    sealer = Sealer()
    plain_user = sealer.clear("admin")
    secret = sealer.seal("pw", ("password",))
    meta = metadata(sealer, age=[recipient], extra={"encrypted_comment_regex": "sops:enc"})
    text = dedent(f"""
        user: {plain_user}
        # sops:enc
        password: {secret}
        """) + yaml.safe_dump({"sops": meta}, sort_keys=False)
    out = sops_decrypt(text.encode(), SopsKeys(age=[identity])).decode()
    assert out == "user: admin\n# sops:enc\npassword: pw\n"


def test_encrypted_comments_in_nested_maps(age_pair: tuple[str, str]) -> None:
    """Encrypted comments inside nested mappings come back in place."""
    identity, recipient = age_pair
    sealer = Sealer()
    c1 = sealer.seal(" top note", (), comment=True)
    c2 = sealer.seal(" inner note", ("outer",), comment=True)
    v = sealer.seal("deep", ("outer", "inner"))
    meta = metadata(sealer, age=[recipient])
    text = f"#{c1}\nouter:\n    #{c2}\n    inner: {v}\n" + yaml.safe_dump(
        {"sops": meta}, sort_keys=False
    )
    out = sops_decrypt(text.encode(), SopsKeys(age=[identity])).decode()
    assert out == "# top note\nouter:\n    # inner note\n    inner: deep\n"


def test_dotenv_store_with_age(age_pair: tuple[str, str]) -> None:
    """A dotenv file (flattened metadata, multi-line value) decrypts to KEY=VALUE lines."""
    identity, recipient = age_pair
    sealer = Sealer()
    a = sealer.seal("one", ("A",))
    b = sealer.seal("two\nlines", ("B",))
    flat = flatten_meta(metadata(sealer, age=[recipient]))
    lines = [f"A={a}", "#a comment", f"B={b}"] + [f"sops_{k}={v}" for k, v in sorted(flat.items())]
    out = sops_decrypt("\n".join(lines).encode() + b"\n", SopsKeys(age=[identity]), format="dotenv")
    assert bytes(out) == b"A=one\n#a comment\nB=two\\nlines\n"


def test_ini_store_with_age(age_pair: tuple[str, str]) -> None:
    """An INI file with two sections and a [sops] section decrypts section by section."""
    identity, recipient = age_pair
    sealer = Sealer()
    x = sealer.seal("1", ("s1", "x"))
    y = sealer.seal("2", ("s2", "y"))
    flat = flatten_meta(metadata(sealer, age=[recipient]))
    text = f"[s1]\nx = {x}\n\n[s2]\ny = {y}\n\n[sops]\n" + "".join(
        f"{k} = {v}\n" for k, v in flat.items()
    )
    out = sops_decrypt(text.encode(), SopsKeys(age=[identity]), name="conf.ini")
    assert bytes(out) == b"[s1]\nx = 1\n\n[s2]\ny = 2\n"


def test_binary_and_json_stores(age_pair: tuple[str, str]) -> None:
    """The binary store returns raw bytes; the JSON store returns tab-indented JSON."""
    identity, recipient = age_pair
    sealer = Sealer()
    blob = sealer.seal("line1\nline2\n", ("data",))
    doc = json.dumps({"data": blob, "sops": metadata(sealer, age=[recipient])})
    assert bytes(sops_decrypt(doc.encode(), SopsKeys(age=[identity]))) == b"line1\nline2\n"
    sealer2 = Sealer()
    body = encrypt_tree({"a": {"b": [1, "x"]}}, sealer2)
    doc2 = json.dumps({**body, "sops": metadata(sealer2, age=[recipient])})  # type: ignore[dict-item]
    out = sops_decrypt(doc2.encode(), SopsKeys(age=[identity]), name="x.json")
    assert json.loads(out) == {"a": {"b": [1, "x"]}}


def test_ssh_ed25519_identity(tmp_path: Path) -> None:
    """An age recipient given as an ssh-ed25519 public key opens with the OpenSSH private key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    (tmp_path / "id_ed25519").write_bytes(pem)
    sealer = Sealer()
    data = encrypt_tree({"k": "ssh-opened"}, sealer)
    doc = _yaml(data, metadata(sealer, age=[public]))  # type: ignore[arg-type]
    keys = SopsKeys(ssh_files=[tmp_path / "id_ed25519"])
    assert yaml.safe_load(sops_decrypt(doc, keys)) == {"k": "ssh-opened"}


def test_pgp_made_by_gpg(tmp_path: Path, sops_corpus: Path) -> None:
    """A data key wrapped by the real gpg for a corpus PGP key opens through gpg."""
    import subprocess

    from sopsmake import wrap_pgp

    home = tmp_path / "g"
    home.mkdir(mode=0o700)
    key = sops_corpus / "terraform-provider-sops/test/testing-key.pgp"
    subprocess.run(
        ["gpg", "--batch", "--quiet", "--homedir", str(home), "--import", str(key)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    sealer = Sealer()
    data = encrypt_tree({"k": "via-gpg"}, sealer)
    meta = metadata(
        sealer,
        extra={"pgp": [wrap_pgp(sealer.key, "3CE5CC7219D6597CE6488BF1BF36CD3D0749A11A", home)]},
    )
    try:
        out = sops_decrypt(_yaml(data, meta), SopsKeys(gnupg_home=home))  # type: ignore[arg-type]
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "all"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    assert yaml.safe_load(out) == {"k": "via-gpg"}


def test_shamir_against_generated_shares() -> None:
    """combine() inverts the independent split for many random secrets and thresholds."""
    import os

    from gitopslib.secrets._shamir import combine

    for threshold in (2, 3, 5):
        secret = os.urandom(32)
        shares = shamir_split(secret, 5, threshold)
        assert combine(shares[:threshold]) == secret
        assert combine(shares[-threshold:]) == secret
        assert combine([shares[4], *shares[: threshold - 1]]) == secret


def test_pyrage_identity_str_is_recognised() -> None:
    """An identity string generated by pyrage is accepted as given."""
    identity = pyrage.x25519.Identity.generate()
    keys = SopsKeys(age=[f"# created: today\n{identity}\n"])
    assert keys.has_age and "AGE-SECRET" not in repr(keys)


def test_unencrypted_comment_regex(age_pair: tuple[str, str]) -> None:
    """A value after a comment matching unencrypted_comment_regex stays in clear."""
    identity, recipient = age_pair
    sealer = Sealer()
    secret = sealer.seal("pw", ("password",))
    plain_user = sealer.clear("admin")
    meta = metadata(sealer, age=[recipient], extra={"unencrypted_comment_regex": "sops:clear"})
    text = dedent(f"""
        password: {secret}
        # sops:clear
        user: {plain_user}
        """) + yaml.safe_dump({"sops": meta}, sort_keys=False)
    out = sops_decrypt(text.encode(), SopsKeys(age=[identity])).decode()
    assert out == "password: pw\n# sops:clear\nuser: admin\n"
