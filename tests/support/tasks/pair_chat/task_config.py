task_config = {
    "hit_title": "Pair chat (test task)",
    "task_description": "<p>Chat with your partner. Say <b>bye</b> to end.</p>",
    "agent_ids": ["Alice", "Bob"],
    # The transport's test task: its tests send as fast and as often as they like, in and out
    # of turn (floods, resends, streams into a runner about to be killed). Turn taking is
    # tested with the example tasks.
    "free_chat": True,
}
