"""pair_chat with an onboarding question: answer '4' to 'What is 2 + 2?' to pass."""
from runner.worlds import OnboardingWorld as BaseOnboarding
from tests.support.tasks.pair_chat.worlds import TaskWorld  # noqa: F401  (the task world)


class OnboardingWorld(BaseOnboarding):
    def parley(self):
        self.agent.observe({"id": "System", "text": "What is 2 + 2?"})
        answer = self.agent.act()
        self.passed = answer.get("text", "").strip() == "4"
        self.answer = answer.get("text")
        self.episode_over = True

    def get_custom_task_data(self):
        return {"answer": self.answer}
