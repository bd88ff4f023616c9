"""The ``gitopslib`` command: render, diff, plan, health, validate and preview Applications
from a CI job or a terminal, without a cluster or an Argo CD server.

Every command takes Application YAML files (or folders of them). Where the manifests come
from: ``--repo-root DIR`` (a local checkout, no network) or, without it, each source's
``repoURL`` cloned into the Git cache. Where live state comes from: ``--live DIR`` (YAML
files, e.g. ``kubectl get -o yaml`` dumps), ``--kubeconfig [--context]`` (read-only), or an
empty cluster. Argo CD's override flags (``--helm-set``, ``--values``, ``--kustomize-image``,
``--jsonnet-ext-var-str``, ...) change the app before it is rendered, as ``argocd app set``
would.

Exit codes: 0 success (``diff``: no difference), 1 differences / problems found, 2 error. An
error is one line on stderr; ``--debug`` adds the traceback.

The package holds one module per command (``render``, ``diff``, ...; each with a
``register(commands)``, listed in ``command.COMMANDS``) and small shared modules: ``parser``
(flag groups, the command registry), ``loading`` (Application and AppProject files),
``overrides`` (``argocd app set`` flags), ``session`` (rendering and live state), ``output``
(tables, Markdown, Mermaid), ``locate`` (file:line of render errors).

>>> main(["--version"])  # doctest: +ELLIPSIS
gitopslib ...
0
"""

from __future__ import annotations

from gitopslib.cli.base import CLIError
from gitopslib.cli.command import build_parser, main
from gitopslib.cli.loading import load_applications
from gitopslib.cli.overrides import Overrides, apply_overrides
from gitopslib.cli.preview import preview_report

__all__ = [
    "CLIError",
    "Overrides",
    "apply_overrides",
    "build_parser",
    "load_applications",
    "main",
    "preview_report",
]
