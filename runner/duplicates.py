"""Identical and near-identical messages from different workers of one run: the same
paragraph sent by two workers is flagged `duplicate` on both, whoever sent it first.

Each message is cut into shingles (5-character pieces of its text, lower-cased, with
punctuation and runs of white space made one space), and two messages are near-identical when
the Jaccard similarity of their shingle sets is at least `SIMILARITY`: a paragraph with a word
changed or a typo fixed stays above it; two answers to the same question in the same words for
a sentence or two stay below. Messages shorter than `MIN_CHARS` are left alone: "Hi, how are
you?" from two workers is chance, not copying.

Why MinHash LSH (datasketch): each message is checked as it is stored, against every earlier
message of the run. Comparing it with each of them would cost a pass over the whole run per
message; an LSH index of MinHash signatures answers the likely matches at once, whatever the
run's size. MinHash only estimates similarity, so each candidate's true Jaccard similarity is
then computed from the kept shingles, and an estimate alone never flags a message.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from datastore import DatastoreError, MTurkDataHandler

SHINGLE_CHARS = 5
SIMILARITY = 0.8
MIN_CHARS = 40
PERMUTATIONS = 128
LSH_THRESHOLD = 0.5
"""Well below SIMILARITY: LSH misses some pairs near its own threshold, and at 0.6 it missed one
near-copy in about 160 (bench/authenticity.py); at 0.5 it found every one. Its extra
candidates are ruled out by the exact measure."""

DUPLICATE = "duplicate"

log = logging.getLogger(__name__)
_PUNCTUATION = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class StoredText:
    """A worker's stored message, as the index keeps it."""

    message_pk: int
    worker_id: str
    conversation_id: str


@dataclass(frozen=True)
class Duplicate:
    """An earlier message of another worker that a new one nearly repeats."""

    of: StoredText
    similarity: float


def shingles(text: str) -> frozenset[str]:
    """The text's shingles; empty for a text under MIN_CHARS once normalised."""
    normal = _SPACES.sub(" ", _PUNCTUATION.sub(" ", text.lower())).strip()
    if len(normal) < MIN_CHARS:
        return frozenset()
    return frozenset(normal[i:i + SHINGLE_CHARS] for i in range(len(normal) - SHINGLE_CHARS + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


class DuplicateIndex:
    """One run's worker messages, to find the earlier ones a new message nearly repeats.
    Safe to share between the threads that store messages."""

    def __init__(self) -> None:
        # datasketch's LSH imports scipy (a third of a second): a process pays it when its
        # first run starts, not each CLI command and dashboard that imports the runner.
        from datasketch import MinHash, MinHashLSH

        self._minhash = MinHash
        self._lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=PERMUTATIONS)
        self._kept: dict[int, tuple[StoredText, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def add(self, stored: StoredText, text: str) -> list[Duplicate]:
        """Index a message just stored, and answer the earlier messages of other workers it
        nearly repeats, most similar first. A message indexed before is not indexed again
        (and answers nothing), nor is one its worker sent nearly before: the earlier copy
        stands for it, so a worker repeating one line thousands of times keeps one entry, not
        a bucket every later check would walk."""
        pieces = shingles(text)
        if not pieces:
            return []
        signature = self._minhash(num_perm=PERMUTATIONS)
        signature.update_batch([piece.encode() for piece in pieces])
        with self._lock:
            if stored.message_pk in self._kept:
                return []
            found, repeat = [], False
            for key in self._lsh.query(signature):
                earlier, earlier_pieces = self._kept[key]
                similarity = jaccard(pieces, earlier_pieces)
                if similarity < SIMILARITY:
                    continue
                if earlier.worker_id == stored.worker_id:
                    repeat = True
                else:
                    found.append(Duplicate(earlier, round(similarity, 3)))
            if not repeat:
                self._lsh.insert(stored.message_pk, signature)
                self._kept[stored.message_pk] = (stored, pieces)
        return sorted(found, key=lambda d: (-d.similarity, d.of.message_pk))

    def add_stored(self, messages: Iterable[tuple[StoredText, str]]) -> None:
        """Index messages stored before this index was made (a run served again)."""
        for stored, text in messages:
            self.add(stored, text)


def duplicate_flag(duplicate: Duplicate, matches: int = 1) -> tuple[str, dict[str, Any]]:
    """The `duplicate` flag of a message that nearly repeats `duplicate.of` (and, with
    `matches` over 1, as many messages of other workers in all)."""
    of = duplicate.of
    return DUPLICATE, {"of_message_pk": of.message_pk, "of_worker_id": of.worker_id,
                       "of_conversation_id": of.conversation_id, "similarity": duplicate.similarity,
                       "matches": matches}


class DuplicateFlagger:
    """Flags a run's near-identical worker messages in the store as they are stored: the new
    message (naming the most similar earlier one) and each earlier message it repeats (naming
    the new one). The index is filled from the store at the first message, so a run served
    again still finds what was sent before."""

    def __init__(self, handler: MTurkDataHandler, run_id: Callable[[], str]) -> None:
        self._handler, self._run_id = handler, run_id
        self._index: DuplicateIndex | None = None
        self._filling = threading.Lock()

    def message_stored(self, stored: StoredText, text: str) -> None:
        """Check a worker's message just stored. A failure to write the flags is logged and
        goes no further: the worker's message is stored whatever its flags."""
        run_id = self._run_id()
        found = self._index_of(run_id, stored).add(stored, text)
        if not found:
            return
        try:
            self._handler.add_message_flags(run_id, stored.message_pk, stored.worker_id,
                                            [duplicate_flag(found[0], matches=len(found))])
            for duplicate in found:
                self._handler.add_message_flags(run_id, duplicate.of.message_pk, duplicate.of.worker_id,
                                                [duplicate_flag(Duplicate(stored, duplicate.similarity))])
        except (DatastoreError, SQLAlchemyError) as exc:
            log.warning("could not flag the duplicates of message %s: %s", stored.message_pk, exc)

    def _index_of(self, run_id: str, stored: StoredText) -> DuplicateIndex:
        with self._filling:
            if self._index is None:
                index = DuplicateIndex()
                index.add_stored(
                    (StoredText(row["message_pk"], row["worker_id"], row["conversation_id"]), row["text"])
                    for row in self._handler.get_worker_texts(run_id) if row["message_pk"] != stored.message_pk)
                self._index = index
            return self._index
