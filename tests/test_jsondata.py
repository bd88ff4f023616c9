"""copy_json: a deep copy of parsed manifests that shares nothing mutable with the original."""

from __future__ import annotations

import copy
import datetime

from gitopslib._jsondata import copy_json


def test_plain_trees_are_rebuilt_and_equal() -> None:
    original = {"a": [1, {"b": "c"}, [2, 3]], "d": {"e": None, "f": 1.5, "g": True, "h": b"x"}}
    copied = copy_json(original)
    assert copied == original
    copied["a"][1]["b"] = "changed"
    copied["a"][2].append(4)
    copied["d"]["e"] = 0
    assert original == {
        "a": [1, {"b": "c"}, [2, 3]],
        "d": {"e": None, "f": 1.5, "g": True, "h": b"x"},
    }


def test_shared_subtrees_become_independent_copies() -> None:
    """A YAML alias shares one dict between two places; each copy gets its own."""
    shared = {"x": 1}
    copied = copy_json({"one": shared, "two": shared})
    copied["one"]["x"] = 2
    assert copied["two"] == {"x": 1} and shared == {"x": 1}


def test_other_types_go_through_deepcopy() -> None:
    class Box(dict):  # type: ignore[type-arg]
        pass

    stamp = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    original = {"box": Box(inner=[1]), "set": {1, 2}, "when": stamp, "pair": (1, [2])}
    copied = copy_json(original)
    assert type(copied["box"]) is Box and copied["box"] == {"inner": [1]}
    assert copied["box"]["inner"] is not original["box"]["inner"]
    assert copied["set"] == {1, 2} and copied["set"] is not original["set"]
    assert copied["pair"][1] is not original["pair"][1]
    assert copied == copy.deepcopy(original)
