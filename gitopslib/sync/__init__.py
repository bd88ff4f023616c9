"""sync (work in progress)."""
