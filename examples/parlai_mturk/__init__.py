"""ParlAI-MTurk task folders ported to Parley by changing their imports (parlai_compat)."""
