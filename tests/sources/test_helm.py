"""Helm sources, checked against helm-python-sdk called directly."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import helm_python
import pytest
import yaml

from gitopslib.errors import EngineNotFoundError, ManifestError, PathEscapeError, RenderError
from gitopslib.sources import HelmRenderer, HelmTemplateError, render
from gitopslib.sources.helm import HELM_INSTALL_ORDER, HelmInputs


def _chart(
    root: Path, name: str, templates: dict[str, str], values: str = "", extra_chart: str = ""
) -> Path:
    chart = root / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n" + extra_chart
    )
    (chart / "values.yaml").write_text(values)
    for rel, text in templates.items():
        path = chart / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return chart


CM_TEMPLATE = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
    "  namespace: {{ .Release.Namespace }}\ndata:\n"
    "  values: {{ .Values | toJson | quote }}\n"
)


def _values_of(result) -> dict:
    return yaml.safe_load(result.manifests[0]["data"]["values"])


# --- goldens --------------------------------------------------------------------------------


def test_helm_guestbook_matches_engine(make_app, example_apps, helm_engine, sort_objs):
    """helm-guestbook: release = app name, namespace = destination namespace, as the engine
    renders it."""
    app = make_app("helm-guestbook", name="guestbook", dest_namespace="gb")
    result = render(app, repo_root=example_apps)
    expected = helm_engine(example_apps / "helm-guestbook", name="guestbook", namespace="gb")
    assert sort_objs(result.manifests) == sort_objs(expected)
    assert result.source_type == "Helm"


def test_helm_guestbook_production_values_and_parameters(
    make_app, example_apps, helm_engine, sort_objs
):
    """values-production.yaml then parameters: expected values derived by hand from the
    files (service.type from the value file, image.tag and replicaCount from parameters)."""
    spec = (
        "helm:\n  valueFiles: [values-production.yaml]\n  parameters:\n"
        "  - {name: image.tag, value: v6}\n  - {name: replicaCount, value: '3'}\n"
    )
    result = render(make_app("helm-guestbook", spec, name="gb"), repo_root=example_apps)
    expected_values = {
        "service": {"type": "LoadBalancer"},
        "image": {"tag": "v6"},
        "replicaCount": 3,
    }
    expected = helm_engine(
        example_apps / "helm-guestbook", expected_values, name="gb", namespace="demo-ns"
    )
    assert sort_objs(result.manifests) == sort_objs(expected)
    svc = next(o for o in result.manifests if o["kind"] == "Service")
    deploy = next(o for o in result.manifests if o["kind"] == "Deployment")
    assert svc["spec"]["type"] == "LoadBalancer"
    assert deploy["spec"]["replicas"] == 3
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v6")


def test_blue_green_matches_engine(make_app, example_apps, helm_engine, sort_objs):
    """blue-green (a Rollout chart) renders as the engine renders it."""
    spec = "helm:\n  releaseName: blue-green\n"
    result = render(make_app("blue-green", spec), repo_root=example_apps)
    expected = helm_engine(example_apps / "blue-green", name="blue-green", namespace="demo-ns")
    assert sort_objs(result.manifests) == sort_objs(expected)
    assert {o["kind"] for o in result.manifests} == {"Service", "Rollout"}


def test_generic_manifest_order_matches_helm_install(tmp_path, make_app):
    """Manifests come out in Helm's install order, compared with the engine's own client-side
    install (whose manifest is what `helm template` prints, minus CRDs and hooks)."""
    kinds = [
        "Deployment",
        "Service",
        "Widget",
        "ConfigMap",
        "Namespace",
        "Job",
        "Role",
        "Gadget",
        "ServiceAccount",
        "Ingress",
    ]
    docs = "\n---\n".join(
        f"apiVersion: v1\nkind: {k}\nmetadata:\n  name: x{i}" for i, k in enumerate(kinds)
    )
    chart = _chart(tmp_path, "order", {"templates/all.yaml": docs})
    result = render(make_app("order"), repo_root=tmp_path)
    cfg = helm_python.Config(
        storage_driver="memory",
        kubeconfig_content=(
            "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"
        ),
    )
    with cfg, helm_python.Chart.load(str(chart)) as c:
        manifest = cfg.install(c, "demo", {}, namespace="demo-ns", dry_run="client")["manifest"]
    engine_order = [d["kind"] for d in yaml.safe_load_all(manifest) if d]
    assert [o["kind"] for o in result.manifests] == engine_order
    assert set(HELM_INSTALL_ORDER) >= {"Deployment", "Service", "Namespace"}


# --- values ------------------------------------------------------------------------------


def test_values_object_wins_over_values(make_app, tmp_path):
    """valuesObject replaces values when both are set; both beat value files."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE}, values="a: chart\n")
    (tmp_path / "c" / "extra.yaml").write_text("a: file\nb: file\n")
    spec = "helm:\n  valueFiles: [extra.yaml]\n  values: 'a: string'\n  valuesObject: {a: object}\n"
    values = _values_of(render(make_app("c", spec), repo_root=tmp_path))
    assert values["a"] == "object"
    assert values["b"] == "file"


