"""Every construct of Argo CD's built-in catalog (notifications_catalog: triggers with `?.`,
`!= nil`, `time.Parse(...).Before(...)`, `when: "true"`; templates with `{{- if}}`/`{{- else
if}}`, `range $index, $x :=`, `{{if $index}}`, `eq`/`ne .serviceType`, `js`, nested JSON for
Slack and Teams), written here as catalog-like entries and rendered for single- and
multi-source apps. The Slack attachments must come out as valid JSON."""

# ruff: noqa: E501 - the catalog's template lines are long, and kept as the catalog has them

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from gitopslib.notifications import Notifier

CATALOG = {
    "trigger.on-created": (
        '- description: created\n  oncePer: app.metadata.name\n  send: [created]\n  when: "true"\n'
    ),
    "trigger.on-deleted": (
        "- oncePer: app.metadata.name\n  send: [created]\n"
        "  when: app.metadata.deletionTimestamp != nil\n"
    ),
    "trigger.on-deployed": (
        "- oncePer: app.status.operationState?.syncResult?.revision\n  send: [deployed]\n"
        "  when: app.status.operationState != nil and app.status.operationState.phase in"
        " ['Succeeded']\n    and app.status.health.status == 'Healthy' and"
        " !time.Parse(app.status.health.lastTransitionTime).Before(time.Parse("
        "app.status.operationState.finishedAt))\n"
    ),
    "trigger.on-sync-failed": (
        "- oncePer: app.status.operationState?.syncResult?.revision\n  send: [unknown]\n"
        "  when: app.status.operationState != nil and app.status.operationState.phase in"
        " ['Error',\n    'Failed']\n"
    ),
    "template.created": (
        "email:\n  subject: Application {{.app.metadata.name}} has been created.\n"
        "message: Application {{.app.metadata.name}} has been created.\n"
        "teams:\n  title: Application {{.app.metadata.name}} has been created.\n"
    ),
    "template.deployed": """\
email:
  subject: New version of {{.app.metadata.name}} is up.
message: |
  {{if eq .serviceType "slack"}}:white_check_mark:{{end}} Application {{.app.metadata.name}} runs a new version.
slack:
  attachments: |
    [{
      "title": "{{ .app.metadata.name}}",
      "title_link":"{{.context.argocdUrl}}/applications/{{.app.metadata.name}}",
      "fields": [
      {
        "title": "Sync Status",
        "value": "{{.app.status.sync.status}}",
        "short": true
      },
      {
        "title": {{- if .app.spec.source }} "Repository" {{- else if .app.spec.sources }} "Repositories" {{- end }},
        "value": {{- if .app.spec.source }} ":arrow_heading_up: {{ .app.spec.source.repoURL }}" {{- else if .app.spec.sources }} "{{- range $index, $source := .app.spec.sources }}{{ if $index }}\\n{{ end }}:arrow_heading_up: {{ $source.repoURL }}{{- end }}" {{- end }},
        "short": true
      }
      {{range $index, $c := .app.status.conditions}}
      ,
      {
        "title": "{{$c.type}}",
        "value": "{{js $c.message}}",
        "short": true
      }
      {{end}}
      ]
    }]
  deliveryPolicy: Post
  groupingKey: ""
  notifyBroadcast: false
teams:
  facts: |
    [{"name": "Revision", "value": "{{.app.status.sync.revision}}"}
    {{range $index, $c := .app.status.conditions}},
      {"name": "{{$c.type}}", "value": "{{$c.message}}"}
    {{end}}]
  themeColor: '#000080'
""",
    "template.unknown": """\
message: |
  {{if eq .serviceType "slack"}}:exclamation:{{end}} Application {{.app.metadata.name}} sync is 'Unknown'.
  {{if ne .serviceType "slack"}}
  {{range $c := .app.status.conditions}}
      * {{$c.message}}
  {{end}}
  {{end}}
""",
}

APP: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "shop", "namespace": "argocd"},
    "spec": {"project": "default", "source": {"repoURL": "https://git.example.com/shop.git"}},
    "status": {
        "sync": {"status": "Synced", "revision": "c0ffee"},
        "health": {"status": "Healthy", "lastTransitionTime": "2024-05-01T10:00:30Z"},
        "operationState": {
            "phase": "Succeeded",
            "finishedAt": "2024-05-01T10:00:20Z",
            "syncResult": {"revision": "c0ffee"},
        },
        "conditions": [
            {"type": "SyncError", "message": 'image "x:1" not found\nretrying'},
            {"type": "OrphanedResourceWarning", "message": "1 orphan"},
        ],
    },
}


@pytest.fixture(scope="module")
def catalog() -> Notifier:
    return Notifier.from_yaml({"data": {**CATALOG, "context": "argocdUrl: https://cd.example"}})


