"""Pairwise dialog evaluation (ACUTE-Eval style): a form task. Each item is two
conversations, one with each of two bots, shown side by side; the worker says which speaker
they would rather talk to for a long conversation, and why. Which conversation is shown on
the left is drawn per worker and stored with the answer; the run page tabulates each model's
win rate with a binomial test."""

task_config = {
    "kind": "form",
    "hit_title": "Compare two chatbots' conversations",
    "hit_description": "Read two short conversations side by side and say which chatbot you would rather talk to.",
    "hit_keywords": "dialog,evaluation,comparison,chatbot",
    "task_description": """
<h2>Which chatbot would you rather talk to?</h2>
<p>Each page shows two conversations side by side. In each, a person chats with a chatbot
(<b>Bot</b>). Read both, then choose the chatbot you would rather talk to for a long
conversation, and say why in a sentence or two.</p>
<p>There is no right answer: we want your honest preference. Press <b>Submit</b> under each
pair; when every pair is submitted, press <b>Done</b>.</p>
""",
    "fields": [
        {"name": "winner", "type": "single_choice",
         "label": "Who would you rather talk to for a long conversation?",
         "options": [{"value": "a", "label": "The Bot of conversation A"},
                     {"value": "b", "label": "The Bot of conversation B"}]},
        {"name": "reason", "type": "long_text", "label": "Why? (a sentence or two)",
         "min_length": 15, "max_length": 1000},
    ],
    "items": "pairs.jsonl",
    "template": "pair.html",
    "comparison": {"field": "winner", "sides": ["a", "b"]},
    "items_per_assignment": 2,
    "annotations_per_item": 2,
}
