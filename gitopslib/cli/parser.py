"""The argument parser's building blocks: the parser with one-line usage errors, the flag
groups several commands share, and :class:`Commands`, which each command module's
``register`` adds its subcommand to."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn


class Commands:
    """The subcommands of ``gitopslib`` being built. A command module registers itself with
    ``def register(commands: Commands) -> None`` calling :meth:`add` and setting ``func``
    (``func(args, out) -> exit code``) on the parser it gets back."""

    def __init__(self, sub: argparse._SubParsersAction[Any]) -> None:
        self._sub = sub

    def add(self, name: str, help_text: str, apps: str = "+") -> argparse.ArgumentParser:
        """A new subcommand ``name``; ``apps`` is the nargs of its Application arguments
        (``"+"``, ``"*"``, or ``""`` for none)."""
        p: argparse.ArgumentParser = self._sub.add_parser(
            name, help=help_text, description=help_text
        )
        p.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="print the traceback of an error",
        )
        if apps:
            p.add_argument("apps", nargs=apps, metavar="APP", help="Application file or folder")
        return p


def add_source_flags(p: argparse.ArgumentParser) -> None:
    """The flags that say where manifests come from and how to change the app first."""
    g = p.add_argument_group("where manifests come from")
    g.add_argument(
        "--repo-root",
        "--local",
        "--local-repo-root",
        dest="repo_root",
        metavar="DIR",
        help="render this local checkout, no cloning (--local and --local-repo-root, as in "
        "argocd app diff, are the same flag)",
    )
    g.add_argument("--revision", metavar="REV", help="commit, branch or tag to render")
    g.add_argument("--cache-dir", metavar="DIR", help="Git and render cache folder")
    g.add_argument("--plugins-dir", metavar="DIR", help="folder of CMP plugin.yaml files")
    g.add_argument(
        "--kube-version", metavar="X.Y", help="Kubernetes version for Helm (and schemas)"
    )
    g.add_argument(
        "--api-versions",
        metavar="API",
        action="append",
        help="API version Helm's .Capabilities offers (repeatable)",
    )
    g.add_argument(
        "--timeout", type=float, default=90.0, help="seconds per engine run (default: 90)"
    )
    s = p.add_argument_group("secrets (SOPS: helm-secrets value files, KSOPS, encrypted manifests)")
    s.add_argument(
        "--sops-key-location",
        action="append",
        metavar="PREFIX=DIR",
        help="where helm-secrets key paths under PREFIX are on this machine, e.g. "
        "/helm-secrets-private-keys=./keys (repeatable)",
    )
    s.add_argument(
        "--sops-age-key-file",
        action="append",
        metavar="FILE",
        help="age identities for secrets://, KSOPS and encrypted manifests (repeatable; "
        "default: what sops finds: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, sops/age/keys.txt)",
    )
    o = p.add_argument_group("overrides (as argocd app set)")
    o.add_argument("--helm-set", action="append", metavar="K=V", help="Helm parameter (repeatable)")
    o.add_argument(
        "--helm-set-string",
        action="append",
        metavar="K=V",
        help="Helm parameter kept a string (repeatable)",
    )
    o.add_argument(
        "--helm-set-file",
        action="append",
        metavar="K=PATH",
        help="Helm parameter read from a file of the repository (repeatable)",
    )
    o.add_argument(
        "--values",
        action="append",
        metavar="FILE",
        help="Helm value file, replacing the app's valueFiles (repeatable)",
    )
    o.add_argument("--release-name", metavar="NAME", help="Helm release name")
    o.add_argument(
        "--kustomize-image",
        action="append",
        metavar="IMAGE",
        help="Kustomize image override: name=new:tag, name:tag or name@digest (repeatable)",
    )
    o.add_argument("--nameprefix", metavar="PREFIX", help="Kustomize namePrefix")
    o.add_argument("--namesuffix", metavar="SUFFIX", help="Kustomize nameSuffix")
    o.add_argument(
        "--jsonnet-ext-var-str",
        "--jsonnet-ext-str",
        action="append",
        metavar="K=V",
        help="Jsonnet external variable, a string (repeatable)",
    )
    o.add_argument(
        "--jsonnet-ext-var-code",
        "--jsonnet-ext-code",
        action="append",
        metavar="K=V",
        help="Jsonnet external variable, Jsonnet code (repeatable)",
    )
    o.add_argument(
        "--jsonnet-tla-str",
        action="append",
        metavar="K=V",
        help="Jsonnet top-level argument, a string (repeatable)",
    )
    o.add_argument(
        "--jsonnet-tla-code",
        action="append",
        metavar="K=V",
        help="Jsonnet top-level argument, Jsonnet code (repeatable)",
    )
    o.add_argument(
        "--jsonnet-libs",
        action="append",
        metavar="DIR",
        help="Jsonnet library folder of the repository (repeatable)",
    )
    o.add_argument(
        "--source-position",
        type=int,
        metavar="N",
        help="which source of a multi-source app the overrides change (1-based)",
    )


def add_live_flags(p: argparse.ArgumentParser) -> None:
    """The flags that say where live state comes from."""
    g = p.add_argument_group("live state (default: an empty cluster)")
    g.add_argument("--live", metavar="DIR", help="YAML files of the live objects")
    g.add_argument("--kubeconfig", metavar="FILE", help="read live objects from this cluster")
    g.add_argument("--context", metavar="NAME", help="kubeconfig context")


def add_output_flag(p: argparse.ArgumentParser, choices: tuple[str, ...], default: str) -> None:
    """``-o/--output`` with its formats."""
    p.add_argument(
        "-o",
        "--output",
        choices=choices,
        default=default,
        help=f"output format: {', '.join(choices)} (default: {default})",
    )


class Parser(argparse.ArgumentParser):
    """argparse with usage errors on one line, like every other error of the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"gitopslib: error: {message} (see '{self.prog} --help')\n")


def join_dash_values(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``--flag -value`` as ``--flag=-value`` for flags that take one value, as Argo CD's
    command line reads them (``--namesuffix -prod``; argparse would take ``-prod`` for a
    flag)."""
    takes_value: set[str] = set()
    stack = [parser]
    while stack:
        p = stack.pop()
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())
            elif action.option_strings and action.nargs is None:
                takes_value.update(s for s in action.option_strings if s.startswith("--"))
    out: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        item = items[i]
        if item == "--":
            out.extend(items[i:])
            break
        if item in takes_value and i + 1 < len(items) and items[i + 1].startswith("-"):
            out.append(f"{item}={items[i + 1]}")
            i += 2
            continue
        out.append(item)
        i += 1
    return out
