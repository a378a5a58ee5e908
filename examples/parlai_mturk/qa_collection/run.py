#!/usr/bin/env python3
"""Run the QA collection task: `python examples/parlai_mturk/qa_collection/run.py -nc 1`
(the local provider by default: it prints a worker link to open)."""
import os
import sys

# Parley is not installed as a package: make its checkout importable (a ported task that
# lives elsewhere puts the checkout on PYTHONPATH instead).
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..')))

from examples.parlai_mturk.qa_collection.task_config import task_config  # noqa: E402
from examples.parlai_mturk.qa_collection.worlds import (  # noqa: E402
    PARAGRAPHS,
    QACollectionOnboardWorld,
    QACollectionWorld,
)
from parlai_compat.core.params import ParlaiParser  # noqa: E402
from parlai_compat.mturk.core.mturk_manager import MTurkManager  # noqa: E402


def main():
    """Set up and run the task with an MTurkManager, as ParlAI's qa_data_collection did."""
    argparser = ParlaiParser(False, False)
    argparser.add_parlai_data_path()
    argparser.add_mturk_args()
    opt = argparser.parse_args()

    # The task's name is its folder's
    opt['task'] = os.path.basename(os.path.dirname(os.path.abspath(__file__)))
    opt.update(task_config)

    mturk_agent_id = 'Worker'
    mturk_manager = MTurkManager(opt=opt, mturk_agent_ids=[mturk_agent_id], use_db=True)
    mturk_manager.setup_server()

    def run_onboard(worker):
        world = QACollectionOnboardWorld(opt=opt, mturk_agent=worker)
        while not world.episode_done():
            world.parley()
        world.shutdown()
        return world.prep_save_data([worker])

    mturk_manager.set_onboard_function(onboard_function=run_onboard)

    try:
        mturk_manager.start_new_run()
        mturk_manager.ready_to_accept_workers()
        mturk_manager.create_hits()

        def check_workers_eligibility(workers):
            return workers

        eligibility_function = {'func': check_workers_eligibility, 'multiple': True}

        def assign_worker_roles(workers):
            workers[0].id = mturk_agent_id

        global run_conversation

        def run_conversation(mturk_manager, opt, workers):
            paragraph = PARAGRAPHS[hash(workers[0].assignment_id) % len(PARAGRAPHS)]
            world = QACollectionWorld(opt=opt, mturk_agent=workers[0], paragraph=paragraph)
            while not world.episode_done():
                world.parley()
            world.shutdown()
            world.review_work()
            return world.prep_save_data(workers)

        mturk_manager.start_task(
            eligibility_function=eligibility_function,
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
