"""Build pairwise_dialog_eval's items from two of Parley's JSONL exports: conversation i of
the first run beside conversation i of the second, for as many as both have.

    python -m datastore export --run RUN_A --format jsonl --out a.jsonl   # (and the same for RUN_B)
    python tasks/pairwise_dialog_eval/make_pairs.py a.jsonl b.jsonl \\
        --model-a "bot A" --model-b "bot B" > tasks/pairwise_dialog_eval/pairs.jsonl

Each item's data holds both conversations as `a` and `b` (`model`, `run_id`,
`conversation_id`, `turns`: [{"speaker", "text"}]); which side of the page each is shown on
is drawn per worker when the item is shown, and recorded with the answer. The world's own
messages (System) are left out: workers judge what the two speakers said.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

WORLD_SENDERS = frozenset({"System", "SYSTEM"})


class ExportError(Exception):
    """An export file that is not one of Parley's JSONL exports; the message says where."""


def read_export(path: Path) -> list[dict[str, Any]]:
    """The conversations of one JSONL export, in file order."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc.strerror}") from None
    conversations = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            conversation = json.loads(line)
        except ValueError:
            raise ExportError(f"{path}, line {number}: not JSON") from None
        if not isinstance(conversation, dict) or not isinstance(conversation.get("dialog"), list):
            raise ExportError(f"{path}, line {number}: not a conversation of a JSONL export (no dialog list)")
        conversations.append(conversation)
    return conversations


def turns(conversation: dict[str, Any]) -> list[dict[str, str]]:
    """What the conversation's speakers said, in order."""
    return [{"speaker": str(message.get("id")), "text": str(message["text"])}
            for message in conversation["dialog"]
            if isinstance(message, dict) and message.get("id") not in WORLD_SENDERS
            and isinstance(message.get("text"), str) and message["text"].strip()]


def make_pairs(first: list[dict[str, Any]], second: list[dict[str, Any]], model_a: str,
               model_b: str) -> list[dict[str, Any]]:
    """One item per pair of conversations with something said on both sides."""
    items = []
    for a, b in zip(first, second, strict=False):
        sides = {"a": (model_a, a), "b": (model_b, b)}
        data = {key: {"model": model, "run_id": c.get("run_id"), "conversation_id": c.get("conversation_id"),
                      "turns": turns(c)} for key, (model, c) in sides.items()}
        if data["a"]["turns"] and data["b"]["turns"]:
            items.append({"id": f"pair-{len(items) + 1:04d}", "data": data})
    return items


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export_a", type=Path)
    parser.add_argument("export_b", type=Path)
    parser.add_argument("--model-a", help="what the first run's bot is called (default: its run id)")
    parser.add_argument("--model-b", help="what the second run's bot is called (default: its run id)")
    args = parser.parse_args(argv)
    try:
        first, second = read_export(args.export_a), read_export(args.export_b)
    except ExportError as exc:
        print(f"make_pairs: error: {exc}", file=sys.stderr)
        return 2
    model_a = args.model_a or (first[0].get("run_id") if first else None) or "A"
    model_b = args.model_b or (second[0].get("run_id") if second else None) or "B"
    if model_a == model_b:
        print("make_pairs: error: the two models need different names (--model-a, --model-b)", file=sys.stderr)
        return 2
    items = make_pairs(first, second, model_a, model_b)
    if not items:
        print("make_pairs: error: no pair of conversations has something said on both sides", file=sys.stderr)
        return 2
    for item in items:
        print(json.dumps(item, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
