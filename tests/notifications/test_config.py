"""Reading argocd-notifications-cm and argocd-notifications-secret."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from gitopslib.errors import NotificationError
from gitopslib.notifications.config import LabelSelector, NotificationsConfig


def cm(**data: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "data": data}


def test_guide_configmap_parts(corpus_dir: Path) -> None:
    """The guide's ConfigMap: one webhook service named dingtalk, six triggers, one
    subscription, and the context's argocdUrl."""
    cfg = NotificationsConfig.from_yaml(corpus_dir / "seed/configmap-argocd-notifications-cm.yaml")
    assert cfg.services["dingtalk"].type == "webhook"
    assert sorted(cfg.triggers) == [
        "on-deployed", "on-health-degraded", "on-sync-failed", "on-sync-running",
        "on-sync-status-unknown", "on-sync-succeeded",
    ]  # fmt: skip
    assert cfg.triggers["on-deployed"][0].once_per is not None
    assert cfg.subscriptions[0].recipients == ("dingtalk",)
    assert cfg.context["argocdUrl"] == "http://argocd.k8s.local"


def test_service_key_forms() -> None:
    """`service.<type>` is named after its type; `service.<type>.<name>` after the name."""
    cfg = NotificationsConfig.from_yaml(
        cm(**{"service.slack": "token: t", "service.webhook.github": "url: https://x"})
    )
    assert (cfg.services["slack"].type, cfg.services["github"].type) == ("slack", "webhook")


def test_invalid_service_key_names_the_key() -> None:
    """`service.a.b.c` is refused with the key in the message."""
    with pytest.raises(NotificationError, match=r"'service\.webhook\.a\.b'") as info:
        NotificationsConfig.from_yaml(cm(**{"service.webhook.a.b": "url: x"}))
    assert info.value.key == "service.webhook.a.b"  # type: ignore[attr-defined]


def test_secret_references_resolved_from_data_and_string_data() -> None:
    """`$name` in service options takes the Secret's value (base64 `data` or `stringData`)."""
    secret = {
        "data": {"token": base64.b64encode(b"s3cr3t").decode()},
        "stringData": {"user": "bot"},
    }
    service = "url: https://x\nbasicAuth: {username: $user, password: $token}"
    cfg = NotificationsConfig.from_yaml(cm(**{"service.webhook.h": service}), secret)
    assert cfg.services["h"].options["basicAuth"] == {"username": "bot", "password": "s3cr3t"}
    assert "s3cr3t" not in repr(cfg)


def test_missing_secret_key_is_an_error_without_values() -> None:
    """A reference the Secret lacks is an error naming the service key and the reference."""
    with pytest.raises(NotificationError) as info:
        NotificationsConfig.from_yaml(
            cm(**{"service.slack": "token: $slack-token"}), {"stringData": {"other": "v4lue"}}
        )
    assert str(info.value) == (
        "argocd-notifications-cm: service.slack references $slack-token, which "
        "argocd-notifications-secret does not have"
    )


def test_references_stay_unresolved_without_a_secret() -> None:
    """Without a Secret, references are kept and reported by delivery, not by loading."""
    cfg = NotificationsConfig.from_yaml(cm(**{"service.slack": "token: $slack-token"}))
    assert cfg.services["slack"].unresolved == ("slack-token",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tempalte.x": "message: hi"}, "unknown key 'tempalte.x'"),
        ({"template.x": "mesage: hi"}, "template.x has unknown field 'mesage'"),
        ({"template.x": "message: [1]"}, "template.x.message must be a string"),
        ({"template.x": "webhook: {h: {bdy: x}}"}, "template.x.webhook.h has unknown field 'bdy'"),
        ({"trigger.t": "when: true"}, "trigger.t must be a list of conditions"),
        ({"trigger.t": "- when: 'true'\n  sned: [x]"}, "trigger.t[0] has unknown field 'sned'"),
        ({"trigger.t": "- when: 'true'\n  send: [nope]"}, "names template 'nope'"),
        ({"trigger.t": "- when: a =! b\n  send: []"}, "trigger.t[0].when: "),
        ({"subscriptions": "- recipients: x"}, "subscriptions[0].recipients must be a list"),
        ({"subscriptions": "- triggers: [missing]"}, "trigger 'missing', which is not defined"),
        ({"defaultTriggers": "[a"}, "defaultTriggers is not valid YAML"),
        ({"context": "[1]"}, "context must be a mapping"),
    ],
)
def test_malformed_entries_name_the_key(data: dict[str, str], message: str) -> None:
    """Every malformed entry is a NotificationError naming the ConfigMap key and the field."""
    with pytest.raises(NotificationError) as info:
        NotificationsConfig.from_yaml(cm(**data))
    assert message in str(info.value)


def test_missing_when_is_false() -> None:
    """A condition without `when` never fires (the engine compiles it as `false`)."""
    cfg = NotificationsConfig.from_yaml(cm(**{"trigger.t": "- send: []"}))
    assert cfg.triggers["t"][0].when.evaluate({}) is False


def test_context_default_argocd_url() -> None:
    """`argocdUrl` defaults to https://localhost:4000, as in Argo CD."""
    assert NotificationsConfig.from_yaml(cm()).context == {"argocdUrl": "https://localhost:4000"}


def test_label_selector_operators() -> None:
    """Equality, inequality, set and existence requirements, as Kubernetes selectors."""
    sel = LabelSelector.parse("env in (prod, staging),tier!=db,team,!legacy", "s")
    assert sel.matches({"env": "prod", "team": "a"})
    assert not sel.matches({"env": "dev", "team": "a"})
    assert not sel.matches({"env": "prod", "team": "a", "legacy": "1"})
    assert not sel.matches({"env": "prod", "team": "a", "tier": "db"})


def test_bad_secret_base64_names_the_key() -> None:
    """A Secret `data` value that is not base64 is reported by key, never by value."""
    with pytest.raises(NotificationError, match=r"data\.token is not base64") as info:
        NotificationsConfig.from_yaml(cm(), {"data": {"token": "%%%notbase64"}})
    assert "%%%" not in str(info.value)
