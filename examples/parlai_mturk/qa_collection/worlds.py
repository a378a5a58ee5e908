"""Worlds of the QA collection task: a welcome question, then a paragraph about which the
worker asks a question and answers it."""
from parlai_compat.core.worlds import validate
from parlai_compat.mturk.core.agents import (
    MTURK_DISCONNECT_MESSAGE,
    RETURN_MESSAGE,
    TIMEOUT_MESSAGE,
)
from parlai_compat.mturk.core.worlds import MTurkOnboardWorld, MTurkTaskWorld

PARAGRAPHS = [
    'The Rhine rises in the Swiss Alps and flows for about 1,230 kilometres through '
    'Switzerland, Liechtenstein, Austria, Germany, France and the Netherlands before it '
    'reaches the North Sea near Rotterdam.',
    'Honeybees tell each other where food is with a waggle dance: the angle of the dance '
    'gives the direction of the flowers relative to the sun, and its length their distance.',
    'The first public library of the Americas opened in Puebla, Mexico, in 1646, when '
    'bishop Juan de Palafox gave the city his five thousand books.',
]
LEFT = (MTURK_DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE)


class QACollectionOnboardWorld(MTurkOnboardWorld):
    """Asks the worker one welcome question and keeps the answer."""

    def parley(self):
        ad = {'id': 'System', 'text': 'Welcome! Before we start: what do you like to read?'}
        self.mturk_agent.observe(validate(ad))
        self.reply = self.mturk_agent.act()
        self.episodeDone = True

    def get_custom_task_data(self):
        return {'likes_to_read': self.reply.get('text')}


class QACollectionWorld(MTurkTaskWorld):
    """Records a worker's question and answer about a paragraph."""

    collector_agent_id = 'QA Collector'

    def __init__(self, opt, mturk_agent, paragraph):
        self.mturk_agent = mturk_agent
        self.context = paragraph
        self.episodeDone = False
        self.turn_index = -1
        self.question = None
        self.answer = None

    def parley(self):
        self.turn_index += 1
        ad = {'id': self.__class__.collector_agent_id, 'episode_done': False}
        if self.turn_index == 0:
            ad['text'] = self.context + '\n\nPlease ask a question about this paragraph.'
            self.mturk_agent.observe(validate(ad))
            self.question = self.mturk_agent.act()
            if self.question['text'] in LEFT:
                self.episodeDone = True
        else:
            ad['text'] = 'Thanks. And what is the answer to your question?'
            ad['episode_done'] = True
            self.mturk_agent.observe(validate(ad))
            self.answer = self.mturk_agent.act()
            self.episodeDone = True

    def episode_done(self):
        return self.episodeDone

    def shutdown(self):
        self.mturk_agent.shutdown()

    def review_work(self):
        answered = self.answer is not None and self.answer['text'] not in LEFT
        if answered and self.answer['text'].strip():
            self.mturk_agent.approve_work()

    def get_custom_task_data(self):
        return {'context': self.context, 'acts': [self.question, self.answer]}
