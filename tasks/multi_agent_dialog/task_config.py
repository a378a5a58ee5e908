"""What workers see of the multi-agent dialog task before and while they do it."""

task_config = {
    "hit_title": "Plan a picnic in a three-way chat",
    "hit_description": "Chat with another worker and a host, taking turns, to plan a picnic.",
    "hit_keywords": "chat,dialog,group,conversation",
    "task_description": """
<h2>Plan a picnic together</h2>
<p>You are in a group chat with another worker and our host, <b>LocalAgent</b>. Everyone
speaks in turn: LocalAgent, then Speaker1, then Speaker2, and again.</p>
<p>Answer what the others say and help make the plan. When LocalAgent ends the chat (with a
message that ends in <code>[DONE]</code>), send one final message to say goodbye.</p>
""",
    "agent_ids": ["Speaker1", "Speaker2"],
    "roles": {
        "Speaker1": {"label": "Speaker1", "color": "#1f6feb"},
        "Speaker2": {"label": "Speaker2", "color": "#b35900"},
        "LocalAgent": {"label": "LocalAgent (host)", "color": "#6e7781"},
    },
    "task_options": {
        "local_human": {
            "choices": ["link", "terminal"], "default": "link",
            "help": "how the person playing LocalAgent takes part: at a chat page whose link the runner "
                    "prints, or by typing at the runner's terminal",
        },
    },
}