def test_value_files_later_wins(make_app, tmp_path):
    """Later value files override earlier ones; maps merge deeply."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE})
    (tmp_path / "c" / "one.yaml").write_text("m: {a: 1, b: 1}\n")
    (tmp_path / "c" / "two.yaml").write_text("m: {b: 2}\n")
    values = _values_of(
        render(make_app("c", "helm:\n  valueFiles: [one.yaml, two.yaml]\n"), repo_root=tmp_path)
    )
    assert values["m"] == {"a": 1, "b": 2}


def test_parameters_beat_values_and_force_string(make_app, tmp_path):
    """--set beats values; forceString keeps "true" a string; commas are escaped."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE})
    spec = (
        "helm:\n  values: 'num: 1'\n  parameters:\n  - {name: num, value: '2'}\n"
        "  - {name: flag, value: 'true', forceString: true}\n"
        "  - {name: csv, value: 'a,b'}\n  - {name: list, value: '{x,y}'}\n"
    )
    values = _values_of(render(make_app("c", spec), repo_root=tmp_path))
    assert values["num"] == 2
    assert values["flag"] == "true"
    assert values["csv"] == "a,b"
    assert values["list"] == ["x", "y"]


def test_file_parameters_read_file_content(make_app, tmp_path):
    """fileParameters set a value to a file's content."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE})
    (tmp_path / "c" / "cert.pem").write_text("CERT\n")
    spec = "helm:\n  fileParameters:\n  - {name: tls.cert, path: cert.pem}\n"
    values = _values_of(render(make_app("c", spec), repo_root=tmp_path))
    assert values["tls"]["cert"] == "CERT\n"


def test_missing_value_file_fails_unless_ignored(make_app, tmp_path):
    """A missing value file is an error naming it, unless ignoreMissingValueFiles."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE})
    with pytest.raises(RenderError, match=r"nope\.yaml"):
        render(make_app("c", "helm:\n  valueFiles: [nope.yaml]\n"), repo_root=tmp_path)
    spec = "helm:\n  valueFiles: [nope.yaml]\n  ignoreMissingValueFiles: true\n"
    assert render(make_app("c", spec), repo_root=tmp_path).manifests


def test_value_file_dotdot_escape_refused(make_app, tmp_path):
    """A value file climbing out of the repository is refused, naming it."""
    repo = tmp_path / "repo"
    _chart(repo, "c", {"templates/cm.yaml": CM_TEMPLATE})
    (tmp_path / "secret.yaml").write_text("a: 1\n")
    with pytest.raises(PathEscapeError) as info:
        render(make_app("c", "helm:\n  valueFiles: [../../secret.yaml]\n"), repo_root=repo)
    assert info.value.file == "../../secret.yaml"


