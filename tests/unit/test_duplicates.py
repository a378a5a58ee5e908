"""The near-duplicate index: what counts as the same paragraph, and what does not."""
from runner.duplicates import (
    MIN_CHARS,
    SIMILARITY,
    Duplicate,
    DuplicateIndex,
    StoredText,
    jaccard,
    shingles,
)

PARAGRAPH = ("Yesterday the committee voted to close the old library on Main Street and move "
             "its books to the school, which upset many of the town's older readers.")


def stored(pk: int, worker: str) -> StoredText:
    return StoredText(pk, worker, "t_1")


def test_case_punctuation_and_spacing_do_not_tell_two_copies_apart():
    assert shingles(PARAGRAPH) == shingles("  " + PARAGRAPH.upper().replace(",", "").replace(" ", "\n  "))


def test_a_text_shorter_than_the_minimum_has_no_shingles():
    assert shingles("x" * (MIN_CHARS - 1)) == frozenset()
    assert shingles("x" * MIN_CHARS)


def test_the_most_similar_earlier_messages_of_other_workers_are_found_and_no_others():
    index = DuplicateIndex()
    half = PARAGRAPH[: len(PARAGRAPH) // 2] + " and then we all went home for a long quiet supper together."
    edited = PARAGRAPH.replace("upset", "angered")
    assert index.add(stored(1, "W1"), PARAGRAPH) == []
    assert index.add(stored(2, "W2"), half) == []  # shares half its words: below SIMILARITY
    assert jaccard(shingles(PARAGRAPH), shingles(half)) < SIMILARITY
    assert index.add(stored(3, "W2"), edited) == [Duplicate(stored(1, "W1"), round(
        jaccard(shingles(PARAGRAPH), shingles(edited)), 3))]
    found = index.add(stored(4, "W3"), PARAGRAPH)
    assert [(d.of.message_pk, d.similarity) for d in found] == [
        (1, 1.0), (3, round(jaccard(shingles(PARAGRAPH), shingles(edited)), 3))]
    assert index.add(stored(4, "W3"), PARAGRAPH) == []  # indexed once
    assert len(index) == 4


def test_a_worker_repeating_themselves_is_not_copying_and_keeps_one_entry():
    index = DuplicateIndex()
    for pk in range(1, 501):  # a flood of one line
        assert index.add(stored(pk, "W1"), PARAGRAPH + "!" * (pk % 3)) == []
    assert len(index) == 1
    [found] = index.add(stored(501, "W2"), PARAGRAPH)
    assert (found.of.message_pk, found.similarity) == (1, 1.0)
