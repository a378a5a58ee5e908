"""ParlAI's `parlai.core.worlds` as task folders use it: `validate` of an act."""
from __future__ import annotations

from typing import Any


def validate(observation: Any) -> dict[str, Any]:
    """The observation itself when it is a dict (an act), as ParlAI's validate answers;
    anything else is a mistake in the world, raised at once."""
    if isinstance(observation, dict):
        return observation
    raise RuntimeError("Must return dictionary or Message from act().")
