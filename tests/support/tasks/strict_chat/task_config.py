task_config = {
    "hit_title": "Strict chat (test task)",
    "task_description": "<p>Chat with your partner in your own words. Say <b>bye</b> to end.</p>",
    "agent_ids": ["Alice", "Bob"],
}
