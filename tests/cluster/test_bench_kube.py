"""The Kubernetes adapter benchmark still runs (tiny sizes), so it cannot rot."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_kube_quick_runs() -> None:
    """benchmarks/bench_kube.py --quick exits 0 and reports one request per new object (two
    with a server dry run)."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_kube.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("KubernetesCluster")]
    assert len(lines) == 3
    per_object = [re.search(r"([\d.]+) requests/object  \(goal", line) for line in lines]
    assert [m.group(1) if m else line for m, line in zip(per_object, lines, strict=True)] == [
        "1.00",
        "1.00",
        "2.00",
    ]
