"""Decrypted YAML is written back in place: any plain string must read back unchanged."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitopslib.secrets._yaml_store import render_scalar

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(TEXT, st.sampled_from([0, 4]))
def test_any_string_reads_back(value: str, indent: int) -> None:
    """A string rendered as a mapping value (top level or nested) loads back as itself."""
    pad = " " * indent
    doc = (
        (f"outer:\n{pad}key: " if indent else "key: ")
        + render_scalar(value, indent)
        + "\nnext: 1\n"
    )
    loaded = yaml.safe_load(doc)
    inner = loaded["outer"] if indent else loaded
    assert inner["key"] == value and loaded["next"] == 1


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans()))
def test_typed_values_read_back(value: object) -> None:
    """int, float and bool values keep their type."""
    assert yaml.safe_load("k: " + render_scalar(value, 0)) == {"k": value}  # type: ignore[arg-type]
