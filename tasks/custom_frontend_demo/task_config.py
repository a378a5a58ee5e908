"""What workers see of the custom frontend demo before and while they do it."""

task_config = {
    "hit_title": "Ask, answer with numbers, or judge a short chat",
    "hit_description": "Take one of three roles in a short chat: ask questions, answer them "
                       "with numbers, or judge the conversation.",
    "hit_keywords": "chat,questions,numbers,evaluation",
    "task_description": """
<h2>Questions and numeric answers</h2>
<p>Three people take part, each in one role (yours is shown at the top of the chat):</p>
<ul>
  <li><b>Asker</b>: ask three questions, one at a time. Any question is fine, but ones with
      a numeric answer work best (<i>How many legs does a spider have?</i>).</li>
  <li><b>Answerer</b>: answer each question with a <b>number only</b>.</li>
  <li><b>Evaluator</b>: follow the chat. At the end, press <b>Approve</b> if the Answerer
      answered sensibly, or <b>Reject</b> if not.</li>
</ul>
""",
    "agent_ids": ["Asker", "Answerer", "Evaluator"],
    # The page shows each worker their role at the top ("You are the Asker").
    "roles": {
        "Asker": {"label": "the Asker", "color": "#1f6feb"},
        "Answerer": {"label": "the Answerer", "color": "#1a7f37"},
        "Evaluator": {"label": "the Evaluator", "color": "#8250df"},
    },
}
