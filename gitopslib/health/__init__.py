"""Health: Argo CD's built-in checks, its Lua custom checks in-process, and app aggregation.

Pure functions of live objects (plain dicts): no cluster access. Start with
:func:`assess_health` for one object and :func:`aggregate_health` for an application.

>>> from gitopslib.health import assess_health
>>> assess_health({"apiVersion": "v1", "kind": "Service", "spec": {"type": "ClusterIP"}}).status
<HealthStatusCode.HEALTHY: 'Healthy'>
"""

from __future__ import annotations

from gitopslib.health._assess import assess_health
from gitopslib.health._registry import HealthScript, HealthScripts, bundled_scripts, script_key
from gitopslib.health._types import HealthStatus, HealthStatusCode, is_worse
from gitopslib.health.aggregate import aggregate_health
from gitopslib.health.builtin import BUILTIN_CHECKS, builtin_health
from gitopslib.health.health_tests import HealthTestCase, HealthTestReport, run_health_tests
from gitopslib.health.kstatus import kstatus_health
from gitopslib.health.lua import LuaRuntime

__all__ = [
    "BUILTIN_CHECKS",
    "HealthScript",
    "HealthScripts",
    "HealthStatus",
    "HealthStatusCode",
    "HealthTestCase",
    "HealthTestReport",
    "LuaRuntime",
    "aggregate_health",
    "assess_health",
    "builtin_health",
    "bundled_scripts",
    "is_worse",
    "kstatus_health",
    "run_health_tests",
    "script_key",
]
