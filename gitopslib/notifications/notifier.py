"""The notifier: Argo CD's notifications controller for one Application at a time.

:meth:`Notifier.process` does what the controller does on every change of an app: collect the
destinations (ConfigMap ``subscriptions`` matching the app's labels, then the app's
``notifications.argoproj.io/subscribe.<trigger>.<service>`` annotations, deduplicated), run each
subscribed trigger, and for every condition that holds and was not yet notified for that
destination (and ``oncePer`` value), render its templates and deliver. What was sent is kept in
the app's ``notified.notifications.argoproj.io`` annotation (and an optional
:class:`~gitopslib.notifications.state.StateStore`), so a second pass, or a restarted process
reading the same app, sends nothing new. A failing destination never stops the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitopslib.errors import NotificationError
from gitopslib.giturl import mask_credentials
from gitopslib.notifications.config import NotificationsConfig, ServiceConfig
from gitopslib.notifications.expr import ExprRuntimeError, format_once_per
from gitopslib.notifications.gotemplate import GoTemplate
from gitopslib.notifications.gotime import GoTime
from gitopslib.notifications.helpers import (
    AppDetailsFunc,
    CommitMetadataFunc,
    app_to_dict,
    helper_vars,
)
from gitopslib.notifications.services import Sender, default_senders
from gitopslib.notifications.state import (
    NotifiedState,
    StateStore,
    read_annotation,
    state_key,
    write_annotation,
)

__all__ = ["ConditionResult", "Delivery", "Destination", "Notifier"]

_log = logging.getLogger("gitopslib.notifications")

SUBSCRIBE_PREFIX = "notifications.argoproj.io/subscribe."
SUBSCRIBE_YAML = "notifications.argoproj.io/subscribe_yaml"


@dataclass(frozen=True)
class Destination:
    """A service name (as configured: ``service.webhook.<name>``) and a recipient."""

    service: str
    recipient: str = ""

    def __str__(self) -> str:
        return f"{self.service}:{self.recipient}" if self.recipient else self.service


@dataclass(frozen=True)
class ConditionResult:
    """One condition of a trigger, evaluated: whether it holds, its ``oncePer`` value, and
    the error that made it false (Argo CD logs such errors and treats the condition as
    false)."""

    trigger: str
    index: int
    triggered: bool
    templates: tuple[str, ...]
    once_per: str | None = None
    error: str | None = None
    when: str = ""


@dataclass(frozen=True)
class Delivery:
    """One notification attempt: ``sent`` is True when the service accepted it; otherwise
    ``error`` says why (the service, never a secret)."""

    trigger: str
    template: str
    service: str
    recipient: str
    sent: bool
    error: str | None = None
    templates: tuple[str, ...] = ()
    once_per: str | None = None
    service_type: str = ""


def _parse_recipient(text: str) -> Destination:
    service, _, recipient = text.partition(":")
    return Destination(service, recipient)


class Notifier:
    """Evaluates triggers, renders templates and delivers, from an ``argocd-notifications-cm``.

    ``commit_metadata(repo_url, sha)`` backs ``call .repo.GetCommitMetadata`` (default: read
    the commit with :class:`gitopslib.GitRepository`); ``app_details(app)`` backs
    ``GetAppDetails``; ``senders`` maps a service type to a sender (default: webhook, slack,
    email natively, others through apprise); ``state_store`` keeps the notified state besides
    the annotation; ``now`` replaces ``time.Now()``.

    >>> n = Notifier.from_yaml('''
    ... data:
    ...   trigger.on-synced: |
    ...     - when: app.status.sync.status == 'Synced'
    ...       send: [synced]
    ...   template.synced: |
    ...     message: "{{.app.metadata.name}} is {{.app.status.sync.status}}"
    ... ''')
    >>> app = {"metadata": {"name": "web"}, "status": {"sync": {"status": "Synced"}}}
    >>> n.evaluate("on-synced", app), n.render("synced", app)["message"]
    (True, 'web is Synced')
    """

    def __init__(
        self,
        config: NotificationsConfig,
        *,
        commit_metadata: CommitMetadataFunc | None = None,
        app_details: AppDetailsFunc | None = None,
        senders: Mapping[str, Sender] | None = None,
        state_store: StateStore | None = None,
        now: Callable[[], GoTime] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._commit_metadata = commit_metadata
        self._app_details = app_details
        self._senders = dict(default_senders())
        if senders:
            self._senders.update(senders)
        self._state_store = state_store
        self._now = now
        self._clock = clock
        self._compiled: dict[tuple[str, str], GoTemplate] = {}
        self._memory: dict[str, str | None] = {}

    @classmethod
    def from_yaml(
        cls,
        cm: str | Path | Mapping[str, Any],
        secret: str | Path | Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Notifier:
        """Read the ConfigMap (YAML text, path or dict) and optionally
        ``argocd-notifications-secret``; keyword arguments go to :class:`Notifier`."""
        return cls(NotificationsConfig.from_yaml(cm, secret), **kwargs)

    # --- variables ------------------------------------------------------------------------

    def _vars(self, app: Mapping[str, Any]) -> dict[str, Any]:
        out = helper_vars(
            app,
            commit_metadata=self._commit_metadata,
            app_details=self._app_details,
            now=self._now,
        )
        out["app"] = app
        out["context"] = dict(self.config.context)
        out["secrets"] = dict(self.config.secrets)
        return out

    # --- triggers -------------------------------------------------------------------------

    def _trigger(self, name: str) -> Sequence[Any]:
        conditions = self.config.triggers.get(name)
        if conditions is None:
            known = ", ".join(sorted(self.config.triggers)) or "none"
            raise NotificationError(
                f"trigger {name!r} is not configured (known: {known})", key=f"trigger.{name}"
            )
        return conditions

    def run_trigger(self, trigger: str, app: Any) -> list[ConditionResult]:
        """Every condition of ``trigger`` evaluated for ``app`` (``oncePer`` only where the
        condition holds, as the engine does)."""
        conditions = self._trigger(trigger)
        variables = self._vars(app_to_dict(app))
        results: list[ConditionResult] = []
        for i, cond in enumerate(conditions):
            error = None
            try:
                value = cond.when.evaluate(variables)
                triggered = value is True
            except ExprRuntimeError as exc:
                triggered = False
                error = f"trigger.{trigger}[{i}].when: {exc}"
                # Argo CD logs this and treats the condition as false; conditions often read
                # fields a fresh app has not got yet, so this is not worth a warning
                _log.info("failed to execute when condition: %s", error)
            once = None
            if triggered and cond.once_per is not None:
                try:
                    once = format_once_per(cond.once_per.evaluate(variables))
                except ExprRuntimeError as exc:
                    error = f"trigger.{trigger}[{i}].oncePer: {exc}"
                    _log.info("failed to execute oncePer condition: %s", error)
            results.append(
                ConditionResult(
                    trigger=trigger,
                    index=i,
                    triggered=triggered,
                    templates=cond.send,
                    once_per=once,
                    error=error,
                    when=cond.when_text,
                )
            )
        return results

    def evaluate(self, trigger: str, app: Any) -> bool:
        """Whether any condition of ``trigger`` holds for ``app`` (Argo CD's expression rules;
        a condition that fails to run counts as false)."""
        return any(r.triggered for r in self.run_trigger(trigger, app))

    # --- templates ------------------------------------------------------------------------

    def _template(self, name: str) -> Mapping[str, Any]:
        template = self.config.templates.get(name)
        if template is None:
            known = ", ".join(sorted(self.config.templates)) or "none"
            raise NotificationError(
                f"template {name!r} is not configured (known: {known})", key=f"template.{name}"
            )
        return template

    def _compile(self, template: str, path: str, text: str) -> GoTemplate:
        key = (template, path)
        compiled = self._compiled.get(key)
        if compiled is None or compiled.text != text:
            compiled = GoTemplate(text, f"template.{template} {path}")
            self._compiled[key] = compiled
        return compiled

    def _render_value(self, template: str, path: str, value: Any, data: Any) -> Any:
        if isinstance(value, str):
            if "{{" not in value:
                return value
            return self._compile(template, path, value).render(data)
        if isinstance(value, Mapping):
            return {
                k: self._render_value(template, f"{path}.{k}", v, data) for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                self._render_value(template, f"{path}[{i}]", v, data) for i, v in enumerate(value)
            ]
        return value

    def _service_type(self, service: str | None) -> str:
        if service is None:
            return ""
        svc = self.config.services.get(service)
        return svc.type if svc is not None else service

    def render(
        self, template: str, app: Any, service: str | None = None, recipient: str = ""
    ) -> dict[str, Any]:
        """The fields of ``template`` rendered for ``app``: ``message`` and, with ``service``
        (a configured service name such as ``dingtalk`` or a type such as ``webhook``), that
        type's block (for a named webhook service only its own ``webhook.<name>`` entry);
        without ``service`` every field. A field Go would fail on raises
        :class:`NotificationError` naming the template, field, line and column."""
        return self._render_many([template], app_to_dict(app), service, recipient)

    def _render_many(
        self, templates: Sequence[str], app: Mapping[str, Any], service: str | None,
        recipient: str,
    ) -> dict[str, Any]:  # fmt: skip
        stype = self._service_type(service)
        data = self._vars(app)
        data["serviceType"] = service or ""
        data["notificationType"] = stype
        data["recipient"] = recipient
        out: dict[str, Any] = {}
        for name in templates:
            fields = self._template(name)
            for fname, value in fields.items():
                if service is not None and fname not in ("message", stype):
                    continue
                if (
                    fname == "webhook"
                    and service is not None
                    and service in self.config.services
                    and isinstance(value, Mapping)
                ):
                    value = {k: v for k, v in value.items() if k == service}
                rendered = self._render_value(name, fname, value, data)
                if isinstance(rendered, dict) and isinstance(out.get(fname), dict):
                    out[fname] = {**out[fname], **rendered}
                else:
                    out[fname] = rendered
        return out

    def check(self) -> list[NotificationError]:
        """Parse every template field; the errors found (empty when all parse)."""
        errors: list[NotificationError] = []

        def walk(template: str, path: str, value: Any) -> None:
            if isinstance(value, str) and "{{" in value:
                try:
                    self._compile(template, path, value)
                except NotificationError as exc:
                    errors.append(exc)
            elif isinstance(value, Mapping):
                for k, v in value.items():
                    walk(template, f"{path}.{k}", v)
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    walk(template, f"{path}[{i}]", v)

        for name, fields in self.config.templates.items():
            for fname, value in fields.items():
                walk(name, fname, value)
        return errors

    # --- destinations ---------------------------------------------------------------------

    def destinations(self, app: Any) -> dict[str, list[Destination]]:
        """Trigger -> destinations for ``app``: ConfigMap subscriptions whose selector matches
        its labels, then its subscribe annotations (the short form
        ``subscribe.<service>`` uses ``defaultTriggers[.<service>]``); deduplicated."""
        doc = app_to_dict(app)
        meta = doc.get("metadata") or {}
        labels = meta.get("labels") or {}
        annotations = meta.get("annotations") or {}
        cfg = self.config
        out: dict[str, list[Destination]] = {}

        def add(trigger: str, dest: Destination) -> None:
            bucket = out.setdefault(trigger, [])
            if dest not in bucket:
                bucket.append(dest)

        for sub in cfg.subscriptions:
            if sub.selector is not None and not sub.selector.matches(labels):
                continue
            for trigger in sub.triggers or cfg.default_triggers:
                for recipient in sub.recipients:
                    add(trigger, _parse_recipient(recipient))
        for key in sorted(annotations):
            value = annotations[key]
            if key.startswith(SUBSCRIBE_PREFIX):
                parts = key[len(SUBSCRIBE_PREFIX) :].split(".")
                trigger, service = (parts[0], parts[1]) if len(parts) >= 2 else ("", parts[0])
                recipients = (
                    [r.strip() for r in str(value).split(";") if r.strip()] if value else [""]
                )
                if trigger:
                    triggers: Sequence[str] = [trigger]
                else:
                    triggers = cfg.service_default_triggers.get(service, cfg.default_triggers)
                for t in triggers:
                    for recipient in recipients:
                        add(t, Destination(service, recipient))
            elif key == SUBSCRIBE_YAML:
                self._subscribe_yaml(key, value, add)
        return out

    def _subscribe_yaml(
        self, key: str, value: Any, add: Callable[[str, Destination], None]
    ) -> None:
        import yaml

        try:
            items = yaml.safe_load(str(value)) or []
        except yaml.YAMLError:
            _log.warning("annotation %s is not valid YAML; ignored", key)
            return
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, Mapping):
                continue
            for trigger in item.get("trigger") or []:
                for dest in item.get("destinations") or []:
                    if not isinstance(dest, Mapping):
                        continue
                    for recipient in dest.get("recipients") or [""]:
                        add(str(trigger), Destination(str(dest.get("service", "")), recipient))

    # --- delivery -------------------------------------------------------------------------

    def resolve_destination(self, text: str) -> Destination:
        """``service[:recipient]`` as Argo CD reads it; ``<type>:<name>`` (``webhook:dingtalk``)
        is also accepted for a service configured as ``service.<type>.<name>``.

        >>> n = Notifier.from_yaml({"data": {"service.webhook.hook": "url: http://h"}})
        >>> str(n.resolve_destination("webhook:hook")), str(n.resolve_destination("hook:x"))
        ('hook', 'hook:x')
        """
        dest = _parse_recipient(text)
        services = self.config.services
        if dest.service not in services and dest.recipient in services:
            svc = services[dest.recipient]
            if svc.type == dest.service:
                return Destination(svc.name, "")
        return dest

    def send(
        self, templates: Sequence[str], app: Any, destination: Destination | str, *,
        trigger: str = "",
    ) -> Delivery:  # fmt: skip
        """Render ``templates`` for ``destination`` (``Destination`` or ``"service:recipient"``)
        and deliver now, whatever the triggers say (``argocd admin notifications template
        notify``). Failures come back in the :class:`Delivery`, never raised."""
        dest = _parse_recipient(destination) if isinstance(destination, str) else destination
        return self._deliver(trigger, tuple(templates), app_to_dict(app), dest, None)

    def _deliver(
        self, trigger: str, templates: tuple[str, ...], app: Mapping[str, Any],
        dest: Destination, once_per: str | None,
    ) -> Delivery:  # fmt: skip
        service = self.config.services.get(dest.service)

        def result(sent: bool, error: str | None, stype: str = "") -> Delivery:
            return Delivery(
                trigger=trigger,
                template=", ".join(templates),
                service=dest.service,
                recipient=dest.recipient,
                sent=sent,
                error=error,
                templates=templates,
                once_per=once_per,
                service_type=stype,
            )

        if service is None:
            return result(False, f"notification service {dest.service!r} is not configured")
        if service.unresolved:
            refs = ", ".join(f"${r}" for r in service.unresolved)
            return result(
                False,
                f"{service.key} references {refs}; pass argocd-notifications-secret",
                service.type,
            )
        try:
            notification = self._render_many(templates, app, dest.service, dest.recipient)
            sender = self._sender(service)
            sender(service, notification, dest.recipient)
        except NotificationError as exc:
            return result(False, self._mask(str(exc), service), service.type)
        except Exception as exc:  # a sender bug must not stop the other destinations
            _log.warning("sender for %s failed: %s", service.key, type(exc).__name__)
            message = f"{service.key}: {type(exc).__name__}: {exc}"
            return result(False, self._mask(message, service), service.type)
        return result(True, None, service.type)

    def _sender(self, service: ServiceConfig) -> Sender:
        sender = self._senders.get(service.type)
        if sender is not None:
            return sender
        from gitopslib.notifications.services.via_apprise import send_apprise

        return send_apprise

    def _mask(self, text: str, service: ServiceConfig) -> str:
        return mask_credentials(text, [*service.secret_values, *self.config.secrets.values()])

    # --- the controller step --------------------------------------------------------------

    def _app_key(self, app: Mapping[str, Any]) -> str:
        meta = app.get("metadata") or {}
        return f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"

    def _load_state(self, app: Mapping[str, Any]) -> NotifiedState:
        text = read_annotation(app)
        if text is None and self._state_store is not None:
            text = self._state_store.load(app)
        if text is None:
            text = self._memory.get(self._app_key(app))
        return NotifiedState.parse(text)

    def _save_state(self, target: Any, app: Mapping[str, Any], state: NotifiedState) -> None:
        text = state.dump()
        self._memory[self._app_key(app)] = text
        write_annotation(target, text)
        if self._state_store is not None:
            try:
                self._state_store.save(app, text)
            except Exception as exc:  # the store is an observer; never stop the loop
                _log.warning("notified state store failed: %s", type(exc).__name__)

    def process(self, app: Any) -> list[Delivery]:
        """Run every subscribed trigger for ``app`` and deliver what is due; returns the
        attempts made (already-notified destinations are not attempted again). The notified
        state is written to ``app``'s annotation in place (dict or model) and to the
        ``state_store``."""
        doc = app_to_dict(app)
        state = self._load_state(doc)
        now = int(self._clock())
        deliveries: list[Delivery] = []
        for trigger, dests in self.destinations(doc).items():
            try:
                results = self.run_trigger(trigger, doc)
            except NotificationError as exc:
                _log.warning("%s", exc)
                continue
            for res in results:
                for dest in dests:
                    key = state_key(
                        trigger, res.index, res.when, res.once_per, dest.service, dest.recipient
                    )
                    if not res.triggered:
                        state.set(key, False, once_per=res.once_per, now=now)
                        continue
                    if not state.set(key, True, once_per=res.once_per, now=now):
                        continue
                    delivery = self._deliver(trigger, res.templates, doc, dest, res.once_per)
                    if not delivery.sent:
                        state.set(key, False, once_per=None, now=now)
                        _log.warning(
                            "failed to notify %s about %s: %s", dest, trigger, delivery.error
                        )
                    deliveries.append(delivery)
        self._save_state(app, doc, state)
        return deliveries
