"""Developer tools behind make targets (make audit)."""
