"""Record behaves like sqlite3.Row, which ParlAI scripts were written against."""
import sqlite3

import pytest

from datastore import Record


def test_record_supports_the_same_idioms_as_sqlite3_row():
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    row = conn.execute("SELECT 'r1' AS run_id, 3 AS maximum").fetchone()
    record = Record({"run_id": "r1", "maximum": 3})
    for r in (row, record):
        assert r["run_id"] == "r1" and r[1] == 3
        assert list(r.keys()) == ["run_id", "maximum"]
        assert list(r) == ["r1", 3]
        assert dict(zip(r.keys(), r)) == {"run_id": "r1", "maximum": 3}
        assert len(r) == 2
    assert dict(record) == {"run_id": "r1", "maximum": 3}


def test_record_lookup_errors_and_helpers():
    record = Record({"a": 1})
    with pytest.raises(KeyError):
        record["b"]
    assert record.get("b", 7) == 7 and "a" in record and "b" not in record
    assert record == Record({"a": 1}) and record != Record({"a": 2})
    assert record.as_dict() == {"a": 1} and "a" in repr(record)
