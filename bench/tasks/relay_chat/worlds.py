"""The load benchmark's task: two humans take turns until one says 'bye'. Nothing else
happens in the world, so what bench/load.py measures is the runner itself."""
from runner.worlds import MultiAgentDialogWorld


class TaskWorld(MultiAgentDialogWorld):
    def ends_episode(self, act):
        return act.get("text") == "bye"
