"""Like pair_chat, but each worker must answer within opt['answer_seconds'] (default 2)."""
from runner.worlds import World, is_leave


class TaskWorld(World):
    def parley(self):
        for speaker in self.agents:
            act = speaker.act(timeout=2)
            for listener in self.agents:
                if listener is not speaker:
                    listener.observe(act)
            if is_leave(act) or act.get("text") == "bye":
                self.episode_over = True
                return
