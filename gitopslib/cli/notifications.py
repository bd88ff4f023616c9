"""``gitopslib notifications``: Argo CD's offline notification tools
(``argocd admin notifications``) on an ``argocd-notifications-cm`` file.

* ``template notify TEMPLATE APP.yaml --config CM.yaml [--secret S.yaml] [--recipient
  SERVICE[:RECIPIENT]]...``: render the template for the app; with ``--recipient`` deliver it
  (exit 1 if a delivery failed), without, print the rendered fields;
* ``trigger run TRIGGER APP.yaml --config CM.yaml``: each condition and whether it holds;
* ``template get [NAME]`` / ``trigger get [NAME]``: what the ConfigMap defines.

``--recipient webhook:dingtalk`` (a service type and a service name) is accepted for a
service configured as ``service.webhook.dingtalk``, as well as Argo CD's ``dingtalk``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any, TextIO

from gitopslib.cli.base import CLIError
from gitopslib.cli.output import table
from gitopslib.cli.parser import Commands, add_output_flag


def _notifier(args: argparse.Namespace) -> Any:
    from gitopslib.notifications import Notifier

    return Notifier.from_yaml(args.config, args.secret)


def _app(path: str) -> dict[str, Any]:
    from pathlib import Path

    from gitopslib.notifications.helpers import app_to_dict

    if not Path(path).is_file():
        raise CLIError(f"{path}: no such Application file")
    return app_to_dict(Path(path))


def _dump(data: Any) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None  # rendered bodies read as written
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return str(yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100))


def _names(defined: Mapping[str, Any], what: str, args: argparse.Namespace) -> list[str]:
    """The ``NAME`` of ``template get``/``trigger get`` (an error if ``--config`` does not
    define it), or every name ``--config`` defines."""
    if not args.name:
        return sorted(defined)
    if args.name not in defined:
        raise CLIError(f"{what} {args.name!r} is not in {args.config}")
    return [args.name]


def template_notify(args: argparse.Namespace, out: TextIO) -> int:
    n = _notifier(args)
    app = _app(args.app)
    if not args.recipient:
        rendered = n.render(args.template, app)
        out.write(_dump(rendered))
        return 0
    failed = 0
    for text in args.recipient:
        dest = n.resolve_destination(text)
        d = n.send([args.template], app, dest)
        if d.sent:
            out.write(f"{dest}: sent\n")
        else:
            failed += 1
            out.write(f"{dest}: failed: {d.error}\n")
    return 1 if failed else 0


def trigger_run(args: argparse.Namespace, out: TextIO) -> int:
    n = _notifier(args)
    results = n.run_trigger(args.trigger, _app(args.app))
    if args.output == "json":
        data = [
            {
                "condition": r.when,
                "result": r.triggered,
                "oncePer": r.once_per,
                "send": list(r.templates),
                "error": r.error,
            }
            for r in results
        ]
        out.write(json.dumps(data, indent=2) + "\n")
        return 0
    rows = [("CONDITION", "RESULT", "ONCE PER", "SEND")]
    for r in results:
        result = "true" if r.triggered else ("error" if r.error else "false")
        rows.append((" ".join(r.when.split()), result, r.once_per or "", ", ".join(r.templates)))
    out.write(table(rows))
    for r in results:
        if r.error:
            out.write(f"{r.error}\n")
    return 0


def template_get(args: argparse.Namespace, out: TextIO) -> int:
    n = _notifier(args)
    names = _names(n.config.templates, "template", args)
    if args.output == "yaml":
        out.write(_dump({name: dict(n.config.templates[name]) for name in names}))
        return 0
    rows = [("NAME", "PREVIEW")]
    for name in names:
        message = str(n.config.templates[name].get("message") or "")
        first = next((line.strip() for line in message.splitlines() if line.strip()), "")
        rows.append((name, first[:80]))
    out.write(table(rows))
    return 0


def trigger_get(args: argparse.Namespace, out: TextIO) -> int:
    n = _notifier(args)
    names = _names(n.config.triggers, "trigger", args)
    rows = [("NAME", "TEMPLATE", "CONDITION")]
    for name in names:
        for cond in n.config.triggers[name]:
            rows.append((name, ", ".join(cond.send), " ".join(cond.when_text.split())))
    if args.output == "json":
        data = [{"name": r[0], "templates": r[1], "condition": r[2]} for r in rows[1:]]
        out.write(json.dumps(data, indent=2) + "\n")
    else:
        out.write(table(rows))
    return 0


def _config_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config", required=True, metavar="CM.yaml", help="argocd-notifications-cm ConfigMap"
    )
    p.add_argument("--secret", metavar="S.yaml", help="argocd-notifications-secret Secret")


def register(commands: Commands) -> None:
    """Add ``notifications template notify|get`` and ``notifications trigger run|get``."""
    p = commands.add("notifications", "Argo CD notifications offline: templates and triggers.", "")
    groups = p.add_subparsers(dest="notifications_command", metavar="GROUP", required=True)

    tpl = groups.add_parser("template", help="notification templates")
    tpl_cmds = tpl.add_subparsers(dest="template_command", metavar="COMMAND", required=True)
    notify = tpl_cmds.add_parser(
        "notify", help="render a template for an app and send it to recipients"
    )
    notify.add_argument("template", metavar="TEMPLATE")
    notify.add_argument("app", metavar="APP.yaml", help="Application (with status) YAML")
    _config_flags(notify)
    notify.add_argument(
        "--recipient",
        action="append",
        metavar="SERVICE[:RECIPIENT]",
        help="deliver to this destination (repeatable); without, print the rendered fields",
    )
    notify.set_defaults(func=template_notify)
    tget = tpl_cmds.add_parser("get", help="list templates, or show one")
    tget.add_argument("name", nargs="?", metavar="NAME")
    _config_flags(tget)
    add_output_flag(tget, ("table", "yaml"), "table")
    tget.set_defaults(func=template_get)

    trg = groups.add_parser("trigger", help="notification triggers")
    trg_cmds = trg.add_subparsers(dest="trigger_command", metavar="COMMAND", required=True)
    run = trg_cmds.add_parser("run", help="evaluate a trigger's conditions for an app")
    run.add_argument("trigger", metavar="TRIGGER")
    run.add_argument("app", metavar="APP.yaml", help="Application (with status) YAML")
    _config_flags(run)
    add_output_flag(run, ("table", "json"), "table")
    run.set_defaults(func=trigger_run)
    rget = trg_cmds.add_parser("get", help="list triggers, or show one")
    rget.add_argument("name", nargs="?", metavar="NAME")
    _config_flags(rget)
    add_output_flag(rget, ("table", "json"), "table")
    rget.set_defaults(func=trigger_get)
