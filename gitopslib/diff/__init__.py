"""diff (work in progress)."""
