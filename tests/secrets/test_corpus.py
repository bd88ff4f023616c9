"""Files encrypted by the real sops (3.2 to 3.13) decrypt to the plain text their projects
assert, and tampered copies are refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from gitopslib.errors import SopsError
from gitopslib.secrets import SecretBytes, SopsKeys, sops_decrypt

KC = "kustomize-controller/internal/controller/testdata/sops/"
HS = "helm-secrets/tests/assets/values/sops/"
TF = "terraform-provider-sops/sops/test-fixtures/"
FT = "sops/functional-tests/res/"

TF_BASIC = {"hello": "world", "integer": 0, "float": 0.2, "bool": True, "null_value": None}

AGE_CASES = [
    (KC + "algorithms/age.yaml", ("stringData", "key"), "value"),
    (KC + "patches/merge1.yaml", ("stringData", "key"), "merge1"),
    (KC + "patches/merge2.yaml", ("stringData", "merge2"), "merge2"),
    (KC + "global/secret.yaml", ("stringData", "key"), "global-value"),
    (HS + "secrets.age.yaml", ("service", "port"), 92),
]

PGP_CASES = [
    (KC + "algorithms/pgp.yaml", ("stringData", "key"), "value"),
    (HS + "secrets.gpg_key.yaml", ("service", "port"), 91),
    (HS + "files/file.yaml", ("hello",), "fromextrafile"),
    (TF + "nested.yaml", ("db", "password"), "bar"),
    (TF + "nested.yaml", ("db", "user"), "foo"),
]


def _get(data: object, path: tuple[str, ...]) -> object:
    for key in path:
        assert isinstance(data, dict)
        data = data[key]
    return data


@pytest.mark.parametrize(("name", "path", "expected"), AGE_CASES)
def test_age_files_decrypt(
    sops_corpus: Path, corpus_age_keys: SopsKeys, name: str, path: tuple[str, ...], expected: object
) -> None:
    """Each age-encrypted YAML file gives the value its project's tests assert."""
    plain = sops_decrypt(sops_corpus / name, corpus_age_keys)
    assert _get(yaml.safe_load(plain), path) == expected


@pytest.mark.parametrize(("name", "path", "expected"), PGP_CASES)
def test_pgp_files_decrypt(
    sops_corpus: Path, corpus_pgp_keys: SopsKeys, name: str, path: tuple[str, ...], expected: object
) -> None:
    """Each PGP-encrypted YAML file gives the value its project's tests assert."""
    plain = sops_decrypt(sops_corpus / name, corpus_pgp_keys)
    assert _get(yaml.safe_load(plain), path) == expected


@pytest.mark.parametrize("name", [TF + "basic.age0.yaml", TF + "basic.age1.yaml"])
def test_terraform_age_types(sops_corpus: Path, corpus_age_keys: SopsKeys, name: str) -> None:
    """str, int, float and bool values come back typed, and the clear null stays null."""
    assert yaml.safe_load(sops_decrypt(sops_corpus / name, corpus_age_keys)) == TF_BASIC


def test_terraform_pgp_types(sops_corpus: Path, corpus_pgp_keys: SopsKeys) -> None:
    """The PGP twin of basic.age0.yaml decrypts to the same typed values."""
    assert (
        yaml.safe_load(sops_decrypt(sops_corpus / TF / "basic.yaml", corpus_pgp_keys)) == TF_BASIC
    )


def test_terraform_json(sops_corpus: Path, corpus_pgp_keys: SopsKeys) -> None:
    """The JSON store gives hello, integer, float, bool and null back."""
    data = json.loads(sops_decrypt(sops_corpus / TF / "basic.json", corpus_pgp_keys))
    assert data == {"hello": "world", "integer": 0, "float": 0.2, "bool": True, "null": None}


