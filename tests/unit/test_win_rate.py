"""Win rates of pairwise evaluation: counts per unordered pair, scipy's exact binomial p-value
against 0.5, a significance flag at the level asked for, and a table across all pairs."""
import pytest
from scipy.stats import binomtest

from datastore import InvalidValue
from datastore.win_rate import Judgement, pair_results, win_rate_table


def judgements(model_a, model_b, wins_a, wins_b):
    """wins_a judgements won by model_a and wins_b won by model_b, each by its own worker."""
    return [Judgement(f"i{n}", f"w{n}", model_a, model_b, model_a if n < wins_a else model_b)
            for n in range(wins_a + wins_b)]


def test_nine_wins_of_ten_give_the_hand_checked_p_value():
    # two-sided: P(X >= 9) + P(X <= 1) for X ~ Bin(10, 1/2) = 2 * (10 + 1) / 1024 = 0.021484375
    [row] = pair_results(judgements("bot", "human", 9, 1))
    assert row == {
        "model_a": "bot", "model_b": "human", "wins_a": 9, "wins_b": 1, "total": 10,
        "win_rate_a": 0.9, "win_rate_b": 0.1, "p_value": pytest.approx(0.021484375, abs=1e-15),
        "significant": True,
    }


@pytest.mark.parametrize(("wins_a", "wins_b"), [(5, 5), (7, 3), (30, 18), (0, 4), (61, 39)])
def test_p_value_is_scipys_exact_binomial_test(wins_a, wins_b):
    [row] = pair_results(judgements("a", "b", wins_a, wins_b))
    assert row["p_value"] == binomtest(wins_a, wins_a + wins_b, 0.5).pvalue
    assert row["significant"] == (row["p_value"] < 0.05)


def test_the_significance_level_is_the_one_asked_for():
    # 9 of 10: p = 0.0215, significant at 0.05 but not at 0.01
    assert pair_results(judgements("a", "b", 9, 1))[0]["significant"] is True
    assert pair_results(judgements("a", "b", 9, 1), alpha=0.01)[0]["significant"] is False
    assert win_rate_table(judgements("a", "b", 9, 1), alpha=0.01)["pairs"][0]["significant"] is False


@pytest.mark.parametrize("alpha", [0, 1, -0.5, 2])
def test_a_significance_level_outside_zero_and_one_is_refused(alpha):
    with pytest.raises(InvalidValue, match="between 0 and 1"):
        pair_results([], alpha=alpha)


def test_a_pair_is_the_same_whichever_model_was_shown_first():
    shown_one_way = judgements("gpt", "bart", 4, 2)  # gpt wins 4, bart 2
    shown_the_other = judgements("bart", "gpt", 1, 3)  # bart wins 1, gpt 3
    expected = pair_results(judgements("bart", "gpt", 3, 7))
    assert pair_results(shown_one_way + shown_the_other) == expected
    assert pair_results(shown_the_other + shown_one_way) == expected
    assert expected[0]["model_a"] == "bart" and expected[0]["wins_b"] == 7


def test_the_table_covers_every_pair_and_reads_from_each_models_side():
    table = win_rate_table(judgements("c", "a", 9, 1) + judgements("a", "b", 3, 3))
    assert table["models"] == ["a", "b", "c"]
    assert [(p["model_a"], p["model_b"]) for p in table["pairs"]] == [("a", "b"), ("a", "c")]
    matrix = table["matrix"]
    assert matrix["c"]["a"] == {"wins": 9, "losses": 1, "total": 10, "win_rate": 0.9,
                                "p_value": pytest.approx(0.021484375), "significant": True}
    assert matrix["a"]["c"]["wins"] == 1 and matrix["a"]["c"]["win_rate"] == 0.1
    assert matrix["a"]["b"]["win_rate"] == 0.5 and matrix["a"]["b"]["p_value"] == 1.0
    assert matrix["b"]["c"] is None and matrix["c"]["b"] is None  # never met
    assert all(matrix[m][m] is None for m in table["models"])


def test_no_judgements_give_an_empty_table():
    assert pair_results([]) == []
    assert win_rate_table([]) == {"models": [], "alpha": 0.05, "pairs": [], "matrix": {}}


@pytest.mark.parametrize(
    ("judgement", "message"),
    [(("i1", "w1", "a", "b", "c"), "neither 'a' nor 'b'"), (("i1", "w1", "a", "a", "a"), "both models")],
)
def test_a_judgement_that_names_no_pair_or_no_winner_of_it_is_refused(judgement, message):
    with pytest.raises(InvalidValue, match=message):
        pair_results(judgements("a", "b", 1, 1) + [judgement])
