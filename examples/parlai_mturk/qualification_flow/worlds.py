"""Worlds of the qualification flow task: an introduction, then a world that tests a
newcomer on sentences whose labels are known and, once they pass, collects their labels
for new sentences. A newcomer who fails is given the qualification the task's HITs require
workers not to hold, so they cannot take it again."""
from parlai_compat.core.worlds import validate
from parlai_compat.mturk.core import mturk_utils
from parlai_compat.mturk.core.agents import (
    MTURK_DISCONNECT_MESSAGE,
    RETURN_MESSAGE,
    TIMEOUT_MESSAGE,
)
from parlai_compat.mturk.core.worlds import MTurkOnboardWorld, MTurkTaskWorld

LABELS = ('positive', 'negative')
TEST_SET = [
    ['The soup was cold and the waiter walked away while we were still ordering.', 'negative'],
    ['Our neighbours fixed the fence for us and would not take any money.', 'positive'],
    ['Three weeks later the parcel has still not arrived.', 'negative'],
]
SENTENCES = [
    'The new bridge cut my drive to work by twenty minutes.',
    'I waited an hour on the phone and then the line went dead.',
    'She laughed so hard at the film that she had to pause it.',
    'The battery is flat again after a single afternoon.',
]
SENTENCES_PER_TASK = 2
LEFT = (MTURK_DISCONNECT_MESSAGE, RETURN_MESSAGE, TIMEOUT_MESSAGE)


class QualificationFlowOnboardWorld(MTurkOnboardWorld):
    """Tells the worker how the task goes and waits until they are ready."""

    def parley(self):
        ad = {
            'id': 'System',
            'text': 'Welcome! You will say whether sentences sound positive or negative. '
                    'Newcomers first label three test sentences; label them all as we did to go on. '
                    'Send anything when you are ready.',
        }
        self.mturk_agent.observe(validate(ad))
        self.mturk_agent.act()
        self.episodeDone = True


class QualificationFlowSoloWorld(MTurkTaskWorld):
    """The test (for a worker taking the task for the first time), then the real sentences.

    A newcomer who does not label every test sentence as the answer key does is given the
    failing qualification as the world shuts down; the task's HITs require workers not to
    hold it, so they never see the task again. Only work that went through the real
    sentences is approved."""

    collector_agent_id = 'Labeller'

    def __init__(self, opt, mturk_agent, qualification_id, first_time, sentences):
        self.opt = opt
        self.mturk_agent = mturk_agent
        self.qualification_id = qualification_id
        self.first_time = first_time
        self.test = list(TEST_SET) if first_time else []
        self.sentences = sentences
        self.test_answers = []
        self.labels = []
        self.passed = None if first_time else True
        self.episodeDone = False

    def parley(self):
        if len(self.test_answers) < len(self.test):
            sentence, _ = self.test[len(self.test_answers)]
            number = len(self.test_answers) + 1
            answer = self.ask(f'Test sentence {number} of {len(self.test)}: "{sentence}" Positive or negative?')
            if answer is not None:
                self.test_answers.append(answer)
                if len(self.test_answers) == len(self.test):
                    self.grade()
        elif len(self.labels) < len(self.sentences):
            sentence = self.sentences[len(self.labels)]
            answer = self.ask(f'"{sentence}" Positive or negative?')
            if answer is not None:
                self.labels.append({'sentence': sentence, 'label': answer})
        if not self.episodeDone and len(self.labels) == len(self.sentences):
            self.say('Thank you for your labels!', episode_done=True)
            self.episodeDone = True

    def ask(self, text):
        """The worker's answer, lower-cased; None (and the episode over) if they left."""
        self.say(text)
        act = self.mturk_agent.act()
        if act['text'] in LEFT:
            self.episodeDone = True
            return None
        return act['text'].strip().lower()

    def grade(self):
        self.passed = all(answer == label for answer, (_, label) in zip(self.test_answers, self.test))
        if self.passed:
            self.say('You passed the test. Now the real sentences.')
        else:
            self.say('Thank you. Your labels did not match ours, so the task ends here.', episode_done=True)
            self.episodeDone = True

    def say(self, text, episode_done=False):
        ad = {'id': self.__class__.collector_agent_id, 'text': text, 'episode_done': episode_done}
        self.mturk_agent.observe(validate(ad))

    def episode_done(self):
        return self.episodeDone

    def shutdown(self):
        if self.first_time and self.passed is False:
            mturk_utils.give_worker_qualification(
                self.mturk_agent.worker_id, self.qualification_id, is_sandbox=self.opt['is_sandbox'])
        self.mturk_agent.shutdown()

    def review_work(self):
        labelled = len(self.labels) == len(self.sentences)
        if self.passed and labelled and all(item['label'] in LABELS for item in self.labels):
            self.mturk_agent.approve_work()

    def get_custom_task_data(self):
        return {
            'first_time': self.first_time,
            'test_answers': self.test_answers,
            'passed': self.passed,
            'labels': self.labels,
        }
