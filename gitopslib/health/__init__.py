"""health (work in progress)."""
