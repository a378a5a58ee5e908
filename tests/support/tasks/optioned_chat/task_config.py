task_config = {
    "hit_title": "Pair chat with its own flags (test task)",
    "task_description": "<p>Chat with your partner. Say <b>bye</b> to end.</p>",
    "agent_ids": ["Alice", "Bob"],
    "task_options": {
        "greeting": {"help": "the word each worker is greeted with", "default": "Hello"},
        "loud": {"type": "flag", "help": "greet in capitals"},
        "mood": {"choices": ["calm", "merry"], "default": "calm", "help": "how the greeting ends"},
    },
}
