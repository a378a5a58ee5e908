"""ParlAI-MTurk's task API on top of Parley: a ParlAI task folder (worlds.py, run.py,
task_config.py) runs here once `parlai.` is replaced by `parlai_compat.` in its imports.
The module paths mirror ParlAI's; see tasks/README.md, "Porting a ParlAI-MTurk task"."""
