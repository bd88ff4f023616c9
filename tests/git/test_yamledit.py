"""set_yaml_value: the pipeline's ``yq w --inplace values.yaml image.tag ...`` step."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitopslib.errors import ValidationError
from gitopslib.git import set_yaml_value


def test_corpus_values_only_the_tag_line_changes(example_apps: Path) -> None:
    """On helm-guestbook's values.yaml only the image.tag line changes; comments survive."""
    text = (example_apps / "helm-guestbook" / "values.yaml").read_text()
    out = set_yaml_value(text, "image.tag", "v6")
    # expected by hand: the same file with 'tag: v5' replaced by 'tag: v6'
    assert out == text.replace("  tag: v5\n", "  tag: v6\n")


def test_inline_comment_kept() -> None:
    """The comment on the edited line stays."""
    out = set_yaml_value("image:\n  tag: v1  # pinned\n", "image.tag", "v2")
    assert out == "image:\n  tag: v2  # pinned\n"


def test_creates_missing_keys() -> None:
    """Missing intermediate mappings are created."""
    out = set_yaml_value("a: 1\n", "image.tag", "v2")
    assert out == "a: 1\nimage:\n  tag: v2\n"


def test_empty_document() -> None:
    """An empty file becomes a mapping with the value."""
    assert set_yaml_value("", "image.tag", "v2") == "image:\n  tag: v2\n"


def test_non_mapping_in_the_way_names_path() -> None:
    """A scalar where a mapping is needed is an error naming both paths."""
    with pytest.raises(ValidationError, match=r"'image' is a str") as info:
        set_yaml_value("image: nginx\n", "image.tag", "v2")
    assert info.value.field == "image.tag"


def test_escaped_dot_in_key() -> None:
    """A backslash-escaped dot is part of the key."""
    out = set_yaml_value("a: {}\n", r"a.example\.com/x", "y")
    assert "example.com/x: y" in out


def test_invalid_yaml_is_a_validation_error() -> None:
    """Unparsable YAML reports a line."""
    with pytest.raises(ValidationError) as info:
        set_yaml_value("a: [\n", "a", 1, file="values.yaml")
    assert info.value.file == "values.yaml"


def test_quote_style_kept() -> None:
    """A double-quoted value stays double-quoted."""
    assert set_yaml_value('tag: "v1"  # c\n', "tag", "v2") == 'tag: "v2"  # c\n'


def test_string_that_looks_like_bool_is_quoted() -> None:
    """The string 'true' is written so that it reads back as a string."""
    assert set_yaml_value("tag: v1\n", "tag", "true") == "tag: 'true'\n"
