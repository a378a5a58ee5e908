"""What workers see of the model evaluation task before and while they do it, and its own
flags: `--model-url` and `--model-name` (defaults from PARLEY_MODEL_URL and PARLEY_MODEL_NAME)
name the OpenAI-compatible model the "Model" agent asks; without them it is the built-in
keyword responder."""
import os


def check_options(values: dict) -> str | None:
    """A model is named by its server and its name together: with one alone the built-in
    responder would pass for the model asked for."""
    if bool(values["model_url"]) != bool(values["model_name"]):
        missing = "--model-name (or PARLEY_MODEL_NAME)" if values["model_url"] else "--model-url (or PARLEY_MODEL_URL)"
        return f"a model needs both --model-url and --model-name: give {missing} too"
    return None


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
    "task_options": {
        "model_url": {
            "default": os.environ.get("PARLEY_MODEL_URL") or None,
            "help": "base URL of an OpenAI-compatible server the Model asks, e.g. http://localhost:8000/v1 "
                    "(default $PARLEY_MODEL_URL; with neither URL nor name: the built-in keyword responder; "
                    "the key, if the server needs one, comes from $PARLEY_MODEL_API_KEY)",
        },
        "model_name": {
            "default": os.environ.get("PARLEY_MODEL_NAME") or None,
            "help": "the model's name on that server (default $PARLEY_MODEL_NAME)",
        },
        "system_prompt": {"default": None, "help": "a system message the model gets before the prompt"},
    },
    "check_options": check_options,
}
