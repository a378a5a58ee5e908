"""What the runner's authenticity checks cost each worker message, on the worker's own thread
before the ack: the composition checks (runner/authenticity.py) and the near-duplicate check
(runner/duplicates.py) against a run that already holds 1,000, 10,000 and 100,000 worker
messages. Messages are 8 to 40 words drawn from a 5,000-word vocabulary; one in ten repeats an
earlier message of another worker with a word changed, and each of those whose exact
similarity is at or above the threshold must be found (LSH's recall).

    python bench/authenticity.py            # measure, and record the table in BENCHMARKS.md
    python bench/authenticity.py --smoke    # a tiny version that only checks correctness
"""
from __future__ import annotations

import argparse
import random
import string
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/authenticity.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import percentile, publish, verdict
from runner.authenticity import flags_for
from runner.duplicates import SIMILARITY, DuplicateIndex, StoredText, jaccard, shingles

SIZES = (1_000, 10_000, 100_000)
SMOKE_SIZES = (200,)
MEASURED = 2_000
"""Messages timed after the index holds a size's messages."""
COPY_EVERY = 10


def vocabulary(rng: random.Random) -> list[str]:
    return ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(5_000)]


def message(rng: random.Random, words: list[str]) -> str:
    return " ".join(rng.choices(words, k=rng.randint(8, 40)))


def typed(text: str) -> dict[str, int]:
    return {"compose_ms": len(text) * 200, "keys": len(text), "chars": len(text), "pasted_count": 0,
            "pasted_chars": 0, "inserted_chars": 0, "hidden_ms": 0}


def measure(size: int, measured: int, problems: list[str]) -> list[object]:
    rng = random.Random(size)
    words = vocabulary(rng)
    index = DuplicateIndex()
    sent: list[str] = []
    for pk in range(size):
        sent.append(message(rng, words))
        index.add(StoredText(pk, f"W{pk % 500}", "t"), sent[-1])
    check_ms, duplicate_ms, copies, found = [], [], 0, 0
    for n in range(measured):
        pk = size + n
        expected = False
        if n % COPY_EVERY == 0:  # another worker's earlier message, one word changed
            original = sent[rng.randrange(len(sent))]
            changed = original.split()
            changed[rng.randrange(len(changed))] = "changed"
            text = " ".join(changed)
            expected = jaccard(shingles(text), shingles(original)) >= SIMILARITY
            copies += expected
        else:
            text = message(rng, words)
        start = time.perf_counter()
        flags_for(text, typed(text))
        middle = time.perf_counter()
        matches = index.add(StoredText(pk, "W-new", "t"), text)
        end = time.perf_counter()
        check_ms.append((middle - start) * 1000)
        duplicate_ms.append((end - middle) * 1000)
        found += bool(matches) and expected
    if found < copies:
        problems.append(f"at {size:,} messages only {found} of {copies} near-copies were found")
    return [size, measured, percentile(check_ms, 0.5), percentile(duplicate_ms, 0.5),
            percentile(duplicate_ms, 0.95), percentile(duplicate_ms, 0.99), f"{found}/{copies}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; checks correctness only")
    args = parser.parse_args()
    problems: list[str] = []
    sizes, measured = (SMOKE_SIZES, 200) if args.smoke else (SIZES, MEASURED)
    rows = [measure(size, measured, problems) for size in sizes]
    columns = ["messages in the run", "timed", "composition p50 ms", "duplicates p50 ms",
               "duplicates p95 ms", "duplicates p99 ms", "near-copies found"]
    publish("authenticity-checks", "Authenticity checks per worker message", columns, rows,
            {"smoke": args.smoke}, record=not args.smoke,
            notes=("Each timed message is checked against every earlier one of the run and then indexed. "
                   "One in ten is another worker's earlier message with a word changed; 'near-copies found' "
                   "counts those at or above the similarity threshold (0.8) that the index found."))
    return verdict(problems, "every near-copy at or above the threshold was found")


if __name__ == "__main__":
    sys.exit(main())
