"""The task's HIT settings, as ParlAI's task_config.py dict."""
from typing import Any

task_config: dict[str, Any] = {}

task_config['frontend_version'] = 1

"""A short and descriptive title about the kind of task the HIT contains."""
task_config['hit_title'] = 'Label the tone of short sentences'

"""A description includes detailed information about the kind of task the HIT contains."""
task_config['hit_description'] = (
    'Pass a three-sentence test, then say whether each of a few sentences is positive or negative.'
)

"""One or more words or phrases that describe the HIT, separated by commas."""
task_config['hit_keywords'] = 'sentiment,labelling,qualification'

"""A detailed task description that will be shown on the HIT task preview page and on
the left side of the chat page."""
task_config['task_description'] = '''
In this task you say whether sentences sound <b>positive</b> or <b>negative</b>.<br><br>
The first time you take it, you first label three test sentences. If you label all three
as we did, you go on to the real sentences. If not, the task ends there, and you will not
be able to take it again.
'''
