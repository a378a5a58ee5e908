"""parlai_compat's small pieces: validate, the guide's flags in opt, the leave messages."""
import pytest

from parlai_compat.core.params import ParlaiParser
from parlai_compat.core.worlds import validate
from parlai_compat.mturk.core.agents import (
    MTURK_DISCONNECT_MESSAGE,
    RETURN_MESSAGE,
    TIMEOUT_MESSAGE,
)
from runner.worlds import DISCONNECT_MESSAGE, is_leave
from runner.worlds import RETURN_MESSAGE as LEFT
from runner.worlds import TIMEOUT_MESSAGE as TIMED_OUT


def test_validate_answers_an_act_and_raises_on_anything_else():
    act = {"id": "System", "text": "hi"}
    assert validate(act) is act
    with pytest.raises(RuntimeError):
        validate("hi")


def test_the_guides_flags_land_in_opt_under_parlais_names():
    parser = ParlaiParser(False, False)
    parser.add_parlai_data_path()
    parser.add_mturk_args()
    opt = parser.parse_args(["-nc", "3", "-r", "0.5", "--live", "--unique", "--max-time", "600",
                             "--block-qualification", "blocked", "--provider", "local"])
    assert isinstance(opt, dict)
    assert (opt["num_conversations"], opt["reward"], opt["is_sandbox"], opt["unique_worker"]) == (3, 0.5, False, True)
    assert (opt["max_time"], opt["block_qualification"], opt["provider"]) == (600, "blocked", "local")
    assert parser.parse_args([])["is_sandbox"] is True and "datapath" in opt


def test_the_three_leave_messages_are_the_texts_of_parleys_leave_acts():
    for text, act in ((MTURK_DISCONNECT_MESSAGE, DISCONNECT_MESSAGE), (RETURN_MESSAGE, LEFT),
                      (TIMEOUT_MESSAGE, TIMED_OUT)):
        assert act["text"] == text and is_leave(dict(act))


def test_a_manager_asked_not_to_store_its_run_is_refused_with_a_sentence(capsys):
    from parlai_compat.mturk.core.mturk_manager import MTurkManager, NotSupported

    with pytest.raises(NotSupported) as refused:
        MTurkManager(opt={}, mturk_agent_ids=["Worker"], use_db=False)
    assert refused.value.code == 2
    assert "use_db=False asks for a run whose data is not stored" in capsys.readouterr().err
