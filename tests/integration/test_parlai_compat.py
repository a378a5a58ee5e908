"""The analysis script ParlAI's documentation gives for its alpha MTurkDataHandler runs
against a Parley store with one changed import."""
from tests.support.builders import accept, completed_conversation

PARLAI_SCRIPT = """
from datastore import MTurkDataHandler
db_logger = MTurkDataHandler()

all_runs = db_logger.get_all_run_data()

pairings = []
for run_id in all_runs:
    pairings = pairings + db_logger.get_pairings_for_run(run_id['run_id'])

def row_to_dict(row):
     return (dict(zip(row.keys(), row)))

pairings = [row_to_dict(p) for p in pairings]

for pairing in pairings:
    if pairing['conversation_id'] is not None:
        pairing['assign_data'] = db_logger.get_conversation_data(pairing['run_id'], pairing['conversation_id'], pairing['worker_id'], False)
    else:
        pairing['assign_data'] = None

for pairing in pairings:
    pairing['review_status'] = db_logger.get_assignment_data(pairing['assignment_id'])['status']

pairings = [p for p in pairings if p['assign_data'] is not None]
pairings = [p for p in pairings if p['assign_data'].get('data') is not None]

pairings_by_conv_run_id = {}
for p in pairings:
    key_id = '{}|{}'.format(p['conversation_id'], p['run_id'])
    if key_id not in pairings_by_conv_run_id:
        pairings_by_conv_run_id[key_id] = {'workers_info': []}
    pairings_by_conv_run_id[key_id]['workers_info'].append(p)

for key_id, p in pairings_by_conv_run_id.items():
    stuff = key_id.split('|')
    conv_id = stuff[0]
    run_id = stuff[1]
    p['conv_info'] = db_logger.get_full_conversation_data(run_id, conv_id, False)
"""


def test_parlai_analysis_script_runs_unchanged_against_a_store_filled_by_the_writers(handler, store_env):
    live = completed_conversation(handler, run_id=handler.log_new_run(2, "qa", provider="mturk"))
    completed_conversation(handler, run_id=live.run_id, conversation_id="t_2", workers=("W3", "W4"))
    handler.log_approve_assignment(live.assignments[0])
    completed_conversation(handler, run_id=handler.log_new_run(1, "qa", provider="mturk", is_sandbox=True),
                           workers=("W5", "W6"))
    accept(handler, live.run_id, "W7", "never-paired")  # a pairing with no conversation

    namespace: dict = {}
    exec(compile(PARLAI_SCRIPT, "parlai_analysis.py", "exec"), namespace)

    by_conversation = namespace["pairings_by_conv_run_id"]
    assert set(by_conversation) == {f"t_1|{live.run_id}", f"t_2|{live.run_id}"}  # sandbox left out
    first = by_conversation[f"t_1|{live.run_id}"]
    assert [w["worker_id"] for w in first["workers_info"]] == ["W1", "W2"]
    assert [w["review_status"] for w in first["workers_info"]] == ["approved", "completed"]
    assert first["workers_info"][0]["assign_data"]["data"]["agent_id"] == "Asker"
    assert len(first["conv_info"]["messages"]) == 5
    assert first["conv_info"]["custom_data"] == {"topic": "geography"}