def test_value_file_absolute_refused(make_app, tmp_path):
    """An absolute value-file path is refused."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE})
    with pytest.raises(PathEscapeError, match="absolute"):
        render(make_app("c", "helm:\n  valueFiles: [/etc/passwd]\n"), repo_root=tmp_path)


def test_value_file_symlink_escape_refused(make_app, tmp_path):
    """A value file that is a symlink leaving the repository is refused."""
    repo = tmp_path / "repo"
    _chart(repo, "c", {"templates/cm.yaml": CM_TEMPLATE})
    (tmp_path / "secret.yaml").write_text("a: 1\n")
    os.symlink(tmp_path / "secret.yaml", repo / "c" / "link.yaml")
    with pytest.raises(PathEscapeError, match=r"link\.yaml"):
        render(make_app("c", "helm:\n  valueFiles: [link.yaml]\n"), repo_root=repo)


def test_chart_symlink_escape_refused(make_app, tmp_path):
    """A template symlinked to a file outside the repository is refused before rendering."""
    repo = tmp_path / "repo"
    _chart(repo, "c", {"templates/cm.yaml": CM_TEMPLATE})
    (tmp_path / "outside.yaml").write_text("kind: X\n")
    os.symlink(tmp_path / "outside.yaml", repo / "c" / "templates" / "x.yaml")
    with pytest.raises(PathEscapeError, match=r"x\.yaml"):
        render(make_app("c"), repo_root=repo)


def test_remote_value_file_url_refused_offline(make_app, tmp_path):
    """An https value file is not fetched; a scheme outside the allowed list says so."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE})
    with pytest.raises(RenderError, match="remote URL"):
        render(
            make_app("c", "helm:\n  valueFiles: ['https://example.com/v.yaml']\n"),
            repo_root=tmp_path,
        )
    with pytest.raises(RenderError, match="scheme 'secrets\\+age-import' is not allowed"):
        render(
            make_app("c", "helm:\n  valueFiles: ['secrets+age-import:///k.txt?s.yaml']\n"),
            repo_root=tmp_path,
        )


# --- release, capabilities, CRDs, tests ------------------------------------------------------


def test_release_name_and_namespace(make_app, tmp_path):
    """releaseName and helm.namespace override the app name and destination namespace."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE})
    default = render(make_app("c", name="web", dest_namespace="prod"), repo_root=tmp_path)
    assert default.manifests[0]["metadata"] == {"name": "web", "namespace": "prod"}
    spec = "helm:\n  releaseName: rel\n  namespace: other\n"
    custom = render(make_app("c", spec), repo_root=tmp_path)
    assert custom.manifests[0]["metadata"] == {"name": "rel", "namespace": "other"}


def test_kube_version_and_api_versions(make_app, tmp_path):
    """kubeVersion/apiVersions reach .Capabilities."""
    tpl = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caps}\ndata:\n"
        "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
        '  has: {{ .Capabilities.APIVersions.Has "example.com/v1/Widget" | quote }}\n'
    )
    _chart(tmp_path, "c", {"templates/cm.yaml": tpl})
    spec = "helm:\n  kubeVersion: v1.29.4\n  apiVersions: [example.com/v1/Widget]\n"
    data = render(make_app("c", spec), repo_root=tmp_path).manifests[0]["data"]
    assert data == {"kube": "v1.29.4", "has": "true"}
    data = render(make_app("c"), repo_root=tmp_path, kube_version="v1.30.1").manifests[0]["data"]
    assert data["kube"] == "v1.30.1"
    assert data["has"] == "false"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # Argo CD's parseKubeVersion (k8s ParseGeneric, printed back as numbers) drops the
        # distribution suffix before `helm template --kube-version`; Helm then prefixes "v".
        ("v1.29.4-eks-036c24b", "v1.29.4"),
        ("1.29.3+k3s1", "v1.29.3"),
    ],
)
def test_kube_version_suffix_stripped_as_argocd_does(make_app, tmp_path, given, expected):
    """A cluster version with a build/distro suffix reaches .Capabilities without it."""
    tpl = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caps}\ndata:\n"
        "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
        '  new: {{ semverCompare ">=1.21-0" .Capabilities.KubeVersion.Version | quote }}\n'
    )
    _chart(tmp_path, "c", {"templates/cm.yaml": tpl})
    data = render(make_app("c"), repo_root=tmp_path, kube_version=given).manifests[0]["data"]
    assert data == {"kube": expected, "new": "true"}
    spec = f"helm:\n  kubeVersion: '{given}'\n"
    assert render(make_app("c", spec), repo_root=tmp_path).manifests[0]["data"]["kube"] == expected


def test_kube_version_that_is_not_a_version_is_an_error(make_app, tmp_path):
    """Argo CD refuses a kubeVersion it cannot parse ("could not parse kubernetes version")."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE})
    with pytest.raises(RenderError, match="could not parse kubernetes version"):
        render(make_app("c", "helm:\n  kubeVersion: latest\n"), repo_root=tmp_path)


