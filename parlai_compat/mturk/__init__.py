"""ParlAI's mturk package."""
