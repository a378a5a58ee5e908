"""The flood benchmark's task: two humans send as they like, out of turn, and nothing else
happens in the world, so what bench/flood.py measures is the runner itself."""
from runner.worlds import MultiAgentDialogWorld


class TaskWorld(MultiAgentDialogWorld):
    pass
