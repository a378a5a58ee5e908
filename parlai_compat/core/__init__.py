"""ParlAI's core modules a task folder imports: params, worlds and agents."""
