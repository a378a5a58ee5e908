"""The task's HIT settings, as ParlAI's task_config.py dict."""
from typing import Any

task_config: dict[str, Any] = {}

task_config['frontend_version'] = 1

"""A short and descriptive title about the kind of task the HIT contains."""
task_config['hit_title'] = 'Chat in a small group with another worker and a bot'

"""A description includes detailed information about the kind of task the HIT contains."""
task_config['hit_description'] = 'Take turns with another worker and a bot to plan a weekend trip together.'

"""One or more words or phrases that describe the HIT, separated by commas."""
task_config['hit_keywords'] = 'chat,dialog,group'

"""A detailed task description that will be shown on the HIT task preview page and on
the left side of the chat page."""
task_config['task_description'] = '''
In this task you chat with other workers and a bot, one message each in turn, to plan a
weekend trip. When the plan is settled, end your message with [DONE].
'''
