"""A run's text detector: a Python callable the researcher trusts (a classifier of their own,
say) that scores a worker's message from 0 (written by a person) to 1 (not). Parley ships no
model. The task names it in its config (`text_detector`: "module:function") or the run with
`runner run TASK --text-detector module:function`; the module is imported from the task's
folder or from anywhere Python finds modules. Each worker message's score is stored with it
(`messages.detector_score`), and a score at or above the task's `detector_threshold`
(default 0.5) flags the message `detector` too.

The detector runs on the sending worker's own thread before their message is stored, so a
slow detector slows that worker's acknowledgements and nobody else's. A detector that raises,
or answers something other than a number from 0 to 1, leaves that message unscored (a warning
in the runner's log says why); it never keeps a message from being stored.
"""
from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_THRESHOLD = 0.5
DETECTOR = "detector"

log = logging.getLogger(__name__)


class DetectorError(Exception):
    """The named detector cannot be used; the message says why, in a sentence."""


@dataclass(frozen=True)
class TextDetector:
    name: str
    """How the task or the flag named it ("module:function")."""
    score_text: Callable[[str], Any]
    threshold: float

    def score(self, text: str) -> float | None:
        """The detector's score of `text`, or None when it failed (logged)."""
        try:
            value = self.score_text(text)
        except Exception as exc:  # the researcher's code: any failure leaves the message unscored
            log.warning("text detector %s failed on a message: %s: %s", self.name, type(exc).__name__, exc)
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            log.warning("text detector %s answered %r, not a number from 0 to 1", self.name, value)
            return None
        return float(value)

    def flag(self, score: float | None) -> tuple[str, dict[str, Any]] | None:
        """The `detector` flag a score earns, if it reaches the threshold."""
        if score is None or score < self.threshold:
            return None
        return DETECTOR, {"score": score, "threshold": self.threshold, "detector": self.name}


def threshold_problem(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        return "detector_threshold must be a number from 0 to 1"
    return None


def load_detector(name: str, threshold: float, task_dir: Path) -> TextDetector:
    """The detector `name` ("module:function") names, imported from `task_dir` or sys.path.
    Raises DetectorError with a sentence when it cannot be imported or called."""
    module_name, _, attribute = name.partition(":")
    if not module_name or not attribute:
        raise DetectorError(f"a text detector is named module:function, not {name!r}")
    folder = str(task_dir)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise DetectorError(f"text detector {name}: module {module_name} cannot be imported "
                            f"({type(exc).__name__}: {exc})") from None
    finally:
        if added:
            sys.path.remove(folder)
    score_text = getattr(module, attribute, None)
    if not callable(score_text):
        raise DetectorError(f"text detector {name}: {module_name} has no function {attribute}")
    return TextDetector(name, score_text, threshold)


def detector_for(name: str | None, threshold: float, task_dir: Path) -> TextDetector | None:
    """The detector a run uses: the one `name` names (the run's flag, else the task's config),
    or None when neither names one."""
    return None if name is None else load_detector(name, threshold, task_dir)
