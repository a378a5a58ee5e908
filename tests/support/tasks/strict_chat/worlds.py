"""pair_chat whose world asks, through the task context, for what Parley never does by
itself: `review_work` rejects a worker who pasted a message and approves the others."""
from runner.worlds import MultiAgentDialogWorld

PASTED_REASON = "Messages must be typed, not pasted."


class TaskWorld(MultiAgentDialogWorld):
    def ends_episode(self, act):
        return act.get("text", "").strip().lower() == "bye"

    def review_work(self):
        for agent in self.agents:
            if any(flag["flag"] == "pasted" for flag in agent.message_flags()):
                agent.reject_work(PASTED_REASON)
            else:
                agent.approve_work()
