"""One YAML file per state under tests/data/health, named <kind>-<state>-<what>.yaml.

The expected status is the <state> part of the file name ("none" means no check applies);
an ``# expect-message:`` comment holds the expected message. Both were derived by hand from
Argo CD's documented rules (argocd-semantics.md §6 and gitops-engine's message strings),
not copied from our output.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitopslib.health import HealthStatusCode, assess_health
from gitopslib.manifest import load_manifests

HEALTH_DATA = Path(__file__).resolve().parents[1] / "data" / "health"
FILES = sorted(HEALTH_DATA.glob("*.yaml"))
STATES = {code.value.lower(): code for code in HealthStatusCode}


def _expectation(path: Path) -> tuple[HealthStatusCode | None, str | None, bool]:
    state = path.stem.split("-")[1]
    assert state in STATES or state == "none", f"{path.name}: unknown state {state!r}"
    message: str | None = None
    generic = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("# expect-message:"):
            message = line.removeprefix("# expect-message:").strip()
        if line.strip() == "# assess: generic=True":
            generic = True
    return STATES.get(state), message, generic


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_state_file(path: Path) -> None:
    """The object in the file has the status its name says (and the message its comment says)."""
    expected, message, generic = _expectation(path)
    [obj] = load_manifests(path)
    health = assess_health(obj, generic=generic)
    if expected is None:
        assert health is None
        return
    assert health is not None
    assert health.status is expected
    if message is not None:
        assert health.message == message


def test_state_files_cover_every_code() -> None:
    """The state files exercise every status code except Missing (which only aggregation uses)."""
    seen = {_expectation(p)[0] for p in FILES}
    assert seen >= set(HealthStatusCode) - {HealthStatusCode.MISSING}


def test_malformed_hpa_annotation_is_unknown_with_reason(health_data: Path) -> None:
    """A v1 HPA whose conditions annotation is not JSON is Unknown, saying why."""
    [obj] = load_manifests(health_data / "hpa-unknown-v1-malformed-annotation.yaml")
    health = assess_health(obj)
    assert health is not None
    assert health.message.startswith("failed to convert conditions annotation to typed: ")


def test_generation_guard_can_be_turned_off(health_data: Path) -> None:
    """With the guard off, a stale HPA is Healthy, exactly as Argo CD reports it."""
    [obj] = load_manifests(health_data / "hpa-progressing-v2-generation-not-observed.yaml")
    health = assess_health(obj, generation_guard=False)
    assert health is not None
    assert health.status is HealthStatusCode.HEALTHY


def test_generation_guard_leaves_user_scripts_alone(
    tmp_path: Path, health_data: Path, write_script: Callable[[Path, str, str], Path]
) -> None:
    """A user's Lua script is trusted as written, even when the generation is stale."""
    write_script(tmp_path, "autoscaling/HorizontalPodAutoscaler", 'return {status = "Healthy"}')
    [obj] = load_manifests(health_data / "hpa-progressing-v2-generation-not-observed.yaml")
    health = assess_health(obj, lua_dir=tmp_path)
    assert health is not None
    assert health.status is HealthStatusCode.HEALTHY


def test_generic_is_opt_in(health_data: Path) -> None:
    """Without generic=True a conventional custom resource still has no health (Argo CD)."""
    [obj] = load_manifests(health_data / "widget-healthy-generic-ready.yaml")
    assert assess_health(obj) is None
