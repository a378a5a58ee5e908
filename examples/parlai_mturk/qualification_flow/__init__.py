"""ParlAI's qualification_flow_example, written in the guide's style for parlai_compat."""
