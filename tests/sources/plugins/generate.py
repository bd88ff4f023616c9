"""Test plugin `generate`: prints what a plugin sees as a YAML stream (one YAML, one JSON doc).

The ConfigMap's data holds every ARGOCD_*, KUBE_* and PARAM_* variable, the working
directory's name, and the marker written by `init.sh` (if any).
"""

import json
import os
from pathlib import Path

seen = {k: v for k, v in os.environ.items() if k.startswith(("ARGOCD_", "KUBE_", "PARAM_"))}
seen["cwd"] = Path.cwd().name
marker = Path(".plugin-init-marker")
seen["init-marker"] = marker.read_text().strip() if marker.exists() else ""
print("apiVersion: v1")
print("kind: ConfigMap")
print("metadata:")
print("  name: plugin-env")
print("data:")
for key in sorted(seen):
    print(f"  {key}: {json.dumps(seen[key])}")
print("---")
print(json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "from-json"}}))
