"""Reading ``argocd-notifications-cm`` (and ``argocd-notifications-secret``) into typed data.

Keys, as Argo CD's notifications engine reads them: ``service.<type>`` / ``service.<type>.<name>``
(YAML options; ``$key`` references are replaced by the Secret's values), ``template.<name>``
(per-service fields), ``trigger.<name>`` (a list of conditions: ``when``, ``oncePer``, ``send``,
``description``), ``subscriptions`` (``recipients``, ``triggers``, ``selector``),
``defaultTriggers`` / ``defaultTriggers.<service>`` and ``context``. Every malformed entry is a
:class:`~gitopslib.errors.NotificationError` naming the ConfigMap key (and field), never the
value of a secret.

>>> cfg = NotificationsConfig.from_yaml('''
... apiVersion: v1
... kind: ConfigMap
... metadata: {name: argocd-notifications-cm}
... data:
...   service.webhook.hook: |
...     url: https://example.com/$path
...   trigger.on-x: |
...     - when: app.status.sync.status == 'Synced'
...       send: [t]
...   template.t: |
...     message: hello
... ''', secret={"stringData": {"path": "p"}})
>>> cfg.services["hook"].type, cfg.services["hook"].options["url"]
('webhook', 'https://example.com/p')
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gitopslib.errors import NotificationError
from gitopslib.notifications.expr import CompiledExpr, compile_expr

__all__ = [
    "Condition",
    "LabelSelector",
    "NotificationsConfig",
    "ServiceConfig",
    "Subscription",
]

#: Fields a template may carry: ``message`` plus one block per service type (the engine's
#: ``Notification`` struct).
TEMPLATE_FIELDS = frozenset(
    {
        "message", "email", "slack", "mattermost", "rocketchat", "teams", "teams-workflows",
        "teamsWorkflows", "webhook", "telegram", "googlechat", "opsgenie", "pagerduty",
        "pagerdutyv2", "alertmanager", "github", "gitlab", "newrelic", "webex", "awssqs",
        "pushover", "grafana", "discord", "nats", "kafka", "pubsub", "datadog", "matrix",
        "apprise",
    }
)  # fmt: skip
_CONDITION_FIELDS = frozenset({"when", "oncePer", "send", "description"})
_SUBSCRIPTION_FIELDS = frozenset({"recipients", "triggers", "selector"})
_WEBHOOK_FIELDS = frozenset({"method", "path", "body"})
_SECRET_REF = re.compile(r"[$][\w-]+")


@dataclass(frozen=True)
class ServiceConfig:
    """``service.<type>[.<name>]``: ``options`` with secret references resolved (values never
    appear in ``repr``); ``unresolved`` lists references no Secret supplied."""

    name: str
    type: str
    options: Mapping[str, Any] = field(repr=False)
    key: str
    unresolved: tuple[str, ...] = ()
    secret_values: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Condition:
    """One condition of a trigger: ``when`` (compiled), ``oncePer``, ``send`` templates."""

    when: CompiledExpr
    send: tuple[str, ...]
    once_per: CompiledExpr | None = None
    description: str = ""

    @property
    def when_text(self) -> str:
        return self.when.text


@dataclass(frozen=True)
class LabelSelector:
    """A Kubernetes label selector string (``env=prod,tier in (a,b),!legacy``)."""

    text: str
    requirements: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @classmethod
    def parse(cls, text: str, where: str) -> LabelSelector:
        reqs: list[tuple[str, str, tuple[str, ...]]] = []
        for part in _split_selector(text):
            part = part.strip()
            if not part:
                continue
            m = re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", part)
            if m:
                values = tuple(v.strip() for v in m.group(3).split(",") if v.strip())
                reqs.append((m.group(1), m.group(2), values))
                continue
            m = re.fullmatch(r"([\w./-]+)\s*(==|!=|=)\s*([\w./-]*)", part)
            if m:
                op = "!=" if m.group(2) == "!=" else "="
                reqs.append((m.group(1), op, (m.group(3),)))
                continue
            m = re.fullmatch(r"(!?)\s*([\w./-]+)", part)
            if m:
                reqs.append((m.group(2), "!exists" if m.group(1) else "exists", ()))
                continue
            raise NotificationError(f"{where}: invalid label selector {part!r}", key=where)
        return cls(text, tuple(reqs))

    def matches(self, labels: Mapping[str, str]) -> bool:
        for key, op, values in self.requirements:
            present = key in labels
            value = labels.get(key)
            if op == "exists":
                ok = present
            elif op == "!exists":
                ok = not present
            elif op in ("=", "in"):
                ok = present and value in values
            else:  # "!=", "notin"
                ok = not present or value not in values
            if not ok:
                return False
        return True


def _split_selector(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


@dataclass(frozen=True)
class Subscription:
    """One entry of ``subscriptions``: ``service[:recipient]`` strings, triggers, selector."""

    recipients: tuple[str, ...]
    triggers: tuple[str, ...] = ()
    selector: LabelSelector | None = None


@dataclass(frozen=True)
class NotificationsConfig:
    """The parsed ConfigMap (+ Secret). Build with :meth:`from_yaml`."""

    services: Mapping[str, ServiceConfig]
    templates: Mapping[str, Mapping[str, Any]]
    triggers: Mapping[str, tuple[Condition, ...]]
    subscriptions: tuple[Subscription, ...] = ()
    default_triggers: tuple[str, ...] = ()
    service_default_triggers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    source: str = "argocd-notifications-cm"

    @classmethod
    def from_yaml(
        cls,
        cm: str | Path | Mapping[str, Any],
        secret: str | Path | Mapping[str, Any] | None = None,
    ) -> NotificationsConfig:
        """Parse a ConfigMap given as YAML text, a path or a dict, and optionally the Secret."""
        doc, source = _load(cm, "ConfigMap")
        if not isinstance(cm, Path) and source == "ConfigMap":
            meta = doc.get("metadata")
            name = meta.get("name") if isinstance(meta, Mapping) else None
            source = name if isinstance(name, str) and name else "argocd-notifications-cm"
        data = doc.get("data") if "data" in doc or "kind" in doc else doc
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise NotificationError(f"{source}: data must be a mapping", key="data")
        secrets = _secret_values(secret) if secret is not None else None
        return _parse(data, secrets, source)


def _load(value: str | Path | Mapping[str, Any], what: str) -> tuple[Mapping[str, Any], str]:
    if isinstance(value, Mapping):
        return value, what
    source = what
    text: str
    if isinstance(value, Path) or ("\n" not in value and value.endswith((".yaml", ".yml"))):
        path = Path(value)
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise NotificationError(f"{source}: cannot read ({exc.strerror})", key=None) from None
    else:
        text = value
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise NotificationError(f"{where}: not valid YAML", key=None) from None
    if not isinstance(doc, Mapping):
        raise NotificationError(f"{source}: expected a {what} document", key=None)
    return doc, source


def _secret_values(secret: str | Path | Mapping[str, Any]) -> dict[str, str]:
    doc, source = _load(secret, "Secret")
    out: dict[str, str] = {}
    data = doc.get("data") or {}
    string_data = doc.get("stringData") or {}
    if not isinstance(data, Mapping) or not isinstance(string_data, Mapping):
        raise NotificationError(f"{source}: data and stringData must be mappings", key="data")
    for key, raw in data.items():
        try:
            out[str(key)] = base64.b64decode(str(raw), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise NotificationError(
                f"{source}: data.{key} is not base64-encoded UTF-8", key=f"data.{key}"
            ) from None
    for key, raw in string_data.items():
        out[str(key)] = str(raw)
    return out


def _yaml_value(text: Any, key: str, source: str) -> Any:
    if not isinstance(text, str):
        raise NotificationError(f"{source}: {key} must be a YAML string", key=key)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise NotificationError(f"{source}: {key} is not valid YAML{line}", key=key) from None


def _string_list(value: Any, key: str, source: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise NotificationError(f"{source}: {key} must be a list of strings", key=key)
    return tuple(value)


def _parse(
    data: Mapping[str, Any], secrets: dict[str, str] | None, source: str
) -> NotificationsConfig:
    services: dict[str, ServiceConfig] = {}
    templates: dict[str, Mapping[str, Any]] = {}
    triggers: dict[str, tuple[Condition, ...]] = {}
    subscriptions: tuple[Subscription, ...] = ()
    default_triggers: tuple[str, ...] = ()
    service_default_triggers: dict[str, tuple[str, ...]] = {}
    context: dict[str, Any] = {"argocdUrl": "https://localhost:4000"}  # Argo CD's default
    for key in data:
        if not isinstance(key, str):
            raise NotificationError(f"{source}: data key {key!r} is not a string", key=str(key))
        value = data[key]
        if key.startswith("service."):
            svc = _service(key, value, secrets, source)
            services[svc.name] = svc
        elif key.startswith("template."):
            name = key[len("template.") :]
            templates[name] = _template(key, value, source)
        elif key.startswith("trigger."):
            name = key[len("trigger.") :]
            triggers[name] = _trigger(key, value, source)
        elif key == "subscriptions":
            subscriptions = _subscriptions(key, value, source)
        elif key == "defaultTriggers":
            default_triggers = _string_list(_yaml_value(value, key, source), key, source)
        elif key.startswith("defaultTriggers."):
            service_default_triggers[key[len("defaultTriggers.") :]] = _string_list(
                _yaml_value(value, key, source), key, source
            )
        elif key == "context":
            parsed = _yaml_value(value, key, source)
            if parsed is not None and not isinstance(parsed, Mapping):
                raise NotificationError(f"{source}: context must be a mapping", key=key)
            for ckey, cvalue in (parsed or {}).items():
                if isinstance(cvalue, Mapping | list):
                    raise NotificationError(
                        f"{source}: context.{ckey} must be a string", key=f"context.{ckey}"
                    )
                context[str(ckey)] = "" if cvalue is None else _scalar_text(cvalue)
        else:
            raise NotificationError(
                f"{source}: unknown key {key!r} (expected service.*, template.*, trigger.*, "
                "subscriptions, defaultTriggers[.<service>] or context)",
                key=key,
            )
    for name, conditions in triggers.items():
        for i, cond in enumerate(conditions):
            for template in cond.send:
                if template not in templates:
                    raise NotificationError(
                        f"{source}: trigger.{name}[{i}].send names template {template!r}, "
                        "which is not defined",
                        key=f"trigger.{name}",
                    )
    for trigger in (
        default_triggers
        + tuple(t for ts in service_default_triggers.values() for t in ts)
        + tuple(t for sub in subscriptions for t in sub.triggers)
    ):
        if trigger not in triggers:
            raise NotificationError(
                f"{source}: defaultTriggers or subscriptions name trigger {trigger!r}, which is "
                "not defined",
                key="defaultTriggers" if trigger in default_triggers else "subscriptions",
            )
    return NotificationsConfig(
        services=services,
        templates=templates,
        triggers=triggers,
        subscriptions=subscriptions,
        default_triggers=default_triggers,
        service_default_triggers=service_default_triggers,
        context=context,
        secrets=dict(secrets or {}),
        source=source,
    )


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _service(key: str, value: Any, secrets: dict[str, str] | None, source: str) -> ServiceConfig:
    parts = key.split(".")
    if len(parts) == 3 and parts[1] and parts[2]:
        stype, name = parts[1], parts[2]
    elif len(parts) == 2 and parts[1]:
        stype = name = parts[1]
    else:
        raise NotificationError(
            f"{source}: invalid service key {key!r}; expected service.<type>[.<name>]", key=key
        )
    options = _yaml_value(value, key, source)
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise NotificationError(f"{source}: {key} must be a mapping of options", key=key)
    unresolved: list[str] = []
    used: list[str] = []

    def resolve(node: Any) -> Any:
        if isinstance(node, str):

            def repl(m: re.Match[str]) -> str:
                ref = m.group()[1:]
                if secrets is not None and ref in secrets:
                    used.append(secrets[ref])
                    return secrets[ref]
                unresolved.append(ref)
                return m.group()

            return _SECRET_REF.sub(repl, node)
        if isinstance(node, Mapping):
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved = resolve(options)
    if secrets is not None and unresolved:
        refs = ", ".join(sorted({f"${r}" for r in unresolved}))
        raise NotificationError(
            f"{source}: {key} references {refs}, which argocd-notifications-secret does not have",
            key=key,
        )
    return ServiceConfig(
        name=name,
        type=stype,
        options=resolved,
        key=key,
        unresolved=tuple(dict.fromkeys(unresolved)),
        secret_values=tuple(v for v in dict.fromkeys(used) if v),
    )


def _template(key: str, value: Any, source: str) -> Mapping[str, Any]:
    parsed = _yaml_value(value, key, source)
    if parsed is None:
        parsed = {}
    if not isinstance(parsed, Mapping):
        raise NotificationError(f"{source}: {key} must be a mapping of fields", key=key)
    for fname, fvalue in parsed.items():
        if fname not in TEMPLATE_FIELDS:
            raise NotificationError(f"{source}: {key} has unknown field {fname!r}", key=key)
        if fname == "message" and not isinstance(fvalue, str):
            raise NotificationError(f"{source}: {key}.message must be a string", key=key)
        if fname != "message" and not isinstance(fvalue, Mapping):
            raise NotificationError(f"{source}: {key}.{fname} must be a mapping", key=key)
    webhooks = parsed.get("webhook") or {}
    for hook, spec in webhooks.items():
        _check_fields(spec, _WEBHOOK_FIELDS, f"{key}.webhook.{hook}", source, key)
    return dict(parsed)


def _check_fields(item: Any, fields: frozenset[str], where: str, source: str, key: str) -> None:
    """``item`` is a mapping holding only ``fields``, else a NotificationError naming it."""
    if not isinstance(item, Mapping):
        raise NotificationError(f"{source}: {where} must be a mapping", key=key)
    extra = set(item) - fields
    if extra:
        raise NotificationError(
            f"{source}: {where} has unknown field {sorted(extra)[0]!r}", key=key
        )


def _trigger(key: str, value: Any, source: str) -> tuple[Condition, ...]:
    parsed = _yaml_value(value, key, source)
    if not isinstance(parsed, list):
        raise NotificationError(f"{source}: {key} must be a list of conditions", key=key)
    out: list[Condition] = []
    for i, item in enumerate(parsed):
        where = f"{key}[{i}]"
        _check_fields(item, _CONDITION_FIELDS, where, source, key)
        when = item.get("when")
        if when is None or when == "":
            when = "false"  # the engine's rule for a missing condition
        if not isinstance(when, str):
            raise NotificationError(f"{source}: {where}.when must be a string", key=key)
        once = item.get("oncePer")
        if once is not None and not isinstance(once, str):
            raise NotificationError(f"{source}: {where}.oncePer must be a string", key=key)
        send = _string_list(item.get("send"), f"{where}.send", source)
        out.append(
            Condition(
                when=compile_expr(when, where=f"{where}.when"),
                send=send,
                once_per=compile_expr(once, where=f"{where}.oncePer") if once else None,
                description=str(item.get("description") or ""),
            )
        )
    return tuple(out)


def _subscriptions(key: str, value: Any, source: str) -> tuple[Subscription, ...]:
    parsed = _yaml_value(value, key, source)
    if parsed is None:
        return ()
    if not isinstance(parsed, list):
        raise NotificationError(f"{source}: subscriptions must be a list", key=key)
    out: list[Subscription] = []
    for i, item in enumerate(parsed):
        where = f"subscriptions[{i}]"
        _check_fields(item, _SUBSCRIPTION_FIELDS, where, source, key)
        selector_text = item.get("selector")
        if selector_text is not None and not isinstance(selector_text, str):
            raise NotificationError(f"{source}: {where}.selector must be a string", key=key)
        out.append(
            Subscription(
                recipients=_string_list(item.get("recipients"), f"{where}.recipients", source),
                triggers=_string_list(item.get("triggers"), f"{where}.triggers", source),
                selector=LabelSelector.parse(selector_text, f"{where}.selector")
                if selector_text
                else None,
            )
        )
    return tuple(out)
