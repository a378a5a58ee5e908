"""Agreement on form questions: alpha is krippendorff's on the matrix we build, majorities and
per-worker agreement follow their documented tie rules, and undefined alpha is None with a reason."""
import krippendorff
import numpy as np
import pytest

from datastore import InvalidValue, Record
from datastore.agreement import (
    Answer,
    agreement_report,
    question_agreement,
    reliability_data,
)

nan = np.nan
SENTIMENT = {"name": "sentiment", "type": "single_choice", "options": ["neg", "neu", "pos"]}
LIKERT = {"name": "fluency", "type": "likert", "scale": 5}
SLIDER = {"name": "quality", "type": "slider", "min": 0, "max": 10, "step": 1}

# Krippendorff's own worked example (krippendorff.alpha's docstring: nominal 0.691358,
# interval 0.810845): 3 coders x 15 units, values 1..4.
WORKED_EXAMPLE = [
    [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
    [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
    [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
]
# Hayes & Krippendorff's ordinal example (docstring: ordinal 0.815): 4 coders x 12 units, 1..5.
ORDINAL_EXAMPLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]


def answers_from(rows, as_value=lambda v: v):
    """Worker w<r> rates item i<cc> (zero-padded so items sort in column order) with rows[r][c]."""
    return [Answer(f"w{r}", f"i{c:02d}", as_value(v))
            for r, row in enumerate(rows) for c, v in enumerate(row) if not np.isnan(v)]


@pytest.mark.parametrize(
    ("field", "as_value", "level", "published"),
    [
        (SENTIMENT, lambda v: f"label-{int(v)}", "nominal", 0.691358),
        (SLIDER, float, "interval", 0.810845),
    ],
)
def test_alpha_is_krippendorffs_on_the_worked_example(field, as_value, level, published):
    report = question_agreement(field, answers_from(WORKED_EXAMPLE, as_value))
    expected = krippendorff.alpha(reliability_data=WORKED_EXAMPLE, level_of_measurement=level)
    assert report["level"] == level
    assert report["alpha"] == pytest.approx(expected, abs=1e-12)
    assert round(report["alpha"], 6) == published


def test_likert_alpha_is_ordinal_and_krippendorffs_on_the_same_matrix():
    answers = answers_from(ORDINAL_EXAMPLE, int)
    data = reliability_data(LIKERT, answers)
    # likert ratings stay their own numbers: the matrix is the example itself
    np.testing.assert_array_equal(data.matrix, np.array(ORDINAL_EXAMPLE, dtype=float))
    report = question_agreement(LIKERT, answers)
    expected = krippendorff.alpha(reliability_data=ORDINAL_EXAMPLE, level_of_measurement="ordinal")
    assert report["level"] == "ordinal"
    assert report["alpha"] == pytest.approx(expected, abs=1e-12)
    assert round(report["alpha"], 3) == 0.815


def test_nominal_alpha_checked_by_hand_on_two_coders_and_four_units():
    # coder A: a a a b ; coder B: a a b b.  Coincidences (each pairable unit adds its ordered
    # pairs with weight 1/(m_u - 1) = 1): o_aa = 2 + 2 = 4, o_ab = o_ba = 1 (unit 3), o_bb = 2.
    # Marginals n_a = 4 + 1 = 5, n_b = 1 + 2 = 3, n = 8.
    # Nominal: alpha = 1 - (n - 1) * (o_ab + o_ba) / (n_a n_b + n_b n_a) = 1 - 7 * 2 / 30 = 8/15.
    answers = [Answer("A", f"u{u}", v) for u, v in enumerate("aaab")]
    answers += [Answer("B", f"u{u}", v) for u, v in enumerate("aabb")]
    field = {"name": "x", "type": "single_choice", "options": ["a", "b"]}
    assert question_agreement(field, answers)["alpha"] == pytest.approx(8 / 15, abs=1e-12)


# A fixture with known answers: a clear majority, a 2-1 split, a tie, missing ratings, an item
# answered once and a worker (w4) who shares no item with anyone.
KNOWN = [
    Answer("w1", "i1", "pos"), Answer("w2", "i1", "pos"), Answer("w3", "i1", "pos"),
    Answer("w1", "i2", "neg"), Answer("w2", "i2", "neu"), Answer("w3", "i2", "neg"),
    Answer("w1", "i3", "neu"), Answer("w2", "i3", "pos"),
    Answer("w1", "i4", "pos"), Answer("w3", "i4", "pos"),
    Answer("w2", "i5", "neg"),
    Answer("w4", "i6", "neu"),
]


def test_matrix_is_workers_by_items_with_nan_and_labels_coded_by_sorted_index():
    data = reliability_data(SENTIMENT, KNOWN)
    assert data.workers == ["w1", "w2", "w3", "w4"]
    assert [item for item, _ in data.units] == ["i1", "i2", "i3", "i4", "i5", "i6"]
    # neg = 0, neu = 1, pos = 2
    expected = [
        [2, 0, 1, 2, nan, nan],
        [2, 1, 2, nan, 0, nan],
        [2, 0, nan, 2, nan, nan],
        [nan, nan, nan, nan, nan, 1],
    ]
    np.testing.assert_array_equal(data.matrix, np.array(expected))
    report = question_agreement(SENTIMENT, KNOWN)
    assert report["alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=expected, level_of_measurement="nominal"), abs=1e-12)


def test_majority_per_item_breaks_ties_alphabetically_and_flags_them():
    items = question_agreement(SENTIMENT, KNOWN)["items"]
    assert items == {
        "i1": {"majority": "pos", "tie": False, "n": 3},
        "i2": {"majority": "neg", "tie": False, "n": 3},
        "i3": {"majority": "neu", "tie": True, "n": 2},  # neu vs pos: the first in sorted order
        "i4": {"majority": "pos", "tie": False, "n": 2},
        "i5": {"majority": "neg", "tie": False, "n": 1},
        "i6": {"majority": "neu", "tie": False, "n": 1},
    }


def test_likert_ties_go_to_the_lower_number():
    answers = [Answer("w1", "i1", 4), Answer("w2", "i1", 2), Answer("w3", "i2", 5)]
    assert question_agreement(LIKERT, answers)["items"]["i1"] == {"majority": 2, "tie": True, "n": 2}


def test_each_worker_is_compared_with_the_majority_of_the_others_on_shared_items():
    workers = question_agreement(SENTIMENT, KNOWN)["workers"]
    # w1: i1 matches; i2 others split neu/neg, w1 says neg -> 1/2; i3 other says pos, w1 neu -> 0;
    #     i4 matches.  2.5 / 4
    # w2: i1 matches; i2 others neg neg, w2 neu -> 0; i3 other neu, w2 pos -> 0; i5 alone: left out
    # w3: i1 matches; i2 others split neg/neu, w3 neg -> 1/2; i4 matches.  2.5 / 3
    assert workers == {
        "w1": {"agreement": pytest.approx(2.5 / 4), "items": 4, "units": 4},
        "w2": {"agreement": pytest.approx(1 / 3), "items": 3, "units": 3},
        "w3": {"agreement": pytest.approx(2.5 / 3), "items": 3, "units": 3},
        "w4": {"agreement": None, "items": 0, "units": 0},
    }


def test_turn_labels_count_each_turn_as_its_own_unit():
    field = {"name": "turns", "type": "turn_labels", "options": ["good", "bad"]}
    answers = [
        Answer("w1", "d1", ["good", "bad", "good"]), Answer("w2", "d1", ["good", "good", "good"]),
        Answer("w1", "d2", ["bad", "bad"]), Answer("w2", "d2", ["bad", "bad"]),
    ]
    data = reliability_data(field, answers)
    assert data.units == [("d1", 0), ("d1", 1), ("d1", 2), ("d2", 0), ("d2", 1)]
    # bad = 0, good = 1
    np.testing.assert_array_equal(data.matrix, [[1, 0, 1, 0, 0], [1, 1, 1, 0, 0]])
    report = question_agreement(field, answers)
    assert report["alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=data.matrix, level_of_measurement="nominal"))
    # turn 1 is a tie (bad vs good): it goes to "bad", the first in sorted order
    assert report["items"]["d1"] == {"majority": ["good", "bad", "good"], "tie": [1], "n": 2}
    assert report["items"]["d2"] == {"majority": ["bad", "bad"], "tie": [], "n": 2}
    # w1 differs from w2 (the only other worker) on one turn of five
    assert report["workers"]["w1"] == {"agreement": pytest.approx(4 / 5), "items": 2, "units": 5}


def test_multiple_choice_counts_each_option_as_a_yes_no_unit():
    field = {"name": "issues", "type": "multiple_choice",
             "options": [{"value": "rude", "label": "Rude"}, {"value": "off", "label": "Off topic"},
                         {"value": "wrong", "label": "Wrong"}]}
    answers = [
        Answer("w1", "i1", ["rude"]), Answer("w2", "i1", ["rude", "off"]),
        Answer("w1", "i2", ["wrong"]), Answer("w2", "i2", ["wrong"]),
    ]
    data = reliability_data(field, answers)
    # options sorted: off, rude, wrong; ticked = 1, not ticked = 0; "wrong" on i1 nobody ticked
    assert data.units == [("i1", "off"), ("i1", "rude"), ("i1", "wrong"),
                          ("i2", "off"), ("i2", "rude"), ("i2", "wrong")]
    np.testing.assert_array_equal(data.matrix, [[0, 1, 0, 0, 0, 1], [1, 1, 0, 0, 0, 1]])
    report = question_agreement(field, answers)
    assert report["level"] == "nominal"
    assert report["alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=data.matrix, level_of_measurement="nominal"))
    assert "yes/no" in report["alpha_note"]
    # "off" is split 1-1: a tie, left unticked in the majority
    assert report["items"]["i1"] == {"majority": ["rude"], "tie": ["off"], "n": 2}
    # w2 differs from w1 on one option ("off" of i1) of six
    assert report["workers"]["w2"] == {"agreement": pytest.approx(5 / 6), "items": 2, "units": 6}


def test_alpha_is_none_with_a_reason_when_no_item_has_two_workers():
    answers = [Answer("w1", "i1", "pos"), Answer("w2", "i2", "neg")]
    report = question_agreement(SENTIMENT, answers)
    assert report["alpha"] is None and "two or more workers" in report["alpha_note"]
    assert question_agreement(SENTIMENT, [])["alpha"] is None


def test_alpha_is_none_with_a_reason_when_the_shared_items_hold_one_value_throughout():
    # the lone "neg" on i3 gives the data two values, but no pair of ratings disagrees or could
    answers = [Answer("w1", "i1", "pos"), Answer("w2", "i1", "pos"),
               Answer("w1", "i2", "pos"), Answer("w2", "i2", "pos"), Answer("w1", "i3", "neg")]
    report = question_agreement(SENTIMENT, answers)
    assert report["alpha"] is None and "same" in report["alpha_note"]


def test_report_covers_rated_fields_and_leaves_out_gold_items_and_empty_answers():
    text = {"name": "why", "type": "text"}
    rows = [
        {"worker_id": "w1", "item_id": "i1", "is_gold": False, "answers": {"sentiment": "pos", "why": "x", "fluency": 4}},
        Record({"worker_id": "w2", "item_id": "i1", "is_gold": False, "answers": {"sentiment": "neg", "fluency": None}}),
        {"worker_id": "w1", "item_id": "g1", "is_gold": True, "answers": {"sentiment": "pos", "fluency": 5}},
        {"worker_id": "w2", "item_id": "g1", "is_gold": True, "answers": {"sentiment": "pos", "fluency": 5}},
    ]
    report = agreement_report([SENTIMENT, text, LIKERT], rows)
    assert list(report) == ["sentiment", "fluency"]
    assert report["sentiment"]["field"] == "sentiment"
    assert report["sentiment"]["items"] == {"i1": {"majority": "neg", "tie": True, "n": 2}}
    assert report["fluency"]["items"] == {"i1": {"majority": 4, "tie": False, "n": 1}}
    assert report["fluency"]["alpha"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [(SENTIMENT, 3), (LIKERT, "4"), (LIKERT, True), (SLIDER, float("nan")),
     ({"name": "t", "type": "turn_labels"}, "good")],
)
def test_an_answer_of_the_wrong_shape_is_refused_with_a_sentence(field, value):
    with pytest.raises(InvalidValue, match="worker 'w1', item 'i1'"):
        question_agreement(field, [Answer("w1", "i1", value)])


def test_a_worker_rating_one_item_twice_is_refused():
    with pytest.raises(InvalidValue, match="twice"):
        question_agreement(SENTIMENT, [Answer("w1", "i1", "pos"), Answer("w1", "i1", "neg")])


def test_a_field_type_without_a_level_is_refused():
    with pytest.raises(InvalidValue, match="not measured"):
        question_agreement({"name": "why", "type": "text"}, [])
