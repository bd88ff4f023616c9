"""models (work in progress)."""
