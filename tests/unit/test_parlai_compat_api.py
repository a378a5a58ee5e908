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


def test_parlai_args_and_model_args_add_parlais_flags_into_opt_and_are_absent_when_false(capsys):
    parser = ParlaiParser(True, True)
    parser.add_parlai_data_path()  # as a run.py may: the flag is there once
    parser.add_mturk_args()
    opt = parser.parse_args(["-t", "my_qa", "-dt", "valid", "-dp", "/tmp/d", "-m", "seq2seq", "-mf", "/m/file"])
    assert (opt["task"], opt["datatype"], opt["datapath"]) == ("my_qa", "valid", "/tmp/d")
    assert (opt["model"], opt["model_file"]) == ("seq2seq", "/m/file")
    assert ParlaiParser(True, False).parse_args([])["datatype"] == "train"

    bare = ParlaiParser(False, False)
    bare.add_mturk_args()
    for flag in ("-m", "-t", "-dt"):
        with pytest.raises(SystemExit):
            bare.parse_args([flag, "x"])
    assert "model" not in bare.parse_args([]) and "task" not in bare.parse_args([])
    assert "model" not in ParlaiParser(True, False).parse_args([])
    assert "task" not in ParlaiParser(False, True).parse_args([])


def test_create_agent_is_refused_with_a_sentence_pointing_to_parleys_model_bot(capsys):
    from parlai_compat.core.agents import create_agent
    from parlai_compat.mturk.core.mturk_manager import NotSupported

    parser = ParlaiParser(False, True)
    opt = parser.parse_args(["-m", "transformer/generator"])
    with pytest.raises(NotSupported) as refused:
        create_agent(opt)
    assert refused.value.code == 2
    said = capsys.readouterr().err
    assert said.startswith("parley: error: Parley does not run ParlAI models")
    assert "'transformer/generator'" in said and "runner.model_agent.ModelAgent" in said


def test_local_alone_means_the_local_provider_and_with_a_marketplace_is_refused(capsys):
    def parse(*flags):
        parser = ParlaiParser(False, False)
        parser.add_mturk_args()
        return parser.parse_args(list(flags))

    assert parse("--local")["provider"] == "local"
    assert parse("--local", "--provider", "local")["provider"] == "local"
    assert parse("--provider", "mturk")["provider"] == "mturk"
    assert parse()["provider"] == "local"
    capsys.readouterr()
    for marketplace in ("mturk", "prolific"):
        with pytest.raises(SystemExit) as refused:
            parse("--local", "--provider", marketplace)
        assert refused.value.code == 2
        assert (f"--local runs the task with no marketplace (the local provider), so it cannot go with "
                f"--provider {marketplace}") in capsys.readouterr().err
