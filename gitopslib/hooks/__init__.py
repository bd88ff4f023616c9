"""hooks (work in progress)."""
