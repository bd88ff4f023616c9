"""The controller step: destinations from subscriptions and annotations, trigger evaluation,
oncePer and the notified annotation, delivery records. Deliveries go to a real HTTP server."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from notify_servers import Recorder

import gitopslib as g
from gitopslib.errors import NotificationError
from gitopslib.notifications import NOTIFIED_ANNOTATION, Destination, Notifier


def config(url: str, **extra: str) -> dict[str, Any]:
    data = {
        "service.webhook.hook": f"url: {url}",
        "template.t": 'message: "{{.app.metadata.name}}:{{.app.status.sync.revision}}"',
        "trigger.on-synced": (
            "- when: app.status.sync.status == 'Synced'\n"
            "  oncePer: app.status.sync.revision\n  send: [t]"
        ),
        "trigger.on-degraded": "- when: app.status.health.status == 'Degraded'\n  send: [t]",
    }
    data.update(extra)
    return {"data": data}


def app(revision: str = "r1", health: str = "Healthy", **annotations: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "web",
            "namespace": "argocd",
            "labels": {"env": "prod"},
            "annotations": dict(annotations),
        },
        "spec": {"project": "default"},
        "status": {
            "sync": {"status": "Synced", "revision": revision},
            "health": {"status": health},
        },
    }


SUB = "notifications.argoproj.io/subscribe."


def test_annotation_subscription_sends_once_per_revision(http: Recorder) -> None:
    """`subscribe.on-synced.hook` sends once for r1, not again for r1, again for r2."""
    n = Notifier.from_yaml(config(http.url))
    a = app(**{SUB + "on-synced.hook": ""})
    first = n.process(a)
    assert [(d.trigger, d.service, d.sent, d.once_per) for d in first] == [
        ("on-synced", "hook", True, "r1")
    ]
    assert n.process(a) == []
    a["status"]["sync"]["revision"] = "r2"
    assert [d.once_per for d in n.process(a)] == ["r2"]
    assert [r.body for r in http.requests] == [b"web:r1", b"web:r2"]


def test_state_survives_a_restart_through_the_annotation(http: Recorder) -> None:
    """A new Notifier reading the app with its notified annotation sends nothing again."""
    a = app(**{SUB + "on-synced.hook": ""})
    Notifier.from_yaml(config(http.url)).process(a)
    state = json.loads(a["metadata"]["annotations"][NOTIFIED_ANNOTATION])
    assert list(state) == [next(iter(state))] and next(iter(state)).startswith("r1:on-synced:[0].")
    assert Notifier.from_yaml(config(http.url)).process(copy.deepcopy(a)) == []
    assert len(http.requests) == 1


def test_condition_without_once_per_fires_again_after_turning_false(http: Recorder) -> None:
    """Degraded, then Healthy, then Degraded: two notifications (the state forgets on false)."""
    n = Notifier.from_yaml(config(http.url))
    a = app(health="Degraded", **{SUB + "on-degraded.hook": ""})
    assert len(n.process(a)) == 1
    assert n.process(a) == []
    a["status"]["health"]["status"] = "Healthy"
    assert n.process(a) == []
    assert NOTIFIED_ANNOTATION not in a["metadata"]["annotations"]
    a["status"]["health"]["status"] = "Degraded"
    assert len(n.process(a)) == 1
    assert len(http.requests) == 2


def test_configmap_subscription_with_label_selector(http: Recorder) -> None:
    """A ConfigMap subscription applies only to apps whose labels match its selector."""
    sub = "- recipients: [hook]\n  triggers: [on-synced]\n  selector: env=prod"
    n = Notifier.from_yaml(config(http.url, subscriptions=sub))
    assert len(n.process(app())) == 1
    other = app()
    other["metadata"]["labels"] = {"env": "dev"}
    assert n.destinations(other) == {}


def test_short_annotation_uses_default_triggers(http: Recorder) -> None:
    """`subscribe.<service>` without a trigger uses `defaultTriggers` (per service first)."""
    n = Notifier.from_yaml(
        config(http.url, defaultTriggers="[on-degraded]", **{"defaultTriggers.hook": "[on-synced]"})
    )
    assert n.destinations(app(**{SUB + "hook": "a; b"})) == {
        "on-synced": [Destination("hook", "a"), Destination("hook", "b")]
    }
    assert n.destinations(app(**{SUB + "other": ""})) == {"on-degraded": [Destination("other", "")]}


def test_recipient_with_service_prefix_and_dedup(http: Recorder) -> None:
    """`service:recipient` strings split at the colon; the same destination counts once."""
    sub = "- recipients: ['hook:ops', 'hook:ops']\n  triggers: [on-synced]"
    n = Notifier.from_yaml(config(http.url, subscriptions=sub))
    assert n.destinations(app(**{SUB + "on-synced.hook": "ops"})) == {
        "on-synced": [Destination("hook", "ops")]
    }


def test_unconfigured_service_is_a_delivery_error(http: Recorder) -> None:
    """A subscription to a service the ConfigMap lacks is reported in the Delivery."""
    n = Notifier.from_yaml(config(http.url))
    (d,) = n.process(app(**{SUB + "on-synced.slack": "#ops"}))
    assert (d.sent, d.error) == (False, "notification service 'slack' is not configured")


def test_failed_delivery_is_retried_on_the_next_pass(http: Recorder) -> None:
    """A delivery that failed is not recorded, so the next pass tries again."""
    n = Notifier.from_yaml(
        config(http.url, **{"service.webhook.hook": f"url: {http.url}\nretryMax: 0"})
    )
    http.statuses.extend([400])
    a = app(**{SUB + "on-synced.hook": ""})
    assert [d.sent for d in n.process(a)] == [False]
    assert [d.sent for d in n.process(a)] == [True]


def test_failing_condition_counts_as_false() -> None:
    """A `when` that fails at run time is false and its error is reported by run_trigger."""
    n = Notifier.from_yaml(
        {"data": {"template.t": "message: x", "trigger.t": "- when: app.a.b == 1\n  send: [t]"}}
    )
    (res,) = n.run_trigger("t", {"metadata": {"name": "x"}})
    assert not res.triggered
    assert res.error == "trigger.t[0].when: cannot fetch b from <nil> (column 6)"
    assert n.evaluate("t", {"metadata": {"name": "x"}}) is False


def test_unknown_trigger_and_template_name_the_key() -> None:
    """Asking for a trigger or template that is not configured names it."""
    n = Notifier.from_yaml({"data": {}})
    with pytest.raises(NotificationError, match="trigger 'nope' is not configured"):
        n.evaluate("nope", {})
    with pytest.raises(NotificationError, match="template 'nope' is not configured"):
        n.render("nope", {})


def test_render_selects_service_fields_and_sets_service_variables() -> None:
    """`render(service=...)` gives message plus that type's block, with `.serviceType` the
    service name and `.notificationType` its type."""
    n = Notifier.from_yaml(
        {
            "data": {
                "service.webhook.hook": "url: http://127.0.0.1:1",
                "template.t": (
                    "message: '{{.serviceType}}/{{.notificationType}}'\n"
                    "email: {subject: 'S {{.app.metadata.name}}'}\n"
                    "webhook:\n  hook: {method: POST, body: 'B {{.app.metadata.name}}'}\n"
                    "  other: {body: '{{.broken'}\n"
                ),
            }
        }
    )
    assert n.render("t", app(), service="hook") == {
        "message": "hook/webhook",
        "webhook": {"hook": {"method": "POST", "body": "B web"}},
    }
    assert n.render("t", app(), service="email") == {
        "message": "email/email",
        "email": {"subject": "S web"},
    }
    with pytest.raises(NotificationError, match=r"template\.t webhook\.other\.body:1:1"):
        n.render("t", app())
    assert [str(e) for e in n.check()] == ["template.t webhook.other.body:1:1: unclosed action"]


def test_public_names_and_model_apps(http: Recorder) -> None:
    """`g.Notifier` takes an Application model; the annotation is written onto the model."""
    model = g.Application.model_validate(app(**{SUB + "on-synced.hook": ""}))
    n = g.Notifier.from_yaml(config(http.url))
    (d,) = n.process(model)
    assert isinstance(d, g.Delivery) and d.sent
    assert NOTIFIED_ANNOTATION in (model.metadata.annotations or {})
    assert n.process(model) == []


def test_state_store_hook(http: Recorder) -> None:
    """A StateStore receives the state and is read when the app carries no annotation."""

    class Store:
        def __init__(self) -> None:
            self.value: str | None = None

        def load(self, app: Any) -> str | None:
            return self.value

        def save(self, app: Any, value: str | None) -> None:
            self.value = value

    store = Store()
    a = app(**{SUB + "on-synced.hook": ""})
    Notifier.from_yaml(config(http.url), state_store=store).process(copy.deepcopy(a))
    assert store.value is not None and "r1:on-synced" in store.value
    assert Notifier.from_yaml(config(http.url), state_store=store).process(a) == []


def test_notifier_is_the_loops_notifier_like() -> None:
    """`Notifier` satisfies observe.NotifierLike, the protocol sync/reconcile/wait call."""
    from gitopslib.observe import NotifierLike

    assert isinstance(Notifier.from_yaml({"data": {}}), NotifierLike)
