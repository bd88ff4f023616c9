"""cluster (work in progress)."""
