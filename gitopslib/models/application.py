"""The Argo CD ``Application`` (argoproj.io/v1alpha1) as typed pydantic models.

Attribute names are the snake_case forms of Argo CD's YAML keys (``repoURL`` ->
``repo_url``); fields nobody wrote are ``None`` and are never written back.

>>> app = Application.from_yaml('''
... apiVersion: argoproj.io/v1alpha1
... kind: Application
... metadata: {name: guestbook, namespace: argocd}
... spec:
...   project: default
...   source: {repoURL: https://github.com/argoproj/argocd-example-apps, path: guestbook}
...   destination: {server: https://kubernetes.default.svc, namespace: default}
... ''')
>>> app.spec.all_sources()[0].path
'guestbook'
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, model_validator

from gitopslib.models._base import Document, FieldProblem, GitOpsModel
from gitopslib.models._common import (
    Backoff,
    Info,
    ObjectMeta,
    RetryStrategy,
    check_object_name,
)
from gitopslib.models.status import ApplicationStatus, Operation
from gitopslib.tracking import DEFAULT_CONTROLLER_NAMESPACE, app_instance_name

__all__ = [
    "Application",
    "ApplicationDestination",
    "ApplicationSource",
    "ApplicationSourceDirectory",
    "ApplicationSourceHelm",
    "ApplicationSourceJsonnet",
    "ApplicationSourceKustomize",
    "ApplicationSourcePlugin",
    "ApplicationSpec",
    "Backoff",
    "HelmFileParameter",
    "HelmParameter",
    "Info",
    "JsonnetVar",
    "KustomizePatch",
    "KustomizeReplica",
    "KustomizeSelector",
    "ManagedNamespaceMetadata",
    "ObjectMeta",
    "PluginEnvEntry",
    "PluginParameter",
    "ResourceIgnoreDifferences",
    "RetryStrategy",
    "SyncPolicy",
    "SyncPolicyAutomated",
]


# --- helm ------------------------------------------------------------------------------------


class HelmParameter(GitOpsModel):
    """``--set name=value`` (``--set-string`` when ``forceString``)."""

    name: str | None = None
    value: str | None = None
    force_string: bool | None = None


class HelmFileParameter(GitOpsModel):
    """``--set-file name=path``."""

    name: str | None = None
    path: str | None = None


class ApplicationSourceHelm(GitOpsModel):
    """``source.helm``: how to template a Helm chart."""

    value_files: list[str] | None = None
    parameters: list[HelmParameter] | None = None
    file_parameters: list[HelmFileParameter] | None = None
    release_name: str | None = None
    values: str | None = None
    values_object: dict[str, Any] | None = None
    ignore_missing_value_files: bool | None = None
    skip_crds: bool | None = None
    skip_tests: bool | None = None
    skip_schema_validation: bool | None = None
    pass_credentials: bool | None = None
    namespace: str | None = None
    kube_version: str | None = None
    api_versions: list[str] | None = None
    version: str | None = None


# --- kustomize -------------------------------------------------------------------------------


class KustomizeReplica(GitOpsModel):
    """``source.kustomize.replicas[]``: a replica count override (int or string)."""

    name: str | None = None
    count: int | str | None = None


class KustomizeSelector(GitOpsModel):
    """The ``target`` of a kustomize patch."""

    group: str | None = None
    version: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    annotation_selector: str | None = None
    label_selector: str | None = None


class KustomizePatch(GitOpsModel):
    """``source.kustomize.patches[]``: appended to the kustomization's ``patches``."""

    path: str | None = None
    patch: str | None = None
    target: KustomizeSelector | None = None
    options: dict[str, bool] | None = None


class ApplicationSourceKustomize(GitOpsModel):
    """``source.kustomize``: edits applied before ``kustomize build``."""

    name_prefix: str | None = None
    name_suffix: str | None = None
    images: list[str] | None = None
    common_labels: dict[str, str] | None = None
    common_annotations: dict[str, str] | None = None
    force_common_labels: bool | None = None
    force_common_annotations: bool | None = None
    common_annotations_envsubst: bool | None = None
    label_without_selector: bool | None = None
    label_include_templates: bool | None = None
    namespace: str | None = None
    replicas: list[KustomizeReplica] | None = None
    patches: list[KustomizePatch] | None = None
    components: list[str] | None = None
    ignore_missing_components: bool | None = None
    kube_version: str | None = None
    api_versions: list[str] | None = None
    version: str | None = None


# --- directory / jsonnet ----------------------------------------------------------------------


class JsonnetVar(GitOpsModel):
    """An ``extVars``/``tlas`` entry; ``code: true`` means the value is Jsonnet code."""

    name: str | None = None
    value: str | None = None
    code: bool | None = None


