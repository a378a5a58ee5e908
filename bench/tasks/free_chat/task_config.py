task_config = {
    "hit_title": "Free chat (flood benchmark)",
    "task_description": "<p>Two simulated workers send when they like; the run is stopped, not ended.</p>",
    "agent_ids": ["A", "B"],
    # Out of turn too: the flood benchmark's workers send one message after another, and the
    # flooder as fast as its socket takes them.
    "free_chat": True,
}
