task_config = {
    "hit_title": "Relay chat (load benchmark)",
    "task_description": "<p>Two simulated workers take turns; B ends the chat by saying <b>bye</b>.</p>",
    "agent_ids": ["A", "B"],
}
