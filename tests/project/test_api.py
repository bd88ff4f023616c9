"""The gitopslib.project package surface."""

from __future__ import annotations

import gitopslib.models
import gitopslib.project as project


def test_all_is_sorted_and_resolves() -> None:
    """`__all__` is sorted and every name in it exists."""
    assert list(project.__all__) == sorted(project.__all__)
    assert [n for n in project.__all__ if not hasattr(project, n)] == []


def test_appproject_is_the_data_model_subclass() -> None:
    """The behavioural AppProject subclasses the data model and from_yaml builds it."""
    assert issubclass(project.AppProject, gitopslib.models.AppProject)
    proj = project.AppProject.from_yaml(
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: p}\nspec: {}\n"
    )
    assert type(proj) is project.AppProject
