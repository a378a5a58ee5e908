task_config = {
    "hit_title": "Pair chat (test task)",
    "task_description": "<p>Chat with your partner. Say <b>bye</b> to end.</p>",
    "agent_ids": ["Alice", "Bob"],
}
