"""Argo CD's ``argocd app set`` override flags, applied to an Application before rendering."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitopslib.cli.base import CLIError

if TYPE_CHECKING:
    from gitopslib.models import Application


def _pair(flag: str, text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise CLIError(f"{flag} {text!r}: expected NAME=VALUE")
    return name, value


def _upsert(items: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    for i, item in enumerate(items):
        if item.get("name") == entry["name"]:
            items[i] = entry
            return
    items.append(entry)


def _image_name(image: str) -> tuple[str, str]:
    """The (delimiter, name) of a Kustomize image override: ``name=new``, ``name:tag`` or
    ``name@digest``; two overrides replace each other when both agree."""
    for delim in ("=", "@", ":"):
        if delim in image:
            return delim, image.split(delim, 1)[0]
    return ":", image


@dataclass
class Overrides:
    """Argo CD's ``argocd app set`` override flags, applied to one source of an app."""

    helm_set: list[str] = field(default_factory=list)
    helm_set_string: list[str] = field(default_factory=list)
    helm_set_file: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    release_name: str | None = None
    kustomize_images: list[str] = field(default_factory=list)
    name_prefix: str | None = None
    name_suffix: str | None = None
    jsonnet_ext_str: list[str] = field(default_factory=list)
    jsonnet_ext_code: list[str] = field(default_factory=list)
    jsonnet_tla_str: list[str] = field(default_factory=list)
    jsonnet_tla_code: list[str] = field(default_factory=list)
    jsonnet_libs: list[str] = field(default_factory=list)
    source_position: int | None = None

    def empty(self) -> bool:
        """Whether no override is set."""
        return not any(getattr(self, f) for f in vars(self) if f != "source_position") and all(
            v is None for v in (self.release_name, self.name_prefix, self.name_suffix)
        )


def apply_overrides(app: Application, overrides: Overrides) -> Application:
    """A copy of ``app`` with the overrides applied to one of its sources (the only one, or
    ``source_position``, 1-based, of a multi-source app), as ``argocd app set`` does:
    parameters and variables replace same-named ones, ``values`` replaces the value files,
    a Kustomize image replaces the override of the same image name.

    >>> from gitopslib.models import Application
    >>> app = Application.from_yaml("examples/02-helm-app/application.yaml")
    >>> new = apply_overrides(app, Overrides(helm_set=["replicaCount=5"]))
    >>> [(p.name, p.value) for p in new.spec.source.helm.parameters][-1]
    ('replicaCount', '5')
    """
    from gitopslib.models import Application

    if overrides.empty():
        return app
    data = app.to_dict()
    spec = data.setdefault("spec", {})
    sources = spec.get("sources")
    if sources:
        pos = overrides.source_position
        if pos is None:
            if len(sources) != 1:
                raise CLIError(
                    f"Application {app.metadata.name!r} has {len(sources)} sources: "
                    "say which one to override with --source-position N"
                )
            pos = 1
        if not 1 <= pos <= len(sources):
            raise CLIError(f"--source-position {pos}: the app has {len(sources)} sources")
        target = sources[pos - 1]
    else:
        target = spec.get("source")
        if target is None:
            raise CLIError(f"Application {app.metadata.name!r} has no source to override")
    o = overrides
    if o.helm_set or o.helm_set_string or o.helm_set_file or o.values or o.release_name:
        helm = target.setdefault("helm", {})
        params = helm.setdefault("parameters", [])
        for text in o.helm_set:
            name, value = _pair("--helm-set", text)
            _upsert(params, {"name": name, "value": value})
        for text in o.helm_set_string:
            name, value = _pair("--helm-set-string", text)
            _upsert(params, {"name": name, "value": value, "forceString": True})
        if not params:
            helm.pop("parameters")
        for text in o.helm_set_file:
            name, value = _pair("--helm-set-file", text)
            _upsert(helm.setdefault("fileParameters", []), {"name": name, "path": value})
        if o.values:
            helm["valueFiles"] = list(o.values)
        if o.release_name:
            helm["releaseName"] = o.release_name
    if o.kustomize_images or o.name_prefix is not None or o.name_suffix is not None:
        kustomize = target.setdefault("kustomize", {})
        images: list[str] = kustomize.setdefault("images", [])
        for image in o.kustomize_images:
            key = _image_name(image)
            images[:] = [i for i in images if _image_name(i) != key]
            images.append(image)
        if not images:
            kustomize.pop("images")
        if o.name_prefix is not None:
            kustomize["namePrefix"] = o.name_prefix
        if o.name_suffix is not None:
            kustomize["nameSuffix"] = o.name_suffix
    jsonnet_vars = (
        ("extVars", o.jsonnet_ext_str, False, "--jsonnet-ext-var-str"),
        ("extVars", o.jsonnet_ext_code, True, "--jsonnet-ext-var-code"),
        ("tlas", o.jsonnet_tla_str, False, "--jsonnet-tla-str"),
        ("tlas", o.jsonnet_tla_code, True, "--jsonnet-tla-code"),
    )
    if any(items for _, items, _, _ in jsonnet_vars) or o.jsonnet_libs:
        jsonnet = target.setdefault("directory", {}).setdefault("jsonnet", {})
        for list_key, items, code, flag in jsonnet_vars:
            for text in items:
                name, value = _pair(flag, text)
                entry: dict[str, Any] = {"name": name, "value": value}
                if code:
                    entry["code"] = True
                _upsert(jsonnet.setdefault(list_key, []), entry)
        if o.jsonnet_libs:
            jsonnet["libs"] = list(o.jsonnet_libs)
    source = getattr(app, "_source", None)
    changed = Application.from_dict(data, file=getattr(source, "file", None))
    # keep pointing at the lines of the file the user wrote (errors name file:line)
    new_source = getattr(changed, "_source", None)
    locations = getattr(source, "locations", None)
    if new_source is not None and locations is not None:
        new_source.locations = locations
    return changed


def overrides_from(args: argparse.Namespace) -> Overrides:
    return Overrides(
        helm_set=args.helm_set or [],
        helm_set_string=args.helm_set_string or [],
        helm_set_file=args.helm_set_file or [],
        values=args.values or [],
        release_name=args.release_name,
        kustomize_images=args.kustomize_image or [],
        name_prefix=args.nameprefix,
        name_suffix=args.namesuffix,
        jsonnet_ext_str=args.jsonnet_ext_var_str or [],
        jsonnet_ext_code=args.jsonnet_ext_var_code or [],
        jsonnet_tla_str=args.jsonnet_tla_str or [],
        jsonnet_tla_code=args.jsonnet_tla_code or [],
        jsonnet_libs=args.jsonnet_libs or [],
        source_position=args.source_position,
    )
