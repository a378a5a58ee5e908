"""ParlAI's multi_agent_dialog, written in the guide's style for parlai_compat: MTurk
workers and a bot take turns round robin."""
