"""ParlAI-MTurk's core: the manager, agents and worlds a task folder imports."""
