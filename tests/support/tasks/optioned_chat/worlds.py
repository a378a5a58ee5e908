"""pair_chat whose greeting its own flags shape: `--greeting`, `--loud` and `--mood`."""
from runner.worlds import MultiAgentDialogWorld


class TaskWorld(MultiAgentDialogWorld):
    def __init__(self, opt, agents):
        super().__init__(opt, agents)
        for agent in agents:
            text = f"{opt['greeting']}, {agent.id}{'!' if opt['mood'] == 'merry' else '.'}"
            agent.observe({"id": "System", "text": text.upper() if opt["loud"] else text})

    def ends_episode(self, act):
        return act.get("text", "").strip().lower() == "bye"
