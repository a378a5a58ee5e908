"""The form report (datastore/form_report.py), read from the store alone on runs built through
the handler's writers: progress, Krippendorff's alpha as the krippendorff package computes it
on the same matrix, majorities, per-worker agreement, gold accuracy against the run's bar,
blocks, and a comparison's win rates and position bias with their binomial tests."""
from __future__ import annotations

import krippendorff
import numpy as np
import pytest

from datastore import InvalidValue, NotFound
from tests.integration.test_form_golds import answer_all, strict_task
from tests.support.builders import completed_conversation
from tests.support.form_runs import (
    FLUENCY,
    GOLD_MIN_ACCURACY,
    GOLD_MIN_ANSWERS,
    LABELS,
    ODD_ITEM,
    RATING_FIELDS,
    RATING_ITEMS,
    answer_claimed,
    comparison_run,
    form_config,
    rating_run,
)
from tests.support.store_probes import statements_on


def matrix(values: dict[str, dict[str, float]]) -> np.ndarray:
    """Workers (sorted) x items (sorted), NaN where a worker gave no answer."""
    return np.array([[values[worker].get(item, np.nan) for item in sorted(RATING_ITEMS)] for worker in sorted(values)])


def test_a_chat_run_has_no_form_report_and_an_unknown_run_is_not_found(handler):
    assert handler.form_report(completed_conversation(handler).run_id) is None
    with pytest.raises(NotFound, match="there is no run 'nope'"):
        handler.form_report("nope")


def test_progress_counts_items_with_their_n_answers_and_the_gold_answers_apart(handler):
    run_id = rating_run(handler)

    progress = handler.form_report(run_id)["progress"]

    assert progress == {"items": 4, "complete": 3, "answers": 11, "annotations_per_item": 3, "gold_answers": 6}
    assert {k: progress[k] for k in ("items", "complete", "answers")} == handler.form_progress(run_id, 3)