def test_complex_list(sops_corpus: Path, corpus_pgp_keys: SopsKeys) -> None:
    """A list of maps with int and null entries decrypts item by item."""
    data = yaml.safe_load(sops_decrypt(sops_corpus / TF / "complex-list.yaml", corpus_pgp_keys))
    assert data == {
        "a_list": [{"name": "foo", "index": 0, "value": None}, {"name": "bar", "index": 1}]
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("format.enc.yaml", b"foo: bar\n"),
        ("format.enc.json", b'{\n\t"foo": "bar"\n}\n'),
        ("format.enc.env", b"foo = bar\n"),
        ("format.enc.ini", b"[foo]\nbar = baz\n"),
    ],
)
def test_functional_formats_exact(
    sops_corpus: Path, corpus_pgp_keys: SopsKeys, name: str, expected: bytes
) -> None:
    """sops' own functional tests' four stores decrypt to exactly the bytes sops prints."""
    assert bytes(sops_decrypt(sops_corpus / FT / name, corpus_pgp_keys)) == expected


def test_encrypted_comments_come_back(sops_corpus: Path, corpus_pgp_keys: SopsKeys) -> None:
    """comments.enc.yaml decrypts to comments.yaml, encrypted comments included."""
    plain = sops_decrypt(sops_corpus / FT / "comments.enc.yaml", corpus_pgp_keys)
    expected = (sops_corpus / FT / "comments.yaml").read_bytes()
    assert bytes(plain) == expected + b"\n"  # the committed file lacks its final newline


@pytest.mark.parametrize(
    ("enc", "dec"),
    [("secrets.yaml", "secrets.dec.yaml"), ("some-secrets.yaml", "some-secrets.dec.yaml")],
)
def test_helm_secrets_plain_counterparts(
    sops_corpus: Path, corpus_pgp_keys: SopsKeys, enc: str, dec: str
) -> None:
    """helm-secrets' encrypted values files equal their committed plain counterparts."""
    plain = yaml.safe_load(sops_decrypt(sops_corpus / HS / enc, corpus_pgp_keys))
    assert plain == yaml.safe_load((sops_corpus / HS / dec).read_text())


def test_trailing_newlines_kept(sops_corpus: Path, corpus_pgp_keys: SopsKeys) -> None:
    """Block scalars with 1, 2 and 3 kept trailing newlines keep them."""
    data = yaml.safe_load(
        sops_decrypt(sops_corpus / HS / "secrets.trailing-newline.yaml", corpus_pgp_keys)
    )
    assert data["podAnnotations"] == {
        "finalnewline": "hello\nworld\n",
        "value1": "multi\nline\n\n",
        "value2": "multi\nline\n\n\n",
        "value3": "multi\nline\n\n\n\n",
    }


def test_binary_store_exact(sops_corpus: Path, corpus_pgp_keys: SopsKeys) -> None:
    """The binary store gives back the exact bytes of the committed plain file."""
    plain = sops_decrypt(sops_corpus / HS / "secrets.trailing-newline.raw", corpus_pgp_keys)
    assert bytes(plain) == (sops_corpus / HS / "secrets.trailing-newline.dec.raw").read_bytes()


def test_binary_store_age(sops_corpus: Path, corpus_age_keys: SopsKeys) -> None:
    """kustomize-controller's file.txt (binary store, age) is the five bytes 'value'."""
    assert bytes(sops_decrypt(sops_corpus / KC / "files/file.txt", corpus_age_keys)) == b"value"


@pytest.mark.parametrize("name", ["envs/env.env", "component/env.env"])
def test_dotenv_age(sops_corpus: Path, corpus_age_keys: SopsKeys, name: str) -> None:
    """The dotenv store with age gives key=value."""
    assert bytes(sops_decrypt(sops_corpus / KC / name, corpus_age_keys)) == b"key=value\n"