def test_crds_first_unless_skip_crds(make_app, tmp_path):
    """CRDs from crds/ come first (--include-crds); skipCrds drops them."""
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: widgets.example.com}\n"
    )
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE, "crds/widget.yaml": crd})
    with_crds = render(make_app("c"), repo_root=tmp_path)
    assert [o["kind"] for o in with_crds.manifests] == ["CustomResourceDefinition", "ConfigMap"]
    skipped = render(make_app("c", "helm:\n  skipCrds: true\n"), repo_root=tmp_path)
    assert [o["kind"] for o in skipped.manifests] == ["ConfigMap"]


def test_hooks_after_manifests_and_skip_tests(make_app, tmp_path):
    """Hooks follow the manifests; test hooks go with skipTests; unknown hooks are dropped."""
    hook = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {n}\n  annotations:\n    helm.sh/hook: {h}\n"
    )
    _chart(
        tmp_path,
        "c",
        {
            "templates/a-hook.yaml": hook.format(n="pre", h="pre-install"),
            "templates/b-test.yaml": hook.format(n="t", h="test"),
            "templates/c-odd.yaml": hook.format(n="odd", h="not-a-hook"),
            "templates/z.yaml": CM_TEMPLATE,
        },
    )
    names = [o["metadata"]["name"] for o in render(make_app("c"), repo_root=tmp_path).manifests]
    assert names == ["demo", "pre", "t"]
    spec = "helm:\n  skipTests: true\n"
    names = [
        o["metadata"]["name"] for o in render(make_app("c", spec), repo_root=tmp_path).manifests
    ]
    assert names == ["demo", "pre"]


def test_notes_and_partials_are_not_manifests(make_app, example_apps):
    """NOTES.txt and _helpers.tpl never show up as objects."""
    result = render(make_app("helm-guestbook"), repo_root=example_apps)
    assert sorted(o["kind"] for o in result.manifests) == ["Deployment", "Service"]


# --- dependencies ----------------------------------------------------------------------------


def test_local_file_dependency_builds_offline(make_app, tmp_path):
    """A file:// dependency missing from charts/ is packaged offline and rendered."""
    _chart(
        tmp_path,
        "lib",
        {"templates/cm.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-sub}\n")},
    )
    _chart(
        tmp_path,
        "app",
        {"templates/cm.yaml": CM_TEMPLATE},
        extra_chart="dependencies:\n- name: lib\n  version: 0.1.0\n  repository: file://../lib\n",
    )
    result = render(make_app("app"), repo_root=tmp_path)
    assert sorted(o["metadata"]["name"] for o in result.manifests) == ["demo", "from-sub"]
    assert not (tmp_path / "app" / "charts").exists()  # built in a scratch copy


def test_file_dependency_outside_repo_refused(make_app, tmp_path):
    """A file:// dependency pointing outside the repository is refused."""
    _chart(tmp_path, "lib", {"templates/cm.yaml": "kind: X\n"})
    repo = tmp_path / "repo"
    _chart(
        repo,
        "app",
        {"templates/cm.yaml": CM_TEMPLATE},
        extra_chart="dependencies:\n- name: lib\n  version: 0.1.0\n"
        "  repository: file://../../lib\n",
    )
    with pytest.raises(PathEscapeError, match="lib"):
        render(make_app("app"), repo_root=repo)


def test_remote_dependency_fails_clearly(make_app, example_apps):
    """helm-dependency needs a remote chart: the error says to vendor it."""
    with pytest.raises(RenderError, match=r"remote charts .*wordpress.*vendor them"):
        render(make_app("helm-dependency"), repo_root=example_apps)


