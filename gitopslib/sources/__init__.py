"""sources (work in progress)."""
