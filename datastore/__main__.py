"""The store's command line: `python -m datastore export --run RUN_ID --format
jsonl|csv|answers-csv|form-report [--unflagged-only] [--out FILE] [--db URL]` writes one run's
conversations (or a form run's answers, or its report) to FILE, or to stdout.

Every error a user can cause ends in one sentence on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from datastore.errors import DatastoreError
from datastore.export import (
    FORMATS,
    UnflaggedOnly,
    export_csv,
    export_form_answers_csv,
    export_form_report,
    export_jsonl,
)
from datastore.handler import MTurkDataHandler

PROG = "parley"
MESSAGE_EXPORTERS: dict[str, Callable[[MTurkDataHandler, str, TextIO, UnflaggedOnly | None], int]] = {
    "jsonl": export_jsonl,
    "csv": export_csv,
}
"""The formats that hold chat messages, so the only ones --unflagged-only applies to."""
FORM_EXPORTERS: dict[str, Callable[[MTurkDataHandler, str, TextIO], int]] = {
    "answers-csv": export_form_answers_csv,
    "form-report": export_form_report,
}
UNITS = {"jsonl": "conversations", "csv": "messages", "answers-csv": "answers", "form-report": "report"}


class UsageError(Exception):
    """A bad argument or an export that could not finish; its message is for the user."""

    def __init__(self, message: str, prog: str | None = None) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    # argparse would print the whole usage and its own wording; one sentence is enough
    # to say what was wrong, and `--help` still shows the usage.
    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.prog)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Work with a Parley store.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    export = commands.add_parser(
        "export", prog=f"{PROG} export",
        help="write one run's conversations as JSON Lines or CSV, or a form run's answers as CSV "
             "or its report as JSON",
        description="Write one run's conversations as JSON Lines (one conversation a line) "
                    "or CSV (one message a row), or a form run's answers as CSV (answers-csv: "
                    "one answer a row, one column per field), or its report as JSON (form-report: "
                    "progress, agreement per question, workers' golds, a comparison's win rates).",
    )
    export.add_argument("--run", required=True, metavar="RUN_ID", help="the run to export")
    export.add_argument("--format", required=True, choices=FORMATS, help="jsonl, csv, answers-csv or form-report")
    export.add_argument("--unflagged-only", action="store_true",
                        help="jsonl and csv: leave out each message an authenticity check flagged "
                             "(pasted, too fast, ...) and say how many were left out")
    export.add_argument("--out", type=Path, metavar="FILE",
                        help="write here (replaced only once the export succeeds); default stdout")
    export.add_argument("--db", metavar="URL",
                        help="the store's database URL; default PARLEY_DATABASE_URL or ./data/parley.db")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    prog = PROG
    try:
        args = build_parser().parse_args(argv)
        prog = f"{PROG} {args.command}"
        return export(args.run, args.format, args.out, args.db, args.unflagged_only)
    except UsageError as exc:
        return _fail(exc.prog or prog, str(exc))
    except DatastoreError as exc:
        return _fail(prog, str(exc))
    except OSError as exc:
        return _fail(prog, f"cannot write: {_os_error(exc)}")


def export(run_id: str, fmt: str, out: Path | None, db_url: str | None, unflagged_only: bool = False) -> int:
    if unflagged_only and fmt not in MESSAGE_EXPORTERS:
        raise UsageError(f"--unflagged-only leaves flagged chat messages out of the jsonl and csv "
                         f"exports; {fmt} holds no chat messages, so drop the option or export jsonl or csv")
    if out is not None and out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a directory, not a file")
    handler = MTurkDataHandler(db_url=db_url)
    only = UnflaggedOnly() if unflagged_only else None
    write = _writer(handler, run_id, fmt, only)
    if out is None:
        _stream_to_stdout(write)
        if only is not None:
            # stdout holds the export; what was left out of it is said beside it.
            print(f"{_left_out(only)} of run {run_id!r}", file=sys.stderr)
        return 0
    count = _write_atomically(out, write)
    left_out = "" if only is None else f", having {_left_out(only)}"
    print(f"wrote {count} {UNITS[fmt]} of run {run_id!r} to {out}{left_out}", file=sys.stderr)
    return 0


def _writer(handler: MTurkDataHandler, run_id: str, fmt: str,
            only: UnflaggedOnly | None) -> Callable[[TextIO], int]:
    if fmt in MESSAGE_EXPORTERS:
        return lambda stream: MESSAGE_EXPORTERS[fmt](handler, run_id, stream, only)
    return lambda stream: FORM_EXPORTERS[fmt](handler, run_id, stream)


def _left_out(only: UnflaggedOnly) -> str:
    return f"left out {only.left_out} flagged message{'' if only.left_out == 1 else 's'}"


def _write_atomically(path: Path, write: Callable[[TextIO], int]) -> int:
    """Write to a temporary file beside `path`, then rename it over `path`: a reader sees
    the old file or the whole new one, and a failed export leaves no partial file."""
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as exc:
        # Name the file the user asked for, not the temporary one beside it.
        raise _cannot_write(path, exc) from None
    try:
        # newline="" as the csv module asks; JSON Lines never contain a bare newline.
        with open(fd, "w", encoding="utf-8", newline="") as stream:
            count = write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp creates the file 0600; give it the mode a plain open() would have.
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise _cannot_write(path, exc) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def _cannot_write(path: Path, exc: OSError) -> UsageError:
    return UsageError(f"cannot write {str(path)!r}: {exc.strerror or exc}")


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _stream_to_stdout(write: Callable[[TextIO], int]) -> None:
    stdout = sys.stdout
    if isinstance(stdout, io.TextIOWrapper):
        # The export is UTF-8 whatever the locale, and csv writes its own line endings.
        stdout.reconfigure(encoding="utf-8", newline="")
    try:
        write(stdout)
        stdout.flush()
    except BrokenPipeError:
        # The reader (`| head`) has gone; stop quietly, and keep Python's exit-time flush
        # of stdout from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        raise SystemExit(1) from None


def _os_error(exc: OSError) -> str:
    where = f"{str(exc.filename)!r}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def _fail(prog: str, message: str) -> int:
    # Database drivers put details on several lines; the user gets one.
    sentence = " ".join(message.split())
    stop = "" if sentence.endswith((".", "?", "!")) else "."
    print(f"{prog}: error: {sentence}{stop}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