# --- errors, build env, engines --------------------------------------------------------------


def test_template_error_names_template_and_line(make_app, tmp_path):
    """A failing template gives the template path and line number."""
    bad = "kind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.deep }}\n"
    _chart(tmp_path, "c", {"templates/bad.yaml": bad})
    with pytest.raises(HelmTemplateError) as info:
        render(make_app("c"), repo_root=tmp_path)
    assert info.value.template == "c/templates/bad.yaml"
    assert info.value.line == 3
    assert "c/templates/bad.yaml line 3" in str(info.value)


def test_build_env_in_parameters_and_value_files_not_values(make_app, tmp_path):
    """$ARGOCD_APP_NAME is substituted in parameters and value-file paths, not in values."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE})
    (tmp_path / "c" / "values-web.yaml").write_text("fromfile: yes-web\n")
    spec = (
        "helm:\n  valueFiles: [values-$ARGOCD_APP_NAME.yaml]\n"
        "  values: 'raw: $ARGOCD_APP_NAME'\n  parameters:\n"
        "  - {name: p, value: '${ARGOCD_APP_NAME}-${ARGOCD_APP_NAMESPACE}'}\n"
    )
    values = _values_of(
        render(make_app("c", spec, name="web", dest_namespace="prod"), repo_root=tmp_path)
    )
    assert values["fromfile"] == "yes-web"
    assert values["p"] == "web-prod"
    assert values["raw"] == "$ARGOCD_APP_NAME"


def test_ref_value_files_from_another_source(make_app, tmp_path):
    """$ref/path value files come from the referenced source's repository root."""
    charts = tmp_path / "charts-repo"
    values_repo = tmp_path / "values-repo"
    _chart(charts, "c", {"templates/cm.yaml": CM_TEMPLATE})
    (values_repo / "env").mkdir(parents=True)
    (values_repo / "env" / "prod.yaml").write_text("env: prod\n")
    from gitopslib.sources import Resolver

    resolver = Resolver(
        {"https://example.com/charts.git": charts, "https://example.com/values.git": values_repo}
    )
    sources = (
        "- repoURL: https://example.com/charts.git\n  path: c\n"
        "  helm:\n    valueFiles: [$values/env/prod.yaml]\n"
        "- repoURL: https://example.com/values.git\n  ref: values\n"
    )
    result = render(make_app(sources=sources), resolver=resolver)
    assert _values_of(result)["env"] == "prod"
    assert result.source_types == ("Helm", None)


def test_ref_value_file_cannot_escape_its_repo(make_app, tmp_path):
    """A $ref value file climbing out of the referenced repository is refused."""
    charts = tmp_path / "charts-repo"
    _chart(charts, "c", {"templates/cm.yaml": CM_TEMPLATE})
    (tmp_path / "values-repo").mkdir()
    (tmp_path / "x.yaml").write_text("a: 1\n")
    from gitopslib.sources import Resolver

    resolver = Resolver(
        {
            "https://example.com/charts.git": charts,
            "https://example.com/values.git": tmp_path / "values-repo",
        }
    )
    sources = (
        "- repoURL: https://example.com/charts.git\n  path: c\n"
        "  helm:\n    valueFiles: [$values/../x.yaml]\n"
        "- repoURL: https://example.com/values.git\n  ref: values\n"
    )
    with pytest.raises(PathEscapeError):
        render(make_app(sources=sources), resolver=resolver)