class ApplicationSourceJsonnet(GitOpsModel):
    """``source.directory.jsonnet``."""

    ext_vars: list[JsonnetVar] | None = None
    tlas: list[JsonnetVar] | None = None
    libs: list[str] | None = None


class ApplicationSourceDirectory(GitOpsModel):
    """``source.directory``: plain manifests (and Jsonnet) in a folder."""

    recurse: bool | None = None
    include: str | None = None
    exclude: str | None = None
    jsonnet: ApplicationSourceJsonnet | None = None
    disable_extension_filter: bool | None = None


# --- plugin ----------------------------------------------------------------------------------


class PluginEnvEntry(GitOpsModel):
    """``source.plugin.env[]`` (passed to the plugin prefixed with ``ARGOCD_ENV_``)."""

    name: str | None = None
    value: str | None = None


class PluginParameter(GitOpsModel):
    """``source.plugin.parameters[]``: one of ``string``, ``array`` or ``map``."""

    name: str | None = None
    string: str | None = None
    array: list[str] | None = None
    map: dict[str, str] | None = None


class ApplicationSourcePlugin(GitOpsModel):
    """``source.plugin``: a config management plugin (CMP v2) by name."""

    name: str | None = None
    env: list[PluginEnvEntry] | None = None
    parameters: list[PluginParameter] | None = None


# --- source ----------------------------------------------------------------------------------

_TOOLS = ("helm", "kustomize", "directory", "plugin")


class ApplicationSource(GitOpsModel):
    """One source of manifests: a Git path or a Helm chart, and at most one tool block.

    >>> ApplicationSource(repo_url="https://x", path="app", helm=ApplicationSourceHelm()).tool
    'helm'
    """

    repo_url: str | None = Field(default=None, alias="repoURL")
    path: str | None = None
    target_revision: str | None = None
    chart: str | None = None
    ref: str | None = None
    name: str | None = None
    tag_prefix: str | None = None
    helm: ApplicationSourceHelm | None = None
    kustomize: ApplicationSourceKustomize | None = None
    directory: ApplicationSourceDirectory | None = None
    plugin: ApplicationSourcePlugin | None = None

    @model_validator(mode="after")
    def _one_tool(self) -> ApplicationSource:
        present = [t for t in _TOOLS if getattr(self, t) is not None]
        if len(present) > 1:
            raise FieldProblem(
                f"multiple application sources defined: {' and '.join(present)}; a source "
                "takes at most one of helm, kustomize, directory, plugin",
                present[1],
            )
        return self

    @property
    def tool(self) -> str | None:
        """The explicit tool block set (``helm``, ``kustomize``, ``directory``, ``plugin``)
        or None when the type is left to discovery."""
        return next((t for t in _TOOLS if getattr(self, t) is not None), None)

    @property
    def is_ref_only(self) -> bool:
        """A multi-source entry with ``ref`` and neither ``path`` nor ``chart``: it only lends
        its repository to ``$ref/...`` value files and renders nothing."""
        return bool(self.ref) and not self.path and not self.chart

    @property
    def is_helm_chart(self) -> bool:
        """A chart from a Helm repository (``chart`` set) rather than a Git path."""
        return bool(self.chart)


class ApplicationDestination(GitOpsModel):
    """Where an app deploys: a cluster (``server`` URL or ``name``) and a default namespace."""

    server: str | None = None
    name: str | None = None
    namespace: str | None = None

    @model_validator(mode="after")
    def _server_xor_name(self, info: ValidationInfo) -> ApplicationDestination:
        if self.server and self.name:
            raise FieldProblem(
                f"destination sets both server ({self.server!r}) and name ({self.name!r}); "
                "set exactly one of them",
                "name",
            )
        if info.context and info.context.get("document") and not self.server and not self.name:
            raise FieldProblem("destination has neither server nor name; set exactly one of them")
        return self


# --- sync policy -----------------------------------------------------------------------------


class SyncPolicyAutomated(GitOpsModel):
    """``syncPolicy.automated``: auto-sync on new revisions (and drift with ``selfHeal``)."""

    prune: bool | None = None
    self_heal: bool | None = None
    allow_empty: bool | None = None
    enabled: bool | None = None

    @property
    def is_enabled(self) -> bool:
        """Auto-sync is on unless ``enabled: false`` is written."""
        return self.enabled is not False


class ManagedNamespaceMetadata(GitOpsModel):
    """Labels and annotations put on the namespace that ``CreateNamespace=true`` makes."""

    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class SyncPolicy(GitOpsModel):
    """``spec.syncPolicy``."""

    automated: SyncPolicyAutomated | None = None
    sync_options: list[str] | None = None
    retry: RetryStrategy | None = None
    managed_namespace_metadata: ManagedNamespaceMetadata | None = None


