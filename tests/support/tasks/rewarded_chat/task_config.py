task_config = {
    "hit_title": "Rewarded chat (test task)",
    "task_description": "<p>Chat with your partner. Say <b>bye</b> to end; a bonus follows.</p>",
    "agent_ids": ["Alice", "Bob"],
}
