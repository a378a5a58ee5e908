"""What workers see of the QA data collection task before and while they do it."""

task_config = {
    "hit_title": "Ask and answer a question about a short paragraph",
    "hit_description": "Read a paragraph, write a question about it, then answer your question.",
    "hit_keywords": "reading,question,answer,writing",
    "task_description": """
<h2>Ask and answer a question about a paragraph</h2>
<p>You will be given a short paragraph to read; it is shown with these instructions.</p>
<ol>
  <li>Write <b>one question</b> that the paragraph answers. Use your own words: do not copy a
      sentence and turn it into a question.</li>
  <li>Then <b>answer your question</b>, as briefly as you can, using the paragraph.</li>
</ol>
<p>Good question: <i>Why do most reefs grow in shallow water?</i> Poor question:
<i>What is this paragraph about?</i></p>
""",
    "agent_ids": ["Worker"],
    # The paragraphs: a file in SQuAD's JSON format (v1.1 or v2.0), relative to this folder.
    "squad_path": "squad_sample.json",
    "task_options": {
        "squad_path": {
            "help": "a SQuAD v1.1 or v2.0 JSON file to take the paragraphs from (e.g. dev-v2.0.json), "
                    "instead of the task config's squad_path",
            "default": None,
        },
    },
}