def test_missing_engine_names_the_extra(make_app, tmp_path, monkeypatch):
    """Without helm on PATH and without helm-python-sdk, the error says which extra to
    install (a missing engine cannot be produced by the real one, so it is simulated)."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE})
    monkeypatch.setitem(sys.modules, "helm_python", None)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineNotFoundError, match=r"pip install gitopslib\[helm\]"):
        render(make_app("c"), repo_root=tmp_path)


def test_binary_arguments_follow_argocd_order(tmp_path):
    """The helm binary gets Argo CD's argument order (argocd-semantics 9.2, by hand)."""
    inputs = HelmInputs(
        chart_dir=tmp_path,
        release_name="rel",
        namespace="ns",
        value_files=[tmp_path / "a.yaml"],
        values_yaml="x: 1",
        set_values={"a": "1"},
        set_strings={"b": "2"},
        set_files={"c": tmp_path / "c.txt"},
        kube_version="1.29",
        api_versions=["v1/Pod"],
        include_crds=True,
        skip_tests=True,
        skip_schema_validation=True,
    )
    args = HelmRenderer(engine="python").template_args(inputs, tmp_path / "v.yaml")
    assert args == [
        "template",
        ".",
        "--name-template",
        "rel",
        "--namespace",
        "ns",
        "--kube-version",
        "1.29",
        "--set",
        "a=1",
        "--set-string",
        "b=2",
        "--set-file",
        f"c={tmp_path}/c.txt",
        "--values",
        f"{tmp_path}/a.yaml",
        "--values",
        f"{tmp_path}/v.yaml",
        "--api-versions",
        "v1/Pod",
        "--include-crds",
        "--skip-schema-validation",
        "--skip-tests",
    ]


@pytest.mark.skipif(shutil.which("helm") is None, reason="no helm binary on PATH")
def test_binary_engine_matches_python_engine(make_app, example_apps):
    """With a helm binary present, both engines render helm-guestbook the same."""
    app = make_app("helm-guestbook")
    binary = HelmRenderer(engine="binary")
    python = HelmRenderer(engine="python")
    from gitopslib.sources import RendererRegistry

    reg_b, reg_p = RendererRegistry(), RendererRegistry()
    reg_b.register(binary)
    reg_p.register(python)
    assert (
        render(app, repo_root=example_apps, registry=reg_b).manifests
        == render(app, repo_root=example_apps, registry=reg_p).manifests
    )


def test_schema_validation_and_skip(make_app, tmp_path):
    """values.schema.json is enforced; skipSchemaValidation renders anyway."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE}, values="port: 80\n")
    (tmp_path / "c" / "values.schema.json").write_text(
        '{"type": "object", "properties": {"port": {"type": "integer"}}}'
    )
    spec = "helm:\n  parameters: [{name: port, value: http, forceString: true}]\n"
    with pytest.raises(RenderError, match="port"):
        render(make_app("c", spec), repo_root=tmp_path)
    skipped = render(make_app("c", spec + "  skipSchemaValidation: true\n"), repo_root=tmp_path)
    assert _values_of(skipped)["port"] == "http"


def test_unknown_ref_is_an_error_but_build_vars_are_paths(make_app, tmp_path):
    """$name/... with no such ref fails clearly; $ARGOCD_APP_NAME/... is a plain path."""
    _chart(tmp_path, "c", {"templates/cm.yaml": CM_TEMPLATE})
    (tmp_path / "c" / "web").mkdir()
    (tmp_path / "c" / "web" / "v.yaml").write_text("dir: web\n")
    with pytest.raises(RenderError, match="no source of the application has `ref: values`"):
        render(make_app("c", "helm:\n  valueFiles: [$values/v.yaml]\n"), repo_root=tmp_path)
    spec = "helm:\n  valueFiles: ['${ARGOCD_APP_NAME}/v.yaml']\n"
    assert _values_of(render(make_app("c", spec, name="web"), repo_root=tmp_path))["dir"] == "web"


def test_rendered_document_without_kind_is_an_error(make_app, tmp_path):
    """Argo CD reads helm's output into Unstructured objects, which refuse a document with
    no kind ("Object 'Kind' is missing"); Helm itself prints it."""
    tpl = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nfoo: bar\n"
    chart = _chart(tmp_path, "c", {"templates/cm.yaml": tpl})
    with helm_python.Chart.load(str(chart)) as loaded:
        printed = loaded.render(values={}, name="demo", namespace="demo-ns")
    assert "foo: bar" in "".join(printed.values())  # the engine emits the kind-less document
    with pytest.raises(ManifestError, match="Kind' is missing"):
        render(make_app("c"), repo_root=tmp_path)
