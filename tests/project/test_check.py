"""AppProject.check: each Violation names the rule, the refused value and the app field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gitopslib.models import Application
from gitopslib.project import AppProject, Violation

MakeP = Callable[..., AppProject]
MakeA = Callable[..., Application]
K = "https://kubernetes.default.svc"


def _open_project(make_project: MakeP) -> AppProject:
    return make_project(
        sourceRepos=["https://github.com/argoproj/*"],
        destinations=[{"server": K, "namespace": "team-*"}],
    )


def test_permitted_app_has_no_violations(make_project: MakeP, make_app: MakeA) -> None:
    """An app inside every rule gets an empty list."""
    assert _open_project(make_project).check(make_app(dest_namespace="team-a")) == []


def test_refused_single_source_names_spec_source(make_project: MakeP, make_app: MakeA) -> None:
    """A refused `source` is reported at spec.source.repoURL with the URL as value."""
    app = make_app(repo="https://gitlab.com/x/y", dest_namespace="team-a")
    assert _open_project(make_project).check(app) == [
        Violation(
            "sourceRepos",
            "https://gitlab.com/x/y",
            "spec.source.repoURL",
            "application repo https://gitlab.com/x/y is not permitted in project 'demo'",
        )
    ]


def test_refused_second_source_names_its_index(make_project: MakeP, make_app: MakeA) -> None:
    """With `sources`, the refused entry is named by index."""
    app = make_app(
        sources=["https://github.com/argoproj/a", "https://gitlab.com/x/y"],
        dest_namespace="team-a",
    )
    violations = _open_project(make_project).check(app)
    assert [(v.rule, v.field, v.value) for v in violations] == [
        ("sourceRepos", "spec.sources[1].repoURL", "https://gitlab.com/x/y")
    ]


def test_refused_destination(make_project: MakeP, make_app: MakeA) -> None:
    """A destination outside the list is reported at spec.destination."""
    violations = _open_project(make_project).check(make_app(dest_namespace="kube-system"))
    assert [(v.rule, v.field) for v in violations] == [("destinations", "spec.destination")]
    assert "kube-system" in violations[0].value
    assert "kube-system" in violations[0].message


def test_destination_by_name_resolves_in_cluster(make_project: MakeP, make_app: MakeA) -> None:
    """`name: in-cluster` is checked against server patterns through the known clusters."""
    app = make_app(server=None, cluster_name="in-cluster", dest_namespace="team-a")
    assert _open_project(make_project).check(app) == []


def test_destination_by_unknown_name_uses_given_clusters(
    make_project: MakeP, make_app: MakeA
) -> None:
    """Callers pass their cluster table so names resolve to servers."""
    proj = make_project(
        sourceRepos=["*"], destinations=[{"server": "https://prod.example", "namespace": "*"}]
    )
    app = make_app(server=None, cluster_name="prod", dest_namespace="x")
    assert [v.rule for v in proj.check(app)] == ["destinations"]
    assert proj.check(app, clusters={"prod": "https://prod.example"}) == []


def test_app_outside_source_namespaces(make_project: MakeP, make_app: MakeA) -> None:
    """An app in a namespace the project does not list is refused at metadata.namespace."""
    app = make_app(namespace="team-a", dest_namespace="team-a")
    violations = _open_project(make_project).check(app)
    assert [(v.rule, v.field, v.value) for v in violations] == [
        ("sourceNamespaces", "metadata.namespace", "team-a")
    ]
    proj = make_project(
        sourceRepos=["*"],
        destinations=[{"server": "*", "namespace": "*"}],
        sourceNamespaces=["team-*"],
    )
    assert proj.check(app) == []


def test_wrong_project_name(make_project: MakeP, make_app: MakeA) -> None:
    """An app that names another project is refused at spec.project."""
    app = make_app(project="other", dest_namespace="team-a")
    assert [v.rule for v in _open_project(make_project).check(app)] == ["project"]


def test_empty_project_field_means_default(make_app: MakeA) -> None:
    """`project: ""` is the default project, which permits anything."""
    app = make_app(project="", repo="https://anything.example/r", dest_namespace="")
    assert AppProject.default().check(app) == []


def test_permit_only_project_scoped_clusters(make_project: MakeP, make_app: MakeA) -> None:
    """With permitOnlyProjectScopedClusters the cluster must be one of the project's."""
    proj = make_project(
        sourceRepos=["*"],
        destinations=[{"server": "*", "namespace": "*"}],
        permitOnlyProjectScopedClusters=True,
    )
    app = make_app()
    assert [v.rule for v in proj.check(app)] == ["permitOnlyProjectScopedClusters"]
    assert proj.check(app, project_clusters=[K]) == []
    assert proj.check(app, project_clusters=["in-cluster"]) == []


def test_seed_project_admits_the_seed_apps(corpus_dir: Path) -> None:
    """The seed demo project admits both devops-demo apps (same repo, allowed server)."""
    proj = AppProject.from_yaml(corpus_dir / "seed" / "appproject-demo.yaml")
    for name in ("application-devops-demo-helm.yaml", "application-devops-demo-sops.yaml"):
        app = Application.from_yaml(corpus_dir / "seed" / name)
        assert proj.check(app) == [], name


def test_seed_project_refuses_guestbook(corpus_dir: Path) -> None:
    """The seed guestbook app uses project default and a repo demo does not list."""
    proj = AppProject.from_yaml(corpus_dir / "seed" / "appproject-demo.yaml")
    app = Application.from_yaml(corpus_dir / "seed" / "application-guestbook.yaml")
    assert [(v.rule, v.field) for v in proj.check(app)] == [
        ("project", "spec.project"),
        ("sourceRepos", "spec.source.repoURL"),
    ]
    assert AppProject.default().check(app) == []


def test_seed_project_keeps_resource_defaults(corpus_dir: Path) -> None:
    """The seed project has no resource lists: namespaced all, cluster-scoped none."""
    proj = AppProject.from_yaml(corpus_dir / "seed" / "appproject-demo.yaml")
    assert proj.is_resource_permitted("apps", "Deployment", namespaced=True)
    assert not proj.is_resource_permitted("", "Namespace", namespaced=False)
