"""When may the checkout app sync? Prints the project's decision at a few moments.

Run from the repository root: python examples/07-project-with-windows/windows.py
"""

from datetime import UTC, datetime
from pathlib import Path

from gitopslib.models import Application
from gitopslib.project import AppProject

HERE = Path(__file__).parent
project = AppProject.from_yaml(HERE / "project.yaml")
app = Application.from_yaml(HERE / "apps" / "checkout.yaml")

MOMENTS = {
    "Wednesday 10:00 UTC": datetime(2026, 3, 4, 10, 0, tzinfo=UTC),
    "Wednesday 23:30 UTC": datetime(2026, 3, 4, 23, 30, tzinfo=UTC),
    "Friday 15:00 UTC": datetime(2026, 3, 6, 15, 0, tzinfo=UTC),
}

for label, now in MOMENTS.items():
    auto = project.sync_decision(app, now)
    manual = project.can_sync(app, now, manual=True)
    state = "allowed" if auto.allowed else "blocked"
    print(f"{label}: automated sync {state}; manual sync {'allowed' if manual else 'blocked'}")
    if not auto.allowed:
        print(f"    {auto.reason}")
        print(f"    next change: {project.sync_windows.matching(app).next_change(now)}")
