"""ParlAI's core modules a task folder imports: params and worlds."""
