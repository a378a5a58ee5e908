"""Worlds of the multi-agent dialog task: a welcome question, then MTurk workers and a bot
take turns round robin, each seeing every other speaker's message, until a worker ends a
message with [DONE] or the rounds run out."""
from parlai_compat.core.worlds import validate
from parlai_compat.mturk.core.agents import (
    MTURK_DISCONNECT_MESSAGE,
    RETURN_MESSAGE,
    TIMEOUT_MESSAGE,
)
from parlai_compat.mturk.core.worlds import MTurkOnboardWorld, MTurkTaskWorld

DONE_MARK = '[DONE]'
LEFT = (MTURK_DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE)
WELCOME = 'Welcome! Where would you like to spend a weekend?'
WAIT_FOR_PARTNERS = 'Thanks! Please wait while we find your chat partners.'
TURN_TIMEOUT = 300


class MultiAgentDialogOnboardWorld(MTurkOnboardWorld):
    """Asks the worker one question, then tells them to wait for their partners."""

    def parley(self):
        self.mturk_agent.observe({'id': 'System', 'text': WELCOME})
        self.reply = self.mturk_agent.act(timeout=TURN_TIMEOUT)
        self.mturk_agent.observe({'id': 'System', 'text': WAIT_FOR_PARTNERS})
        self.episodeDone = True

    def get_custom_task_data(self):
        return {'wants_to_visit': self.reply.get('text')}


class TripPlannerBot:
    """A scripted bot: it answers each round by naming what it heard since it last spoke."""

    def __init__(self, agent_id='Bot'):
        self.id = agent_id
        self.heard = []

    def observe(self, observation):
        self.heard.append(observation)

    def act(self, timeout=None):
        said = '; '.join('{} said "{}"'.format(m['id'], m['text']) for m in self.heard)
        self.heard = []
        return {'id': self.id, 'text': f'Noted: {said}. What else?', 'episode_done': False}

    def shutdown(self):
        pass


class MultiAgentDialogWorld(MTurkTaskWorld):
    """Each agent in turn, the workers then the bot, acts; every other agent observes the
    act. A worker's message ending with [DONE] ends the conversation."""

    def __init__(self, opt, mturk_agents, bot):
        self.mturk_agents = mturk_agents
        self.agents = mturk_agents + [bot]
        self.episodeDone = False
        self.max_turns = opt.get('max_turns', 5)
        self.turns = 0
        self.acts = []
        self.ended_by = None

    def parley(self):
        """One round: every agent speaks once, unless the conversation ends first."""
        self.turns += 1
        for agent in self.agents:
            act = agent.act(timeout=TURN_TIMEOUT)
            if act['text'] in LEFT:
                self.ended_by = 'left'
                self.episodeDone = True
                return
            self.acts.append(act)
            for other_agent in self.agents:
                if other_agent is not agent:
                    other_agent.observe(validate(act))
            if agent in self.mturk_agents and act['text'].rstrip().endswith(DONE_MARK):
                self.ended_by = 'done'
                self.episodeDone = True
                return
        if self.turns >= self.max_turns:
            self.ended_by = 'max_turns'
            self.episodeDone = True

    def episode_done(self):
        return self.episodeDone

    def shutdown(self):
        for agent in self.agents:
            agent.shutdown()

    def review_work(self):
        """Approve every worker who spoke, unless somebody left the conversation."""
        if self.ended_by == 'left':
            return
        for agent in self.mturk_agents:
            if any(act['id'] == agent.id for act in self.acts):
                agent.approve_work()

    def get_custom_task_data(self):
        return {'acts': self.acts, 'ended_by': self.ended_by}
