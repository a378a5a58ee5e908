"""Type names for queries and rows of any shape (SQLAlchemy 2.1 types them by their
columns; helpers that take any query say so once, here)."""
from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy import Row, Select

AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"
AnyRow: TypeAlias = "Row[*tuple[Any, ...]]"
