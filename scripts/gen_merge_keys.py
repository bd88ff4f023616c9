"""Generate ``gitopslib/diff/_merge_keys.json`` from the Kubernetes OpenAPI schemas.

The schemas come from the ``kubernetes-validate`` package, which ships the OpenAPI definitions
of every Kubernetes release as JSON Schema. Nothing here is typed by hand: for each built-in
group/version/kind we walk its definition and keep only what the diff engine needs:

* lists with a strategic-merge strategy (``x-kubernetes-patch-strategy``,
  ``x-kubernetes-patch-merge-key``) and their list type (``x-kubernetes-list-type``,
  ``x-kubernetes-list-map-keys``),
* maps with ``retainKeys``,
* resource quantities (``io.k8s.apimachinery.pkg.api.resource.Quantity``), directly or as the
  values of a map.

Types that lead to none of these are dropped, so the table stays small.

Run from the repository root::

    /work/venv/bin/python scripts/gen_merge_keys.py [--version 1.37.0]
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
from pathlib import Path
from typing import Any

QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
PREFIXES = (
    "io.k8s.api.",
    "io.k8s.apimachinery.pkg.apis.",
    "io.k8s.kube-aggregator.pkg.apis.",
    "io.k8s.apiextensions-apiserver.pkg.apis.",
)
OUT = Path(__file__).resolve().parents[1] / "gitopslib" / "diff" / "_merge_keys.json"


def short(name: str) -> str:
    """A definition name without its long package prefix."""
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def ref_name(prop: dict[str, Any]) -> str | None:
    """The definition a property refers to, if any."""
    ref = prop.get("$ref")
    if ref is None and "allOf" in prop and len(prop["allOf"]) == 1:
        ref = prop["allOf"][0].get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    return None


def describe(prop: dict[str, Any]) -> list[Any] | None:
    """The compact descriptor of one property (None: nothing the diff needs)."""
    target = ref_name(prop)
    if target == QUANTITY:
        return ["q"]
    if target is not None:
        return ["o", short(target), None]
    types = prop.get("type")
    types = types if isinstance(types, list) else [types]
    if "array" in types:
        items = prop.get("items") or {}
        item_ref = ref_name(items)
        item = None if item_ref is None else ("q" if item_ref == QUANTITY else short(item_ref))
        return [
            "l",
            item,
            prop.get("x-kubernetes-patch-strategy"),
            prop.get("x-kubernetes-patch-merge-key"),
            prop.get("x-kubernetes-list-type"),
            prop.get("x-kubernetes-list-map-keys"),
        ]
    if "object" in types and isinstance(prop.get("additionalProperties"), dict):
        value_ref = ref_name(prop["additionalProperties"])
        if value_ref == QUANTITY:
            return ["m", "q"]
        if value_ref is not None:
            return ["m", short(value_ref)]
    return None


def build(version: str) -> dict[str, Any]:
    """The whole table for one Kubernetes version."""
    root = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
    text = (root / f"v{version}-local" / "_definitions.json").read_text(encoding="utf-8")
    defs: dict[str, Any] = json.loads(text)["$defs"]

    raw: dict[str, dict[str, list[Any]]] = {}
    retain: dict[str, set[str]] = {}
    for name, schema in defs.items():
        fields: dict[str, list[Any]] = {}
        for field, prop in (schema.get("properties") or {}).items():
            desc = describe(prop)
            if desc is None:
                continue
            if desc[0] == "o" and "retainKeys" in str(prop.get("x-kubernetes-patch-strategy")):
                desc[2] = "retainKeys"
            fields[field] = desc
        raw[short(name)] = fields
        retain.setdefault(short(name), set())

    # Keep a type only if something interesting is reachable from it (fixpoint).
    def own_interest(desc: list[Any]) -> bool:
        if desc[0] == "q":
            return True
        if desc[0] == "l":
            return bool(desc[2] or desc[4] in ("map", "set") or desc[1] == "q")
        if desc[0] == "o":
            return desc[2] == "retainKeys"
        return desc[1] == "q"

    interesting = {t for t, f in raw.items() if any(own_interest(d) for d in f.values())}
    changed = True
    while changed:
        changed = False
        for t, fields in raw.items():
            if t in interesting:
                continue
            for d in fields.values():
                child = d[1] if d[0] in ("o", "l", "m") else None
                if child in interesting:
                    interesting.add(t)
                    changed = True
                    break

    types: dict[str, dict[str, list[Any]]] = {}
    for t in sorted(interesting):
        kept: dict[str, list[Any]] = {}
        for field, d in sorted(raw[t].items()):
            child = d[1] if d[0] in ("o", "l", "m") else None
            if own_interest(d) or child in interesting:
                if d[0] in ("o", "l", "m") and child not in interesting and child != "q":
                    d = [d[0], None, *d[2:]]
                kept[field] = d
        types[t] = kept

    gvks: dict[str, str] = {}
    for name, schema in defs.items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or []:
            if len(schema.get("x-kubernetes-group-version-kind")) != 1:
                continue  # shared meta types (DeleteOptions, WatchEvent)
            key = f"{gvk['group']}/{gvk['version']}/{gvk['kind']}"
            gvks[key] = short(name) if short(name) in interesting else ""
    return {
        "source": f"kubernetes-validate v{version}-local/_definitions.json",
        "gvk": dict(sorted(gvks.items())),
        "types": types,
    }


def main() -> None:
    """Write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="1.37.0", help="Kubernetes schema version")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    table = build(args.version)
    args.out.write_text(
        json.dumps(table, separators=(",", ":"), sort_keys=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {args.out} ({len(table['gvk'])} kinds, {len(table['types'])} types)")


if __name__ == "__main__":
    main()
