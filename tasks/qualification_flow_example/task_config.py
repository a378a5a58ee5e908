"""What workers see of the qualification flow example before and while they do it."""

task_config = {
    "hit_title": "Add pairs of numbers",
    "hit_description": "Answer three short addition problems.",
    "hit_keywords": "math,addition,numbers,quick",
    "task_description": """
<h2>Add pairs of numbers</h2>
<p>You will be shown three addition problems, one at a time. Answer each with a number,
for example <code>42</code>.</p>
<p>Your first HIT of this task is a short test. If every answer is right you can take more
HITs of this task; if not, you will not be able to take it again.</p>
""",
    "agent_ids": ["Worker"],
}
