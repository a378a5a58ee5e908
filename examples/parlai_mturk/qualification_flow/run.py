#!/usr/bin/env python3
"""Run the qualification flow task: `python examples/parlai_mturk/qualification_flow/run.py -nc 2`
(the local provider by default: it prints a worker link to open). A worker who fails the
test is given the failing qualification, and the HITs require workers not to hold it."""
import os
import random
import sys

# Parley is not installed as a package: make its checkout importable (a ported task that
# lives elsewhere puts the checkout on PYTHONPATH instead).
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..')))

import parlai_compat.mturk.core.mturk_utils as mturk_utils  # noqa: E402
from examples.parlai_mturk.qualification_flow.task_config import task_config  # noqa: E402
from examples.parlai_mturk.qualification_flow.worlds import (  # noqa: E402
    SENTENCES,
    SENTENCES_PER_TASK,
    QualificationFlowOnboardWorld,
    QualificationFlowSoloWorld,
)
from parlai_compat.core.params import ParlaiParser  # noqa: E402
from parlai_compat.mturk.core.mturk_manager import MTurkManager  # noqa: E402

QUALIFICATION_NAME = 'parlai_qualification_flow_failed'
QUALIFICATION_DESCRIPTION = (
    'Given to a worker whose labels of the test sentences of the qualification flow task '
    'did not match the answer key; the task requires workers not to hold it.'
)


def main():
    """Set up and run the task with an MTurkManager, as ParlAI's qualification_flow_example did."""
    passed_workers = []
    failed_workers = []
    argparser = ParlaiParser(False, False)
    argparser.add_parlai_data_path()
    argparser.add_mturk_args()
    opt = argparser.parse_args()

    # The task's name is its folder's
    opt['task'] = os.path.basename(os.path.dirname(os.path.abspath(__file__)))
    opt.update(task_config)

    mturk_agent_id = 'Worker'
    mturk_manager = MTurkManager(opt=opt, mturk_agent_ids=[mturk_agent_id])
    mturk_manager.setup_server()
    qualification_id = mturk_utils.find_or_create_qualification(
        QUALIFICATION_NAME, QUALIFICATION_DESCRIPTION, opt['is_sandbox'])
    print('Failing qualification:', qualification_id)

    def run_onboard(worker):
        world = QualificationFlowOnboardWorld(opt=opt, mturk_agent=worker)
        while not world.episode_done():
            world.parley()
        world.shutdown()

    mturk_manager.set_onboard_function(onboard_function=run_onboard)

    try:
        mturk_manager.start_new_run()
        agent_qualifications = [{
            'QualificationTypeId': qualification_id,
            'Comparator': 'DoesNotExist',
            'RequiredToPreview': True,
        }]
        mturk_manager.create_hits(qualifications=agent_qualifications)
        mturk_manager.ready_to_accept_workers()

        def check_worker_eligibility(worker):
            return worker.worker_id not in failed_workers

        def assign_worker_roles(workers):
            workers[0].id = mturk_agent_id

        global run_conversation

        def run_conversation(mturk_manager, opt, workers):
            mturk_agent = workers[0]
            world = QualificationFlowSoloWorld(
                opt=opt,
                mturk_agent=mturk_agent,
                qualification_id=qualification_id,
                first_time=mturk_agent.worker_id not in passed_workers,
                sentences=random.sample(SENTENCES, SENTENCES_PER_TASK),
            )
            while not world.episode_done():
                world.parley()
            world.shutdown()
            world.review_work()
            if world.passed:
                passed_workers.append(mturk_agent.worker_id)
            elif world.passed is False:
                failed_workers.append(mturk_agent.worker_id)
            return world.prep_save_data(workers)

        mturk_manager.start_task(
            eligibility_function=check_worker_eligibility,
            assign_role_function=assign_worker_roles,
            task_function=run_conversation,
        )
    except BaseException:
        raise
    finally:
        mturk_manager.expire_all_unassigned_hits()
        mturk_manager.shutdown()


if __name__ == '__main__':
    main()
