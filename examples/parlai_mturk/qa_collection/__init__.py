"""ParlAI's qa_data_collection, written in the guide's style for parlai_compat."""
