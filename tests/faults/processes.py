"""Parley's own programs as OS processes for the fault tests: `python -m runner run ...` and
`python server.py`, their output kept in files (so a chatty process never blocks on a full
pipe) and read back while they run."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAIR_CHAT = "tests/support/tasks/pair_chat"
START_SECONDS = 60.0


class Program:
    """One child process; stdout and stderr go to files under `folder`."""

    def __init__(self, name: str, argv: list[str], folder: Path, env: dict[str, str]) -> None:
        self.name = name
        self.out_path, self.err_path = folder / f"{name}.out", folder / f"{name}.err"
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen([sys.executable, *argv], cwd=REPO, env=env, stdout=out, stderr=err)

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def wait_for_output(self, pattern: str, timeout: float = START_SECONDS) -> re.Match[str]:
        """The first match of `pattern` in stdout, polled until it appears; fails at once if
        the process exits first."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.stdout, re.M)
            if match:
                return match
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{self.name} never printed {pattern!r} (exit code {self.proc.poll()}):\n"
                                     f"{self.stdout}\n{self.stderr[-3000:]}")
            time.sleep(0.05)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or closed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not go."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class Runner(Program):
    """`python -m runner run ...`; `run_id` and `url` come from the line it prints once the
    run is launched, `links` from the worker links after it (local provider)."""

    def __init__(self, folder: Path, env: dict[str, str], *args: str, name: str = "runner") -> None:
        super().__init__(name, ["-m", "runner", "run", *args, "--port", "0"], folder, env)
        header = self.wait_for_output(r"^Run (\S+): .* Chat server at (\S+)$")
        self.run_id, self.url = header.groups()

    def links(self, count: int) -> list[str]:
        self.wait_for_output(rf"(^\s+worker link: .*\n){{{count}}}")
        return re.findall(r"^\s+worker link: (\S+)$", self.stdout, re.M)


class Webapp(Program):
    """`python server.py --port 0`; `url` from the line it prints when it listens."""

    def __init__(self, folder: Path, env: dict[str, str], *args: str) -> None:
        super().__init__("webapp", ["server.py", "--port", "0", *args], folder, env)
        self.url = self.wait_for_output(r"^Parley is at (http://\S+?)/?\s").group(1)
