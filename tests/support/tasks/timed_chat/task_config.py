task_config = {
    "hit_title": "Timed chat (test task)",
    "task_description": "<p>Answer within two seconds.</p>",
    "agent_ids": ["Alice", "Bob"],
}