def test_secret_inside_a_secret(sops_corpus: Path, corpus_age_keys: SopsKeys) -> None:
    """A plain Secret carrying a base64 binary-store document: the inner one decrypts."""
    import base64

    outer = yaml.safe_load((sops_corpus / KC / "inside/secret.yaml").read_text())
    inner = base64.b64decode(outer["data"]["key"])
    assert bytes(sops_decrypt(inner, corpus_age_keys, name="inside")) == b"value"


@pytest.mark.parametrize(
    "name", [FT + "multiple_keys.yaml", "sops/example.yaml", "sops/example.json", TF + "basic.json"]
)
def test_rich_files_pass_their_mac(sops_corpus: Path, corpus_pgp_keys: SopsKeys, name: str) -> None:
    """Files with lists, floats, bools, comments and clear suffix keys pass their MAC."""
    plain = sops_decrypt(sops_corpus / name, corpus_pgp_keys)
    data = json.loads(plain) if name.endswith(".json") else yaml.safe_load(plain)
    assert isinstance(data, dict) and "sops" not in data
    assert "ENC[" not in json.dumps(data)


def test_example_yaml_keeps_clear_suffix_values(
    sops_corpus: Path, corpus_pgp_keys: SopsKeys
) -> None:
    """Keys ending in _unencrypted stay as written; encrypted comments come back."""
    source = (sops_corpus / "sops/example.yaml").read_text()
    plain = sops_decrypt(sops_corpus / "sops/example.yaml", corpus_pgp_keys).decode()
    clear = [line for line in source.splitlines() if "_unencrypted:" in line]
    assert clear and all(line in plain for line in clear)
    assert "#ENC[" in source and "#ENC[" not in plain


def test_kustomize_sops_inputs(sops_corpus: Path, corpus_pgp_keys: SopsKeys) -> None:
    """KSOPS' inputs: unencrypted_regex leaves apiVersion/metadata/kind/type in clear."""
    data = yaml.safe_load(
        sops_decrypt(
            sops_corpus / "kustomize-sops/test/krm/single/secret.enc.yaml", corpus_pgp_keys
        )
    )
    assert data["data"] == {"password": "MWYyZDFlMmU2N2Rm", "username": "YWRtaW4="}
    assert data["stringData"] == {"application": "kustomize-sops"}
    env = sops_decrypt(sops_corpus / "kustomize-sops/test/krm/envs/secret.enc.env", corpus_pgp_keys)
    assert bytes(env) == b"password=1f2d1e2e67df\nusername=admin\n"


def test_result_hides_its_value(sops_corpus: Path, corpus_age_keys: SopsKeys) -> None:
    """The result is bytes whose repr and str show only a length."""
    plain = sops_decrypt(sops_corpus / KC / "algorithms/age.yaml", corpus_age_keys)
    assert isinstance(plain, SecretBytes)
    assert "value" not in repr(plain) and "value" not in str(plain) and b"key: value" in plain


# --- refusals ----------------------------------------------------------------------------------


def test_no_mac_refused(sops_corpus: Path, corpus_pgp_keys: SopsKeys) -> None:
    """A file without a MAC is refused, as sops refuses it."""
    with pytest.raises(SopsError, match="no MAC"):
        sops_decrypt(sops_corpus / FT / "no_mac.yaml", corpus_pgp_keys)


def test_no_mac_with_ignore_mac(sops_corpus: Path, corpus_pgp_keys: SopsKeys) -> None:
    """ignore_mac=True opens the MAC-less file, as sops --ignore-mac does."""
    plain = sops_decrypt(sops_corpus / FT / "no_mac.yaml", corpus_pgp_keys, ignore_mac=True)
    assert b"ENC[" not in plain


def _flip(text: str, start: int) -> str:
    """``text`` with the base64 character at ``start`` changed to another valid one."""
    char = text[start]
    return text[:start] + ("B" if char != "B" else "C") + text[start + 1 :]