def test_catalog_parses_completely(catalog: Notifier) -> None:
    """Every template field of the catalog-like ConfigMap parses."""
    assert catalog.check() == []


def test_on_deployed_needs_health_after_finish(catalog: Notifier) -> None:
    """on-deployed holds once health changed after the sync finished, and is keyed by the
    synced revision through `?.`."""
    (res,) = catalog.run_trigger("on-deployed", APP)
    assert (res.triggered, res.once_per, res.error) == (True, "c0ffee", None)
    early = copy.deepcopy(APP)
    early["status"]["health"]["lastTransitionTime"] = "2024-05-01T10:00:10Z"
    assert not catalog.evaluate("on-deployed", early)


def test_on_deployed_without_operation_state_is_false_not_an_error(catalog: Notifier) -> None:
    """`app.status.operationState != nil and ...` short-circuits for a never-synced app."""
    (res,) = catalog.run_trigger("on-deployed", {"metadata": {"name": "x"}, "status": {}})
    assert (res.triggered, res.error) == (False, None)


def test_on_created_and_on_deleted(catalog: Notifier) -> None:
    """`when: "true"` always holds (once per app name); on-deleted needs a deletionTimestamp."""
    (res,) = catalog.run_trigger("on-created", APP)
    assert (res.triggered, res.once_per) == (True, "shop")
    assert not catalog.evaluate("on-deleted", APP)
    gone = copy.deepcopy(APP)
    gone["metadata"]["deletionTimestamp"] = "2024-05-02T00:00:00Z"
    assert catalog.evaluate("on-deleted", gone)


def test_multi_line_when_from_folded_yaml(catalog: Notifier) -> None:
    """A `when` folded over two YAML lines (`['Error',\\n 'Failed']`) reads as one expression."""
    failed = copy.deepcopy(APP)
    failed["status"]["operationState"]["phase"] = "Failed"
    assert catalog.evaluate("on-sync-failed", failed)


def test_slack_attachments_single_source_are_valid_json(catalog: Notifier) -> None:
    """The Slack attachments render to JSON: Repository field, one field per condition with
    the message escaped by `js`."""
    rendered = catalog.render("deployed", APP, service="slack")
    assert rendered["message"].startswith(":white_check_mark: Application shop runs")
    (att,) = json.loads(rendered["slack"]["attachments"])
    assert att["title_link"] == "https://cd.example/applications/shop"
    assert [f["title"] for f in att["fields"]] == [
        "Sync Status", "Repository", "SyncError", "OrphanedResourceWarning",
    ]  # fmt: skip
    assert att["fields"][1]["value"] == ":arrow_heading_up: https://git.example.com/shop.git"
    assert att["fields"][2]["value"] == 'image "x:1" not found\nretrying'
    assert rendered["slack"]["deliveryPolicy"] == "Post"
    assert rendered["slack"]["notifyBroadcast"] is False


def test_slack_attachments_multi_source(catalog: Notifier) -> None:
    """With `spec.sources` the field is "Repositories" and the URLs are joined by `\\n`."""
    multi = copy.deepcopy(APP)
    del multi["spec"]["source"]
    multi["spec"]["sources"] = [{"repoURL": "https://a"}, {"repoURL": "https://b"}]
    (att,) = json.loads(catalog.render("deployed", multi, service="slack")["slack"]["attachments"])
    assert att["fields"][1] == {
        "title": "Repositories",
        "value": ":arrow_heading_up: https://a\n:arrow_heading_up: https://b",
        "short": True,
    }


def test_service_type_switches_message(catalog: Notifier) -> None:
    """`eq`/`ne .serviceType "slack"`: Slack gets the emoji, e-mail the list of conditions."""
    slack = catalog.render("unknown", APP, service="slack")["message"]
    email = catalog.render("unknown", APP, service="email")["message"]
    assert slack.startswith(":exclamation: Application shop")
    assert "* " not in slack
    assert '* image "x:1" not found\nretrying' in email and "* 1 orphan" in email


def test_teams_and_email_fields(catalog: Notifier) -> None:
    """Teams facts render to JSON (for messages without quotes: the catalog does not escape
    them there); the e-mail subject is rendered for the email service."""
    plain = copy.deepcopy(APP)
    plain["status"]["conditions"] = [{"type": "SyncError", "message": "boom"}]
    teams = catalog.render("deployed", plain, service="teams")["teams"]
    facts = json.loads(teams["facts"])
    assert facts == [
        {"name": "Revision", "value": "c0ffee"},
        {"name": "SyncError", "value": "boom"},
    ]
    assert teams["themeColor"] == "#000080"
    assert catalog.render("created", APP, service="email")["email"] == {
        "subject": "Application shop has been created."
    }
