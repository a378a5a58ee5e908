"""Rate short dialogs: a form task (no worlds.py; the runner's built-in form world serves it).
Each assignment holds two dialogs, one of them a gold dialog whose answer is known, and each
ordinary dialog is rated by two different workers."""

task_config = {
    "kind": "form",
    "hit_title": "Rate two short dialogs",
    "hit_description": "Read two short dialogs between a user and an assistant and rate each one.",
    "hit_keywords": "dialog,rating,annotation",
    "task_description": """
<h2>Rate two short dialogs</h2>
<p>Each dialog is a few turns between a <b>user</b> and an <b>assistant</b>. For each dialog:</p>
<ol>
  <li>Label every turn: is it <i>good</i>, <i>okay</i> or <i>bad</i>?</li>
  <li>Say how good the assistant was overall, whether it stayed on topic, and what went wrong.</li>
  <li>Sum the dialog up in one line.</li>
</ol>
<p>Press <b>Submit</b> under each dialog. Once both are submitted, press <b>Done</b>.</p>
""",
    "fields": [
        {"name": "turns", "type": "turn_labels", "label": "Label each turn",
         "options": [{"value": "good", "label": "Good"}, {"value": "okay", "label": "Okay"},
                     {"value": "bad", "label": "Bad"}]},
        {"name": "overall", "type": "likert", "label": "How good was the assistant overall?", "scale": 5,
         "labels": ["Very poor", "Poor", "Fair", "Good", "Very good"]},
        {"name": "on_topic", "type": "single_choice", "label": "Did the assistant answer what the user asked?",
         "options": [{"value": "yes", "label": "Yes"}, {"value": "partly", "label": "Partly"},
                     {"value": "no", "label": "No"}]},
        {"name": "problems", "type": "multiple_choice", "label": "What went wrong? (choose up to 3)",
         "required": False, "max_choices": 3,
         "options": [{"value": "wrong", "label": "Wrong facts"}, {"value": "rude", "label": "Rude"},
                     {"value": "repetitive", "label": "Repetitive"},
                     {"value": "off_topic", "label": "Off topic"}, {"value": "unclear", "label": "Unclear"}]},
        {"name": "engaging", "type": "slider", "label": "How engaging was it? (0: not at all, 10: very)",
         "min": 0, "max": 10, "step": 1},
        {"name": "summary", "type": "text", "label": "Sum the dialog up in one line",
         "min_length": 10, "max_length": 200},
        {"name": "comments", "type": "long_text", "label": "Anything else?", "required": False,
         "max_length": 1000, "help": "Optional: anything a reviewer should know."},
    ],
    "items": "items.jsonl",
    "items_per_assignment": 2,
    "annotations_per_item": 2,
    "gold_rate": 0.5,
}
