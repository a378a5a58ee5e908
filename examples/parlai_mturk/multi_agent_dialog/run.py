#!/usr/bin/env python3
"""Run the multi-agent dialog task: `python examples/parlai_mturk/multi_agent_dialog/run.py
-nc 1` (the local provider by default: it prints a worker link for each worker to open).
`--num-workers` MTurk workers and a bot take turns round robin."""
import os
import sys

# Parley is not installed as a package: make its checkout importable (a ported task that
# lives elsewhere puts the checkout on PYTHONPATH instead).
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..')))

from examples.parlai_mturk.multi_agent_dialog.task_config import task_config  # noqa: E402
from examples.parlai_mturk.multi_agent_dialog.worlds import (  # noqa: E402
    MultiAgentDialogOnboardWorld,
    MultiAgentDialogWorld,
    TripPlannerBot,
)
from parlai_compat.core.params import ParlaiParser  # noqa: E402
from parlai_compat.mturk.core.mturk_manager import MTurkManager  # noqa: E402


def main():
    """Set up and run the task with an MTurkManager, as ParlAI's multi_agent_dialog did,
    with a scripted bot in place of its local human."""
    argparser = ParlaiParser(False, False)
    argparser.add_parlai_data_path()
    argparser.add_mturk_args()
    argparser.add_argument('--num-workers', type=int, default=2,
                           help='MTurk workers in each conversation (the bot joins them)')
    argparser.add_argument('--max-turns', type=int, default=5,
                           help='rounds after which a conversation ends without [DONE]')
    opt = argparser.parse_args()

    # The task's name is its folder's
    opt['task'] = os.path.basename(os.path.dirname(os.path.abspath(__file__)))
    opt.update(task_config)

    mturk_agent_ids = [f'Speaker {index + 1}' for index in range(opt['num_workers'])]
    mturk_manager = MTurkManager(opt=opt, mturk_agent_ids=mturk_agent_ids, use_db=True)
    mturk_manager.setup_server()

    def run_onboard(worker):
        world = MultiAgentDialogOnboardWorld(opt=opt, mturk_agent=worker)
        while not world.episode_done():
            world.parley()
        world.shutdown()
        return world.prep_save_data([worker])

    mturk_manager.set_onboard_function(onboard_function=run_onboard)

    try:
        mturk_manager.start_new_run()
        mturk_manager.ready_to_accept_workers()
        mturk_manager.create_hits()

        def check_worker_eligibility(worker):
            return True

        eligibility_function = {'func': check_worker_eligibility, 'multiple': False}

        def assign_worker_roles(workers):
            for index, worker in enumerate(workers):
                worker.id = mturk_agent_ids[index % len(mturk_agent_ids)]

        global run_conversation

        def run_conversation(mturk_manager, opt, workers):
            bot = TripPlannerBot()
            world = MultiAgentDialogWorld(opt=opt, mturk_agents=workers, bot=bot)
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
