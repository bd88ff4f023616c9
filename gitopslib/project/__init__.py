"""project (work in progress)."""
