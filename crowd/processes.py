"""Which process on which machine does a piece of work, and whether it is gone: how a later
process tells a run or a review action still in progress from one whose process died."""
from __future__ import annotations

import os
import socket


def this_host() -> str:
    return socket.gethostname()


def process_is_gone(host: str | None, pid: object) -> bool:
    """True only when `host` is this machine and no process `pid` runs here any more. Work of
    another machine (or with no process recorded) is never taken for dead: only its own
    machine can tell."""
    if host != this_host() or not isinstance(pid, int) or isinstance(pid, bool):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # a process of another user has that pid: it runs
        return False
    return False
