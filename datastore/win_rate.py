"""Win rates of pairwise model evaluation (ACUTE-Eval style): per pair of models, how often
each won and whether that differs from a coin toss (two-sided exact binomial test against 0.5).
Pure functions over plain data (no store), so the webapp and the export share one answer.

A pair is unordered: a judgement of (a vs b) and one of (b vs a) count toward the same pair,
which is always reported with its two model names in sorted order. Every judgement names a
winner; ties are not a judgement ACUTE-Eval asks for, so a winner that is neither model is refused.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, NamedTuple

from datastore.errors import InvalidValue

DEFAULT_ALPHA = 0.05


class Judgement(NamedTuple):
    """One worker's verdict on one item: which of two models' outputs was better."""

    item_id: str
    worker_id: str
    model_a: str
    model_b: str
    winner: str


def _check(judgement: Judgement) -> None:
    where = f"the judgement of worker {judgement.worker_id!r} on item {judgement.item_id!r}"
    if judgement.model_a == judgement.model_b:
        raise InvalidValue(f"In {where} both models are {judgement.model_a!r}; a pair needs two.")
    if judgement.winner not in (judgement.model_a, judgement.model_b):
        raise InvalidValue(f"In {where} the winner {judgement.winner!r} is neither "
                           f"{judgement.model_a!r} nor {judgement.model_b!r}.")


def pair_results(judgements: Iterable[Judgement], alpha: float = DEFAULT_ALPHA) -> list[dict[str, Any]]:
    """One JSON-ready row per pair of models that met, sorted by the pair's names:
    {model_a, model_b (model_a < model_b), wins_a, wins_b, total, win_rate_a, win_rate_b,
    p_value, significant}; p_value is scipy's two-sided exact binomial test of wins_a out of
    total against 0.5, significant is p_value < alpha. Bad input is InvalidValue, nothing returned."""
    if not 0 < alpha < 1:
        raise InvalidValue(f"The significance level must be between 0 and 1, not {alpha!r}.")
    wins: Counter[tuple[str, str, str]] = Counter()
    for judgement in map(Judgement._make, judgements):
        _check(judgement)
        first, second = sorted((judgement.model_a, judgement.model_b))
        wins[(first, second, judgement.winner)] += 1
    # scipy.stats takes half a second to import: every process that opens a store (each
    # runner, webapp and CLI) would pay it at start-up, and few ever read a win rate.
    from scipy.stats import binomtest

    rows = []
    for first, second in sorted({(first, second) for first, second, _ in wins}):
        wins_a, wins_b = wins[(first, second, first)], wins[(first, second, second)]
        total = wins_a + wins_b
        p_value = float(binomtest(wins_a, total, 0.5, alternative="two-sided").pvalue)
        rows.append({
            "model_a": first, "model_b": second, "wins_a": wins_a, "wins_b": wins_b,
            "total": total, "win_rate_a": wins_a / total, "win_rate_b": wins_b / total,
            "p_value": p_value, "significant": p_value < alpha,
        })
    return rows


def win_rate_table(judgements: Iterable[Judgement], alpha: float = DEFAULT_ALPHA) -> dict[str, Any]:
    """The table across all pairs, JSON-ready: {"models": sorted names, "alpha": alpha,
    "pairs": pair_results(...), "matrix": {row model: {column model: cell}}} where a cell is the
    row model's record against the column model, {wins, losses, total, win_rate, p_value,
    significant}, or None where the two never met (and on the diagonal)."""
    pairs = pair_results(judgements, alpha)
    models = sorted({row["model_a"] for row in pairs} | {row["model_b"] for row in pairs})
    matrix: dict[str, dict[str, Any]] = {row: dict.fromkeys(models) for row in models}
    for pair in pairs:
        for me, other in (("a", "b"), ("b", "a")):
            matrix[pair[f"model_{me}"]][pair[f"model_{other}"]] = {
                "wins": pair[f"wins_{me}"], "losses": pair[f"wins_{other}"], "total": pair["total"],
                "win_rate": pair[f"win_rate_{me}"], "p_value": pair["p_value"],
                "significant": pair["significant"],
            }
    return {"models": models, "alpha": alpha, "pairs": pairs, "matrix": matrix}
