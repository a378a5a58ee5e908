"""What workers see of the model evaluation task before and while they do it."""

task_config = {
    "hit_title": "Rate a chatbot's reply",
    "hit_description": "Read a question and a chatbot's reply to it, then rate the reply from 0 to 10.",
    "hit_keywords": "chatbot,rating,evaluation,dialog",
    "task_description": """
<h2>Rate a chatbot's reply</h2>
<p>A chatbot (shown as <b>Model</b>) has been asked a question. Read the question and the
reply, then send <b>one whole number from 0 to 10</b>:</p>
<ul>
  <li><b>0</b>: the reply is useless or unrelated to the question;</li>
  <li><b>5</b>: the reply is related but only partly helpful;</li>
  <li><b>10</b>: the reply is exactly what a helpful person would say.</li>
</ul>
""",
    "agent_ids": ["Worker"],
}