def _tamper(tmp_path: Path, source: Path, how: str) -> Path:
    text = source.read_text()
    if how == "value":
        at = re.search(r"^(?!\s*mac:)\s*\w+: ENC\[AES256_GCM,data:", text, re.M)
        assert at is not None
        text = _flip(text, at.end())
    elif how == "mac":
        at = re.search(r"mac: ENC\[AES256_GCM,data:", text)
        assert at is not None
        text = _flip(text, at.end())
    elif how == "drop-mac":
        text = re.sub(r"^\s*mac: ENC\[.*\]\n", "", text, flags=re.M)
    elif how == "lastmodified":
        text = re.sub(r"(lastmodified: ['\"]?)(\d{4})", lambda m: m.group(1) + "1999", text)
    target = tmp_path / source.name
    target.write_text(text)
    return target


@pytest.mark.parametrize("how", ["value", "mac", "drop-mac", "lastmodified"])
@pytest.mark.parametrize(
    "name", [KC + "algorithms/age.yaml", TF + "basic.age0.yaml", HS + "secrets.age.yaml"]
)
def test_tampered_copies_refused(
    tmp_path: Path, sops_corpus: Path, corpus_age_keys: SopsKeys, name: str, how: str
) -> None:
    """A flipped value byte, a flipped MAC byte, a dropped MAC or a changed date is refused."""
    copy = _tamper(tmp_path, sops_corpus / name, how)
    with pytest.raises(SopsError) as caught:
        sops_decrypt(copy, corpus_age_keys)
    assert str(copy) in str(caught.value) and "\n" not in str(caught.value)


def test_moved_value_refused(tmp_path: Path, sops_corpus: Path, corpus_age_keys: SopsKeys) -> None:
    """A value copied under another key fails: the key path is authenticated."""
    text = (sops_corpus / TF / "basic.age0.yaml").read_text()
    hello = re.search(r"^hello: (ENC\[.*\])$", text, re.M)
    assert hello is not None
    moved = re.sub(r"^null_value: .*$", "null_value: " + hello.group(1), text, flags=re.M)
    (tmp_path / "moved.yaml").write_text(moved)
    with pytest.raises(SopsError, match="null_value: cannot decrypt"):
        sops_decrypt(tmp_path / "moved.yaml", corpus_age_keys)


def test_post_quantum_age_unsupported(sops_corpus: Path, corpus_age_keys: SopsKeys) -> None:
    """A file sealed only for a post-quantum age recipient gets 'unsupported key type'."""
    with pytest.raises(SopsError, match="unsupported key type"):
        sops_decrypt(sops_corpus / KC / "algorithms/age-pq.yaml", corpus_age_keys)


def test_post_quantum_identity_unsupported(sops_corpus: Path) -> None:
    """An AGE-SECRET-KEY-PQ-1 identity is named as an unsupported key type, not shown."""
    keys = SopsKeys(age_files=[sops_corpus / KC / "keys/age-pq.txt"])
    with pytest.raises(SopsError, match="unsupported key type") as caught:
        sops_decrypt(sops_corpus / KC / "algorithms/age.yaml", keys)
    assert "AGE-SECRET-KEY-PQ-1" not in str(caught.value).replace(
        "(post-quantum age, AGE-SECRET-KEY-PQ-1)", ""
    )


def test_cloud_kms_unsupported(
    tmp_path: Path, sops_corpus: Path, corpus_age_keys: SopsKeys
) -> None:
    """A file whose only key is a cloud KMS gets 'unsupported key type' naming it."""
    text = (sops_corpus / KC / "algorithms/age.yaml").read_text()
    data = yaml.safe_load(text)
    data["sops"]["age"] = []
    data["sops"]["kms"] = [
        {
            "arn": "arn:aws:kms:eu-west-1:1:key/x",
            "enc": "AQICAH...",
            "created_at": "2020-01-01T00:00:00Z",
        }
    ]
    (tmp_path / "kms.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(SopsError, match=r"unsupported key type.*kms"):
        sops_decrypt(tmp_path / "kms.yaml", corpus_age_keys)
