"""A config management plugin's ``plugin.yaml`` (``ConfigManagementPlugin``, CMP v2).

Not a Kubernetes resource: the file a plugin sidecar reads. ``generate.command`` is required;
commands run as ``command[0]`` with ``command[1:] + args``, without a shell.

>>> cmp = ConfigManagementPlugin.from_yaml('''
... apiVersion: argoproj.io/v1alpha1
... kind: ConfigManagementPlugin
... metadata: {name: kasane}
... spec:
...   version: v1.0
...   generate: {command: [kasane, show]}
...   discover: {fileName: Kasanefile}
... ''')
>>> cmp.socket_name, cmp.spec.generate.argv()
('kasane-v1.0', ['kasane', 'show'])
"""

from __future__ import annotations

from pydantic import Field, ValidationInfo, model_validator

from gitopslib.models._base import Document, FieldProblem, GitOpsModel
from gitopslib.models._common import ObjectMeta

__all__ = [
    "ConfigManagementPlugin",
    "ParameterAnnouncement",
    "PluginCommand",
    "PluginDiscover",
    "PluginFind",
    "PluginParameters",
    "PluginSpec",
]


class PluginCommand(GitOpsModel):
    """A command: ``command`` (argv) plus ``args`` appended to it."""

    command: list[str] | None = None
    args: list[str] | None = None

    def argv(self) -> list[str]:
        """The full argument vector to execute (``command + args``)."""
        return [*(self.command or ()), *(self.args or ())]


class PluginFind(PluginCommand):
    """``discover.find``: a command whose non-empty output means "this plugin applies", or a
    ``glob`` matched against the repository files."""

    glob: str | None = None


class PluginDiscover(GitOpsModel):
    """``spec.discover``: when the plugin applies to an app directory."""

    file_name: str | None = None
    find: PluginFind | None = None


class ParameterAnnouncement(GitOpsModel):
    """A parameter the plugin announces to the UI (``parameters.static[]``)."""

    name: str | None = None
    title: str | None = None
    tooltip: str | None = None
    required: bool | None = None
    item_type: str | None = None
    collection_type: str | None = None
    string: str | None = None
    array: list[str] | None = None
    map: dict[str, str] | None = None


class PluginParameters(GitOpsModel):
    """``spec.parameters``: static announcements and a dynamic announcement command."""

    static: list[ParameterAnnouncement] | None = None
    dynamic: PluginCommand | None = None


class PluginSpec(GitOpsModel):
    """``spec`` of a plugin.yaml."""

    version: str | None = None
    init: PluginCommand | None = None
    generate: PluginCommand | None = None
    discover: PluginDiscover | None = None
    parameters: PluginParameters | None = None
    preserve_file_mode: bool | None = None
    provide_git_creds: bool | None = None
    # Written by plugin.yaml files in the wild (from the v1 ``configManagementPlugins``
    # format); Argo CD's sidecar reads its config leniently and does not act on them in v2.
    allow_concurrency: bool | None = None
    lock_repo: bool | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _generate(self, info: ValidationInfo) -> PluginSpec:
        if (
            info.context
            and info.context.get("document")
            and not (self.generate and self.generate.command)
        ):
            raise FieldProblem("a plugin needs a non-empty generate.command", "generate")
        return self


class ConfigManagementPlugin(Document):
    """A CMP v2 ``plugin.yaml``."""

    KIND = "ConfigManagementPlugin"

    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: PluginSpec

    @model_validator(mode="after")
    def _named(self, info: ValidationInfo) -> ConfigManagementPlugin:
        if info.context and info.context.get("document") and not self.metadata.name:
            raise FieldProblem("a plugin needs metadata.name", "metadata")
        return self

    @property
    def socket_name(self) -> str:
        """``<name>`` or ``<name>-<version>``: how apps select this plugin by name."""
        name = self.metadata.name or ""
        return f"{name}-{self.spec.version}" if self.spec.version else name

    def matches_name(self, requested: str) -> bool:
        """Whether an app's ``plugin.name`` selects this plugin."""
        return requested == self.socket_name
