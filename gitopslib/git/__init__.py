"""git (work in progress)."""