class ResourceIgnoreDifferences(GitOpsModel):
    """``spec.ignoreDifferences[]``: which fields of which resources the diff ignores."""

    group: str | None = None
    kind: str | None = None
    name: str | None = None
    namespace: str | None = None
    json_pointers: list[str] | None = None
    jq_path_expressions: list[str] | None = None
    managed_fields_managers: list[str] | None = None

    @model_validator(mode="after")
    def _jq_compiles(self, info: ValidationInfo) -> ResourceIgnoreDifferences:
        if not (info.context and info.context.get("document")):
            return self  # built in code: the diff that runs the expression reports it
        for index, expression in enumerate(self.jq_path_expressions or ()):
            problem = jq_problem(expression)
            if problem is not None:
                raise FieldProblem(problem, "jqPathExpressions", index)
        return self


def jq_problem(expression: str) -> str | None:
    """Why ``expression`` is not a jq path expression Argo CD can run (it compiles
    ``del(<expression>)``), or None. Without the jq extra nothing is checked here (the diff
    that uses the expression says ``pip install gitopslib[jq]``).

    >>> jq_problem(".spec.replicas"), jq_problem(".spec | ][") is not None
    (None, True)
    """
    try:
        import jq
    except ImportError:  # pragma: no cover - jq is a declared extra
        return None
    try:
        jq.compile(f"del({expression})")
    except ValueError as exc:
        detail = str(exc).splitlines()[0].rstrip(":") if str(exc) else "syntax error"
        return f"jq expression {expression!r} does not compile: {detail}"
    return None


# --- spec and the document -------------------------------------------------------------------


class ApplicationSpec(GitOpsModel):
    """``spec`` of an Application.

    ``destination`` is always an object (empty when the YAML has no destination block) so
    ``spec.destination.namespace`` never fails; it is only written back if it was given.
    """

    project: str = ""
    source: ApplicationSource | None = None
    sources: list[ApplicationSource] | None = None
    source_hydrator: dict[str, Any] | None = None
    destination: ApplicationDestination = Field(default_factory=ApplicationDestination)
    sync_policy: SyncPolicy | None = None
    ignore_differences: list[ResourceIgnoreDifferences] | None = None
    info: list[Info] | None = None
    revision_history_limit: int | None = None

    @model_validator(mode="after")
    def _source_or_sources(self) -> ApplicationSpec:
        if self.source is not None and self.sources:
            raise FieldProblem(
                "spec sets both source and sources; use sources (multi-source) or source, not both",
                "sources",
            )
        return self

    def all_sources(self) -> list[ApplicationSource]:
        """``sources`` when non-empty, else ``[source]`` (``[]`` when neither is set).

        >>> ApplicationSpec(source=ApplicationSource(path="a")).all_sources()[0].path
        'a'
        """
        if self.sources:
            return list(self.sources)
        return [self.source] if self.source is not None else []

    @property
    def has_multiple_sources(self) -> bool:
        """Whether the app uses ``sources`` (even with a single entry)."""
        return bool(self.sources)

    @property
    def project_name(self) -> str:
        """The project, ``default`` when empty."""
        return self.project or "default"

    @property
    def effective_revision_history_limit(self) -> int:
        """``revisionHistoryLimit`` or Argo CD's default of 10."""
        return 10 if self.revision_history_limit is None else self.revision_history_limit


class Application(Document):
    """An Argo CD Application: ``metadata``, ``spec``, and optionally ``status`` and
    ``operation``.

    >>> app = Application(metadata=ObjectMeta(name="a"), spec=ApplicationSpec(project="p"))
    >>> app.to_dict()["kind"], app.spec.project_name
    ('Application', 'p')
    """

    KIND = "Application"

    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ApplicationSpec
    status: ApplicationStatus | None = None
    operation: Operation | None = None

    @model_validator(mode="after")
    def _named(self, info: ValidationInfo) -> Application:
        if info.context and info.context.get("document"):
            meta = self.metadata
            if not meta.name and not meta.generate_name:
                raise FieldProblem("an Application needs metadata.name", "metadata")
            check_object_name(meta.name, "Application")
        return self

    def instance_name(self, controller_namespace: str = DEFAULT_CONTROLLER_NAMESPACE) -> str:
        """Argo CD's instance name (§7.1): ``<name>``, or ``<namespace>_<name>`` when the
        Application lives outside ``controller_namespace``.

        >>> Application(metadata=ObjectMeta(name="web", namespace="team-a"),
        ...             spec=ApplicationSpec()).instance_name()
        'team-a_web'
        """
        return app_instance_name(self, controller_namespace)
