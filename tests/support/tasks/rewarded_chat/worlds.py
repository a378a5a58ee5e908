"""pair_chat whose world acts on its workers through the task context: when someone says
'bye' it tells each worker about their bonus and asks for it (held until their task ends),
and `review_work` approves each of them. It keeps which keys its opt had."""
from runner.worlds import MultiAgentDialogWorld

BONUS, BONUS_REASON = "0.30", "for a friendly chat"


class TaskWorld(MultiAgentDialogWorld):
    def __init__(self, opt, agents):
        super().__init__(opt, agents)
        self.opt_keys = sorted(opt)
        self.held = []

    def ends_episode(self, act):
        return act.get("text", "").strip().lower() == "bye"

    def end_episode(self, outcome, speaker):
        super().end_episode(outcome, speaker)
        if outcome == "done":
            for agent in self.agents:
                agent.send_message(f"You will get a ${BONUS} bonus.")
                self.held.append(agent.pay_bonus(BONUS, BONUS_REASON))

    def review_work(self):
        for agent in self.agents:
            agent.approve_work("Thank you")

    def get_custom_task_data(self):
        return {"opt_keys": self.opt_keys, "held": [result is None for result in self.held]}
