"""A two-person chat for the runner's tests: a system greeting with task_data, then
round-robin turns until someone says 'bye' (or leaves)."""
from runner.worlds import MultiAgentDialogWorld


class TaskWorld(MultiAgentDialogWorld):
    def __init__(self, opt, agents):
        super().__init__(opt, agents)
        for agent in agents:
            agent.observe({"id": "System", "text": f"You are {agent.id}.",
                           "task_data": {"role": agent.id}})

    def ends_episode(self, act):
        return act.get("text", "").strip().lower() == "bye"

    def get_custom_task_data(self):
        return {"finished": True}