def test_alpha_per_question_is_krippendorffs_on_the_same_matrix_and_text_fields_have_none(handler):
    report = handler.form_report(rating_run(handler))["agreement"]

    assert sorted(report) == ["fluency", "label"]  # the note is text: no agreement
    coded = {w: {item: {"no": 0.0, "yes": 1.0}[label] for item, label in labels.items()} for w, labels in LABELS.items()}
    assert report["label"]["level"] == "nominal"
    assert report["label"]["alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=matrix(coded), level_of_measurement="nominal"))
    assert report["fluency"]["level"] == "ordinal"
    assert report["fluency"]["alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=matrix(FLUENCY), level_of_measurement="ordinal"))
    assert "over 4 units that two or more of 3 workers rated" in report["label"]["alpha_note"]


def test_majorities_and_each_workers_agreement_with_the_others_leave_the_golds_out(handler):
    label = handler.form_report(rating_run(handler))["agreement"]["label"]

    assert label["items"] == {
        "i1": {"majority": "yes", "tie": False, "n": 3},
        "i2": {"majority": "no", "tie": False, "n": 3},
        "i3": {"majority": "no", "tie": False, "n": 2},
        ODD_ITEM: {"majority": "yes", "tie": False, "n": 3},
    }
    # W1: i1 yes=yes, i2 yes vs no, i3 no=no, i4 yes vs a yes/no tie (half) -> 2.5 of 4
    # W2: i1 1, i2 no vs a tie (half), i3 1, i4 no vs yes,yes 0 -> 2.5 of 4; W3: 1 + 1/2 + 1/2 of 3
    assert label["workers"] == {"W1": {"agreement": 0.625, "items": 4, "units": 4},
                                "W2": {"agreement": 0.625, "items": 4, "units": 4},
                                "W3": {"agreement": pytest.approx(2 / 3), "items": 3, "units": 3}}


def test_gold_accuracy_per_worker_against_the_runs_bar_with_the_blocks_the_run_holds(handler):
    run_id = rating_run(handler)

    gold = handler.form_report(run_id)["gold"]

    assert (gold["min_answers"], gold["min_accuracy"]) == (GOLD_MIN_ANSWERS, GOLD_MIN_ACCURACY)
    assert gold["workers"] == {
        "W1": {"answers": 4, "golds_answered": 2, "golds_right": 2, "gold_accuracy": 1.0,
               "below_bar": False, "blocked": False},
        "W2": {"answers": 4, "golds_answered": 2, "golds_right": 1, "gold_accuracy": 0.5,
               "below_bar": True, "blocked": False},  # the run's block was lifted
        "W3": {"answers": 3, "golds_answered": 2, "golds_right": 0, "gold_accuracy": 0.0,
               "below_bar": True, "blocked": True},
    }
    for worker_id, row in gold["workers"].items():
        assert (row["golds_answered"], row["golds_right"]) == handler.gold_accuracy(run_id, worker_id)


def test_without_a_gold_bar_nobody_is_below_it(handler):
    run_id = handler.log_new_run(1, "rate_dialogs", provider="local", config=form_config(
        RATING_FIELDS, per_item=1, per_assignment=2, gold_rate=0.5))
    handler.register_form_items(run_id, [{"item_id": "i1", "data": {}},
                                         {"item_id": "g1", "data": {}, "gold": {"label": "yes"}}])
    answer_claimed(handler, run_id, "W1", 0, 2, 1, {"i1": {"label": "no"}, "g1": {"label": "no"}}, gold_rate=0.5)

    [worker] = handler.form_report(run_id)["gold"]["workers"].values()

    assert (worker["golds_answered"], worker["gold_accuracy"], worker["below_bar"]) == (1, 0.0, False)


def test_a_comparisons_win_rates_and_p_values_are_per_pair_of_models_whatever_side_they_were_on(handler):
    comparison = handler.form_report(comparison_run(handler))["comparison"]

    assert (comparison["field"], comparison["sides"]) == ("winner", ["a", "b"])
    table = comparison["win_rates"]
    assert table["models"] == ["m1", "m2", "m3"]
    assert table["pairs"] == [
        {"model_a": "m1", "model_b": "m2", "wins_a": 9, "wins_b": 1, "total": 10, "win_rate_a": 0.9,
         "win_rate_b": pytest.approx(0.1), "p_value": pytest.approx(0.021484375), "significant": True},
        {"model_a": "m1", "model_b": "m3", "wins_a": 0, "wins_b": 2, "total": 2, "win_rate_a": 0.0,
         "win_rate_b": 1.0, "p_value": pytest.approx(0.5), "significant": False},
    ]
    assert table["matrix"]["m2"]["m1"]["wins"] == 1 and table["matrix"]["m2"]["m3"] is None


def test_a_comparison_shows_how_often_the_side_shown_first_won(handler):
    positions = handler.form_report(comparison_run(handler))["comparison"]["positions"]

    assert positions == {"model_a": "shown first", "model_b": "shown second", "wins_a": 8, "wins_b": 4,
                         "total": 12, "win_rate_a": pytest.approx(8 / 12), "win_rate_b": pytest.approx(4 / 12),
                         "p_value": pytest.approx(1588 / 4096), "significant": False}


def test_a_run_without_a_comparison_reports_none_and_one_without_judgements_an_empty_table(handler):
    assert handler.form_report(rating_run(handler))["comparison"] is None
    run_id = handler.log_new_run(1, "compare_models", provider="local", config=form_config(
        [], per_item=1, per_assignment=1, comparison={"field": "winner", "sides": ["a", "b"]}))

    comparison = handler.form_report(run_id)["comparison"]

    assert comparison["win_rates"]["pairs"] == [] and comparison["positions"] is None


@pytest.mark.parametrize(("answers", "says"), [
    ({"winner": "c", "positions": ["a", "b"]}, "chose 'c' on item 'c1', which is neither side"),
    ({"winner": "a"}, "does not say in which order its page showed the sides"),
])
def test_a_comparison_answer_the_report_cannot_read_is_refused_with_a_sentence(handler, answers, says):
    run_id = handler.log_new_run(1, "compare_models", provider="local", config=form_config(
        [], per_item=1, per_assignment=1, comparison={"field": "winner", "sides": ["a", "b"]}))
    handler.register_form_items(run_id, [{"item_id": "c1", "data": {"a": {"model": "m1"}, "b": {"model": "m2"}}}])
    answer_claimed(handler, run_id, "W1", 0, 1, 1, {"c1": answers})

    with pytest.raises(InvalidValue, match=says):
        handler.form_report(run_id)


def test_the_report_reads_the_same_few_statements_however_many_answers_the_run_has(handler):
    def statements(workers: int) -> int:
        run_id = handler.log_new_run(1, "rate_dialogs", provider="local", config=form_config(
            RATING_FIELDS, per_item=workers, per_assignment=3, comparison=None))
        handler.register_form_items(run_id, [{"item_id": f"i{n}", "data": {}} for n in range(3)])
        for w in range(workers):
            answer_claimed(handler, run_id, f"W{w}", w, 3, workers,
                           {f"i{n}": {"label": "yes", "fluency": 1 + (n + w) % 5} for n in range(3)})
        with statements_on(handler.engine) as sent:
            report = handler.form_report(run_id)
        assert report["progress"]["answers"] == 3 * workers
        return len(sent)

    assert statements(2) == statements(12)


def test_a_run_the_runner_made_is_reported_from_the_config_it_stored_with_the_block_its_golds_made(start, tmp_path):
    runner = start(str(strict_task(tmp_path)), num_conversations=2)
    answer_all(runner.join("W1", assignment_id="A1"), wrong_golds=True)

    report = runner.handler.form_report(runner.run_id)

    assert report["gold"]["min_accuracy"] == 0.6
    assert report["gold"]["workers"]["W1"] == {"answers": 1, "golds_answered": 2, "golds_right": 0,
                                               "gold_accuracy": 0.0, "below_bar": True, "blocked": True}
    assert report["progress"] == {"items": 2, "complete": 0, "answers": 1, "annotations_per_item": 2,
                                  "gold_answers": 2}
