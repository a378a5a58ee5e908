"""The task's HIT settings, as ParlAI's task_config.py dict."""
from typing import Any

task_config: dict[str, Any] = {}

task_config['frontend_version'] = 1

"""A short and descriptive title about the kind of task the HIT contains."""
task_config['hit_title'] = 'Ask and answer a question about a paragraph'

"""A description includes detailed information about the kind of task the HIT contains."""
task_config['hit_description'] = 'Read a short paragraph, then ask a question about it and answer it.'

"""One or more words or phrases that describe the HIT, separated by commas."""
task_config['hit_keywords'] = 'question,answer,reading'

"""A detailed task description that will be shown on the HIT task preview page and on
the left side of the chat page."""
task_config['task_description'] = '''
In this task, you will first answer a short welcome question. Then you will read a
paragraph, ask a question whose answer is in the paragraph, and answer it yourself.
'''
