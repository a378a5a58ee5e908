"""The row type the handler's readers return.

It behaves like `sqlite3.Row`, which ParlAI's handler returned, so existing scripts keep
working: `row['col']`, `row[0]`, `row.keys()`, iteration over values, and therefore
`dict(zip(row.keys(), row))` and `dict(row)`.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class Record:
    __slots__ = ("_keys", "_values")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._keys = tuple(data.keys())
        self._values = tuple(data.values())

    def keys(self) -> list[str]:
        return list(self._keys)

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, int):
            return self._values[key]
        try:
            return self._values[self._keys.index(key)]
        except ValueError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._keys else default

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record):
            return self._keys == other._keys and self._values == other._values
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._keys, self._values))

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(self._keys, self._values))

    def __repr__(self) -> str:
        return f"Record({self.as_dict()!r})"
