"""What every benchmark prints and keeps: a table on stdout, the raw numbers as JSON, and
the same table in BENCHMARKS.md between `<!-- bench:NAME -->` markers, with the command
that produced it and the machine it ran on."""
from __future__ import annotations

import json
import os
import platform
import re
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
RESULTS = ROOT / "bench" / "results"


class BenchFailure(Exception):
    """A benchmark could not go on; the message is one sentence for whoever runs it."""


def machine() -> dict[str, Any]:
    """Where the numbers came from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory_gib, 1),
            "python": platform.python_version(), "os": platform.platform(terse=True)}


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile of `values` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---:" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [list(columns)] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    out = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def command_line() -> str:
    """The command that ran this benchmark, as someone would type it from the repo root."""
    script = Path(sys.argv[0]).resolve()
    try:
        script_text = str(script.relative_to(ROOT))
    except ValueError:
        script_text = str(script)
    return shlex.join(["python", script_text, *sys.argv[1:]])


def publish(name: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
            raw: dict[str, Any], *, notes: str = "", record: bool = True) -> None:
    """Print the table, write bench/results/NAME.json, and (when `record`) replace the
    NAME section of BENCHMARKS.md."""
    print(f"\n{title}\n{text_table(columns, rows)}\n", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    document = {"benchmark": name, "when": stamp, "command": command_line(),
                "machine": machine(), "columns": list(columns), "rows": [list(r) for r in rows], **raw}
    (RESULTS / f"{name}.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
    if record:
        record_section(name, title, columns, rows, stamp, notes)


def record_section(name: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                   stamp: str, notes: str) -> None:
    m = machine()
    body = "\n".join([
        f"<!-- bench:{name} -->",
        f"### {title}",
        "",
        f"`{command_line()}` — {stamp}, {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
        f"Python {m['python']}.",
        "",
        markdown_table(columns, rows),
        *(["", notes] if notes else []),
        f"<!-- /bench:{name} -->",
    ])
    text = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else "# Benchmarks\n"
    section = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = section.sub(lambda _: body, text) if section.search(text) else text.rstrip() + "\n\n" + body + "\n"
    BENCHMARKS_MD.write_text(text)


def verdict(problems: Sequence[str], success: str) -> int:
    """A benchmark's exit status: 0 with `success` printed, or 1 with every problem on stderr."""
    if not problems:
        print(success)
        return 0
    print(f"FAILED: {len(problems)} problem(s); the first: {problems[0]}", file=sys.stderr)
    for problem in problems[1:]:
        print(f"  {problem}", file=sys.stderr)
    return 1
