"""The migrations own the schema. They build exactly what the models describe, upgrade an
old store without losing or changing a row, can be undone, refuse a store written by a newer
Parley, and migrate a new store once even when several processes open it at the same moment.

The row-keeping check is general: for every migration it builds a store at the revision
before, fills every table that exists there, upgrades to head and compares every row, so a
new migration is covered the day it is added.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

import datastore
from datastore import InvalidValue, MTurkDataHandler, NotFound, StoreUnavailable, open_store
from datastore.engine import alembic_config, close_stores, writer
from tests.support.store_load import open_store_at_once, run_processes

SCRIPTS = ScriptDirectory.from_config(alembic_config())
HEADS = set(SCRIPTS.get_heads())
MIGRATIONS = [script for script in SCRIPTS.walk_revisions() if script.down_revision is not None]
"""Every revision that upgrades an existing schema (all but the first)."""
VERSION_TABLE = "alembic_version"
MODEL_TABLES = set(datastore.metadata.tables)


@contextmanager
def plain_connection(url: str) -> Iterator[Connection]:
    """A connection that bypasses open_store(): no migrations run, nothing cached."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def schema_diff(conn: Connection, models: sa.MetaData = datastore.metadata) -> list[Any]:
    """What `alembic revision --autogenerate` would write to turn this store into `models`."""
    return compare_metadata(MigrationContext.configure(conn), models)


def diff_ops(diff: list[Any]) -> list[str]:
    """The operation names in a diff; column changes come grouped in a list per column."""
    return [op[0] for entry in diff for op in (entry if isinstance(entry, list) else [entry])]


def current_revisions(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


# The schema the migrations build ------------------------------------------------------------

def test_migrations_build_exactly_the_schema_the_models_describe(store_url):
    open_store(store_url)
    with plain_connection(store_url) as conn:
        assert current_revisions(conn) == HEADS
        assert schema_diff(conn) == []


def copy_of_the_models() -> sa.MetaData:
    models = sa.MetaData(naming_convention=datastore.metadata.naming_convention)
    for table in datastore.metadata.sorted_tables:
        table.to_metadata(models)
    return models


def _set(obj: Any, attribute: str, value: Any) -> None:
    setattr(obj, attribute, value)


MODEL_CHANGES: dict[str, tuple[Callable[[sa.MetaData], Any], str]] = {
    "a column": (
        lambda m: m.tables["messages"].append_column(sa.Column("edited", sa.Float(), nullable=True)),
        "add_column",
    ),
    "a table": (
        lambda m: sa.Table("ratings", m, sa.Column("id", sa.Integer(), primary_key=True)),
        "add_table",
    ),
    "an index": (lambda m: sa.Index(None, m.tables["messages"].c.sender_id), "add_index"),
    "a longer string": (lambda m: _set(m.tables["runs"].c.taskname, "type", sa.String(500)), "modify_type"),
    "a NOT NULL": (lambda m: _set(m.tables["runs"].c.end_time, "nullable", False), "modify_nullable"),
}


@pytest.mark.parametrize("change", MODEL_CHANGES)
def test_the_schema_check_notices_a_model_change_that_has_no_migration(store_url, change):
    """Proof the check above has teeth: a model changed without a migration is reported."""
    apply_change, expected_op = MODEL_CHANGES[change]
    models = copy_of_the_models()
    apply_change(models)
    open_store(store_url)
    with plain_connection(store_url) as conn:
        assert diff_ops(schema_diff(conn, models)) == [expected_op]
        assert schema_diff(conn) == []  # the copy, not the real models, was changed


# Rows written by an older Parley ------------------------------------------------------------

@dataclass(frozen=True)
class Ref:
    """A foreign-key value: `column` of the `n`-th row inserted into `table`
    (needed for ids the database assigns)."""

    table: str
    n: int
    column: str = "id"


T0 = 1_714_000_000.125  # epoch seconds with a fraction, so any rounding on the way shows

SEED: dict[str, list[dict[str, Any]]] = {
    # What a Parley store at revision 0001 holds: three runs (live, sandbox, local), a finished
    # and reviewed conversation, one still going, one with only a bot in it.
    "runs": [
        dict(run_id="qa_live", taskname="qa_data_collection", provider="mturk", is_sandbox=False,
             is_test=False, status="completed", maximum=2, reward_cents=50, launch_time=T0,
             end_time=T0 + 7200.5,
             config={"title": "Réponds aux questions", "keywords": ["qa", "日本語"],
                     "turns": 3, "nested": {"ratio": 0.25, "flags": [True, None]}}),
        dict(run_id="deal_sandbox", taskname="dealnodeal", provider="mturk", is_sandbox=True,
             is_test=True, status="running", maximum=1, reward_cents=25, launch_time=T0 + 100,
             end_time=None, config=None),
        dict(run_id="local_demo", taskname="multi_agent_dialog", provider="local", is_sandbox=False,
             is_test=False, status="stopped", maximum=5, reward_cents=0, launch_time=T0 + 200,
             end_time=T0 + 900, config={"note": "tâche locale 🙂"}),
    ],
    "workers": [
        dict(worker_id=worker_id, first_seen=T0 + n)
        for n, worker_id in enumerate(["W_ANA", "W_BORIS", "W_CHLOÉ", "W_DMITRI"])
    ],
    "hits": [
        dict(hit_id=hit_id, run_id=run_id, hit_type_id=f"HT_{run_id}", hit_status=status,
             expiration=T0 + 86_400, assignments_pending=0, assignments_available=available,
             assignments_complete=complete, created=T0 + n, updated=T0 + n + 60.25)
        for n, (hit_id, run_id, status, available, complete) in enumerate([
            ("qa_H1", "qa_live", "Reviewable", 0, 1),
            ("qa_H2", "qa_live", "Reviewable", 0, 1),
            ("qa_H3", "qa_live", "Assignable", 1, 0),
            ("deal_H1", "deal_sandbox", "Unassignable", 0, 0),
            ("local_H1", "local_demo", "Unassignable", 0, 0),
        ])
    ],
    "assignments": [
        dict(assignment_id="qa_A1", hit_id="qa_H1", run_id="qa_live", worker_id="W_ANA",
             status="approved", accepted=T0 + 10, updated=T0 + 4000, approve_time=T0 + 604_800,
             feedback=None),
        dict(assignment_id="qa_A2", hit_id="qa_H2", run_id="qa_live", worker_id="W_BORIS",
             status="rejected", accepted=T0 + 11, updated=T0 + 4001, approve_time=T0 + 604_801,
             feedback="Réponses hors sujet — désolé / 申し訳ない"),
        dict(assignment_id="qa_A3", hit_id="qa_H3", run_id="qa_live", worker_id="W_CHLOÉ",
             status="returned", accepted=T0 + 12, updated=T0 + 30, approve_time=None,
             feedback=None),
        dict(assignment_id="deal_A1", hit_id="deal_H1", run_id="deal_sandbox",
             worker_id="W_DMITRI", status="in_task", accepted=T0 + 110, updated=T0 + 120,
             approve_time=None, feedback=None),
        dict(assignment_id="deal_A2", hit_id="deal_H1", run_id="deal_sandbox", worker_id="W_ANA",
             status="in_task", accepted=T0 + 111, updated=T0 + 121, approve_time=None,
             feedback=None),
        dict(assignment_id="local_A1", hit_id="local_H1", run_id="local_demo",
             worker_id="W_BORIS", status="onboarding", accepted=T0 + 210, updated=T0 + 211,
             approve_time=None, feedback=None),
    ],
    "pairings": [
        dict(assignment_id="qa_A1", worker_id="W_ANA", run_id="qa_live", onboarding_id="o_1",
             onboarding_start=T0 + 13, onboarding_end=T0 + 40, task_start=T0 + 50,
             task_end=T0 + 3000, conversation_id="t_1", agent_id="Asker", bonus_amount_cents=125,
             bonus_text="Merci ! 👍", bonus_paid=True, notes="great asker\n",
             world_data={"rating": 5, "comment": "très bien"}),
        dict(assignment_id="qa_A2", worker_id="W_BORIS", run_id="qa_live", onboarding_id="o_2",
             onboarding_start=T0 + 14, onboarding_end=T0 + 41, task_start=T0 + 50,
             task_end=T0 + 3000, conversation_id="t_1", agent_id="Answerer",
             bonus_amount_cents=0, bonus_text="", bonus_paid=False, notes="",
             world_data={"rating": 2, "tags": ["off-topic", "короткий"]}),
        dict(assignment_id="qa_A3", worker_id="W_CHLOÉ", run_id="qa_live", onboarding_id=None,
             onboarding_start=None, onboarding_end=None, task_start=None, task_end=None,
             conversation_id=None, agent_id=None, bonus_amount_cents=0, bonus_text="",
             bonus_paid=False, notes="returned before pairing", world_data=None),
        dict(assignment_id="deal_A1", worker_id="W_DMITRI", run_id="deal_sandbox",
             onboarding_id=None, onboarding_start=None, onboarding_end=None,
             task_start=T0 + 120, task_end=None, conversation_id="d_1", agent_id="Buyer",
             bonus_amount_cents=0, bonus_text="", bonus_paid=False, notes="", world_data=None),
        dict(assignment_id="deal_A2", worker_id="W_ANA", run_id="deal_sandbox",
             onboarding_id=None, onboarding_start=None, onboarding_end=None,
             task_start=T0 + 121, task_end=None, conversation_id="d_1", agent_id="Seller",
             bonus_amount_cents=0, bonus_text="", bonus_paid=False, notes="", world_data=None),
        dict(assignment_id="local_A1", worker_id="W_BORIS", run_id="local_demo",
             onboarding_id="o_3", onboarding_start=T0 + 212, onboarding_end=None,
             task_start=None, task_end=None, conversation_id=None, agent_id=None,
             bonus_amount_cents=0, bonus_text="", bonus_paid=False, notes="", world_data=None),
    ],
    "conversations": [
        dict(run_id="qa_live", conversation_id="t_1", started=T0 + 50, ended=T0 + 3000,
             custom_data={"topic": "géographie", "paragraph": "Paris est en France."}),
        dict(run_id="deal_sandbox", conversation_id="d_1", started=T0 + 120, ended=None,
             custom_data=None),
        dict(run_id="local_demo", conversation_id="solo", started=T0 + 300, ended=T0 + 301,
             custom_data={"bots_only": True}),
    ],
    "messages": [
        dict(conversation_pk=Ref("conversations", conversation), sender_id=sender,
             worker_id=worker_id, assignment_id=assignment_id,
             client_msg_id=f"{assignment_id}-{turn}" if assignment_id else None,
             turn_index=turn, payload=payload, created=T0 + 60 + n)
        for n, (conversation, sender, worker_id, assignment_id, turn, payload) in enumerate([
            (0, "System", None, None, None,
             {"id": "System", "text": "Lis le paragraphe.",
              "task_data": {"paragraph": "Paris est en France. 🇫🇷"}}),
            (0, "Asker", "W_ANA", "qa_A1", 0,
             {"id": "Asker", "text": "Où est Paris ?", "episode_done": False}),
            (0, "Answerer", "W_BORIS", "qa_A2", 0,
             {"id": "Answerer", "text": "En France — 在法国.", "episode_done": False}),
            (0, "Asker", "W_ANA", "qa_A1", 1,
             {"id": "Asker", "text": "Merci 🙏", "episode_done": True}),
            (0, "Answerer", "W_BORIS", "qa_A2", 1,
             {"id": "Answerer", "text": "De rien", "episode_done": True,
              "extra": {"nested": [1, 2.5, None, False]}}),
            (1, "Buyer", "W_DMITRI", "deal_A1", 0,
             {"id": "Buyer", "text": "I'll take the books 📚", "items": {"book": 2, "hat": 0}}),
            (1, "Seller", "W_ANA", "deal_A2", 0, {"text": "Deal?", "episode_done": False}),
            (2, "Bot", None, None, None, {"text": "Bonjour le monde", "episode_done": True}),
        ])
    ],
}
INVENTED_ROWS = 3
"""Rows for a table SEED does not describe (one a later migration created)."""


def store_tables(conn: Connection) -> sa.MetaData:
    """The store's tables as they are now (whatever its revision), without Alembic's own."""
    tables = sa.MetaData()
    tables.reflect(conn, only=lambda name, _: name != VERSION_TABLE)
    return tables


def fill_every_table(conn: Connection, tables: sa.MetaData) -> dict[str, list[dict[str, Any]]]:
    """Insert rows into every table in `tables`: SEED's rows where SEED has the table, else
    invented ones; a column SEED does not name (one a later migration added) gets an
    invented value too. Answers every table's rows as stored, database-assigned ids included."""
    inserted: dict[str, list[dict[str, Any]]] = {}
    for table in tables.sorted_tables:
        inserted[table.name] = []
        for n, seed_row in enumerate(SEED.get(table.name) or [{}] * INVENTED_ROWS):
            values = {name: value for name, value in seed_row.items() if name in table.c}
            for column in table.columns:
                if column.name not in values and column is not table.autoincrement_column:
                    values[column.name] = invented_value(table, column, n, inserted)
            values = {
                name: inserted[v.table][v.n][v.column] if isinstance(v, Ref) else v
                for name, v in values.items()
            }
            result = conn.execute(table.insert().values(values))
            key = [column.name for column in table.primary_key.columns]
            inserted[table.name].append({**values, **dict(zip(key, result.inserted_primary_key))})
    return inserted


def invented_value(
    table: sa.Table, column: sa.Column[Any], n: int, inserted: dict[str, list[dict[str, Any]]]
) -> Any:
    """A value for row `n` of `column`: a reference to an existing row for a foreign key,
    otherwise a value of the column's type that differs from row to row (unique constraints)."""
    for foreign_key in column.foreign_keys:
        target = foreign_key.column
        rows = inserted.get(target.table.name)
        if rows:
            return Ref(target.table.name, n % len(rows), target.name)
        if column.nullable:
            return None
        raise AssertionError(f"cannot fill {table.name}.{column.name}: {target.table.name} is empty")
    if isinstance(column.type, sa.JSON):
        return {"row": n, "text": "ünïcødé ✓ 🙂", "list": [1, 2.5, None, True]}
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = None
    if kind is bool:
        return n % 2 == 0
    if kind is int:
        return 1000 + n
    if kind is float:
        return T0 + n + 0.5
    if kind is str:
        text = f"{n} {table.name}.{column.name} ünïcødé ✓ 🙂"
        length = getattr(column.type, "length", None)
        return text[:length] if length else text
    raise AssertionError(
        f"fill_every_table cannot invent a {column.type} for {table.name}.{column.name}: "
        "teach invented_value() about it"
    )


def rows_now(conn: Connection, tables: sa.MetaData) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table in `tables`, read from the store as it is now, keeping only
    the columns `tables` knows, in primary-key order."""
    now = store_tables(conn)
    gone = sorted(set(tables.tables) - set(now.tables))
    assert not gone, f"tables that held rows are gone: {gone}"
    rows: dict[str, list[dict[str, Any]]] = {}
    for name, old in tables.tables.items():
        table = now.tables[name]
        gone = [column.name for column in old.columns if column.name not in table.c]
        assert not gone, f"columns of {name} that held values are gone: {gone}"
        key = [column.name for column in old.primary_key.columns]
        result = conn.execute(sa.select(*(table.c[column.name] for column in old.columns)))
        rows[name] = sorted(
            (dict(row._mapping) for row in result), key=lambda row: tuple(row[k] for k in key)
        )
    return rows


@dataclass
class FilledStore:
    tables: sa.MetaData
    """The tables at the revision the store was built at (without alembic_version)."""
    rows: dict[str, list[dict[str, Any]]]
    """Every row, read back right after writing it."""


def filled_store_at(url: str, revision: str | tuple[str, ...]) -> FilledStore:
    """Build a new store at `revision` (without open_store, which would go to head) and
    fill every table it has; check each row reads back as written."""
    with plain_connection(url) as conn:
        for target in [revision] if isinstance(revision, str) else revision:
            command.upgrade(alembic_config(conn), target)
        conn.commit()
        tables = store_tables(conn)
        inserted = fill_every_table(conn, tables)
        conn.commit()
        rows = rows_now(conn, tables)
    for name, table in tables.tables.items():
        key = [column.name for column in table.primary_key.columns]
        assert rows[name] == sorted(inserted[name], key=lambda row: tuple(row[k] for k in key))
    return FilledStore(tables, rows)


@pytest.mark.parametrize(
    "migration", MIGRATIONS, ids=lambda script: f"from_{script.down_revision}_through_{script.revision}"
)
def test_upgrading_to_head_from_before_each_migration_keeps_every_row_of_every_table(
    store_url, migration
):
    before = filled_store_at(store_url, migration.down_revision)
    open_store(store_url)
    with plain_connection(store_url) as conn:
        assert current_revisions(conn) == HEADS
        assert rows_now(conn, before.tables) == before.rows


def test_reopening_a_store_at_head_keeps_every_row_of_every_table(store_url):
    """The same check with nothing to upgrade; it also shows the filler copes with
    every table of today's schema, ready for the next migration."""
    before = filled_store_at(store_url, "heads")
    assert set(before.tables.tables) == MODEL_TABLES
    MTurkDataHandler(db_url=store_url)
    with plain_connection(store_url) as conn:
        assert rows_now(conn, before.tables) == before.rows


def test_a_store_written_at_0001_upgrades_with_every_row_kept_and_reads_back_through_the_handler(
    store_url,
):
    before = filled_store_at(store_url, "0001")
    assert set(before.tables.tables) == set(SEED), "SEED describes every table of revision 0001"

    handler = MTurkDataHandler(db_url=store_url)

    with plain_connection(store_url) as conn:
        assert current_revisions(conn) == HEADS
        assert set(sa.inspect(conn).get_table_names()) == MODEL_TABLES | {VERSION_TABLE}
        assert rows_now(conn, before.tables) == before.rows

    runs = handler.get_all_run_data()
    assert [run["run_id"] for run in runs] == ["local_demo", "deal_sandbox", "qa_live"]
    for run in runs:
        seeded = next(row for row in SEED["runs"] if row["run_id"] == run["run_id"])
        assert {key: run[key] for key in seeded} == seeded
        assert handler.get_run_data(run["run_id"]) == run
    counts = {run["run_id"]: (run["created"], run["completed"], run["failed"]) for run in runs}
    assert counts == {"qa_live": (3, 2, 1), "deal_sandbox": (1, 0, 0), "local_demo": (1, 0, 0)}

    for run_id in ("qa_live", "deal_sandbox", "local_demo"):
        pairings = handler.get_pairings_for_run(run_id)
        seeded = [row for row in SEED["pairings"] if row["run_id"] == run_id]
        assert [p["assignment_id"] for p in pairings] == [row["assignment_id"] for row in seeded]
        for pairing, row in zip(pairings, seeded):
            assert pairing["status"] == status_of(row["assignment_id"])
            assert {key: pairing[key] for key in pairing.keys() if key != "status"} == {
                key: row[key] for key in pairing.keys() if key != "status"
            }

    t_1 = handler.get_full_conversation_data("qa_live", "t_1", False)
    assert t_1 is not None
    assert t_1["custom_data"] == {"topic": "géographie", "paragraph": "Paris est en France."}
    assert t_1["messages"] == messages_as_read_back(0)
    assert t_1["workers"] == workers_as_read_back("t_1")

    assert handler.get_full_conversation_data("deal_sandbox", "d_1", False) is None
    d_1 = handler.get_full_conversation_data("deal_sandbox", "d_1", True)
    assert d_1 is not None and d_1["custom_data"] is None and d_1["ended"] is None
    assert d_1["messages"] == messages_as_read_back(1)
    assert d_1["workers"] == workers_as_read_back("d_1")

    solo = handler.get_full_conversation_data("local_demo", "solo", False)
    assert solo is not None and solo["workers"] == []
    assert solo["messages"] == messages_as_read_back(2)

    rejected = handler.get_assignment_data("qa_A2")
    assert rejected is not None and rejected["feedback"] == "Réponses hors sujet — désolé / 申し訳ない"
    assert handler.get_worker_data("W_CHLOÉ") is not None


def status_of(assignment_id: str) -> str:
    return next(row["status"] for row in SEED["assignments"] if row["assignment_id"] == assignment_id)


def messages_as_read_back(conversation: int) -> list[dict[str, Any]]:
    """SEED's messages of its `conversation`-th conversation, as the handler's readers
    promise to answer them: the act as sent, plus who sent it, in which turn and when, and
    for a worker's message how it was composed and scored (nothing recorded before 0017
    and 0018)."""
    answers = []
    for row in SEED["messages"]:
        if row["conversation_pk"] != Ref("conversations", conversation):
            continue
        message = {"id": row["sender_id"], **row["payload"]}
        if row["client_msg_id"] is not None:
            message["message_id"] = row["client_msg_id"]
        message.update(worker_id=row["worker_id"], assignment_id=row["assignment_id"],
                       turn_index=row["turn_index"], timestamp=row["created"])
        if row["worker_id"] is not None:
            message.update(signals=None, flags=[], detector_score=None)
        answers.append(message)
    return answers


def workers_as_read_back(conversation_id: str) -> list[dict[str, Any]]:
    return [
        {"worker_id": row["worker_id"], "assignment_id": row["assignment_id"],
         "agent_id": row["agent_id"], "status": status_of(row["assignment_id"]),
         "data": row["world_data"]}
        for row in SEED["pairings"]
        if row["conversation_id"] == conversation_id
    ]


# Going back, and going forward past what this code knows ------------------------------------

def test_an_empty_store_downgrades_to_base_and_upgrades_back_to_the_models_schema(store_url):
    engine = open_store(store_url)
    with writer(engine).connect() as conn:
        command.downgrade(alembic_config(conn), "base")
        conn.commit()
        assert set(sa.inspect(conn).get_table_names()) == {VERSION_TABLE}
        assert current_revisions(conn) == set()

        command.upgrade(alembic_config(conn), "heads")
        conn.commit()
        assert current_revisions(conn) == HEADS
        assert schema_diff(conn) == []


def test_the_money_guard_migration_gives_every_bonus_and_verdict_already_done_its_guard(store_url):
    from crowd.local.provider import LocalProvider
    from crowd.review import ReviewRefused, ReviewService
    from tests.support.builders import completed_conversation

    handler = MTurkDataHandler(db_url=store_url)
    built = completed_conversation(handler, provider="local")
    review = ReviewService(handler, lambda run: LocalProvider())
    review.bonus(built.assignments[0], "1.00", actor="alice", reason="Thanks")
    review.approve(built.assignments[1], actor="alice")
    with writer(open_store(store_url)).connect() as conn:  # a store from before the guard...
        command.downgrade(alembic_config(conn), "0004")
        conn.commit()
        command.upgrade(alembic_config(conn), "heads")  # ...brought up to date
        conn.commit()
        guards = conn.execute(sa.text("SELECT assignment_id, slot FROM review_guards ORDER BY slot")).all()
    assert [tuple(g) for g in guards] == [(built.assignments[0], "bonus"), (built.assignments[1], "verdict")]
    with pytest.raises(ReviewRefused, match="already paid a bonus of \\$1.00"):
        review.bonus(built.assignments[0], "2.00", actor="bob", reason="More")
    assert review.approve(built.assignments[1], actor="bob").repeated


def insert_old_run(conn: Connection, run_id: str, provider: str) -> None:
    """A finished run, written with the columns every revision since 0001 has."""
    conn.execute(sa.text("INSERT INTO runs (run_id, taskname, provider, is_sandbox, is_test, status, maximum, "
                         "reward_cents, launch_time) VALUES (:r, 't', :p, false, false, 'completed', 1, 0, 1.0)"),
                 {"r": run_id, "p": provider})


def test_the_workers_provider_migration_names_each_worker_with_their_first_runs_marketplace(store_url):
    with plain_connection(store_url) as conn:
        command.upgrade(alembic_config(conn), "0006")
        for run_id, provider in (("R-local", "local"), ("R-other", "example")):
            insert_old_run(conn, run_id, provider)
            conn.execute(sa.text("INSERT INTO hits (hit_id, run_id, hit_status, expiration, assignments_pending, "
                                 "assignments_available, assignments_complete, created, updated) VALUES "
                                 "(:h, :r, 'Disposed', 1.0, 0, 0, 0, 1.0, 1.0)"), {"h": f"H-{run_id}", "r": run_id})
        for worker in ("W-both", "W-other", "W-idle"):
            conn.execute(sa.text("INSERT INTO workers (worker_id, first_seen) VALUES (:w, 1.0)"), {"w": worker})
        for assignment, worker, run_id, accepted in (("A1", "W-both", "R-other", 5.0), ("A2", "W-both", "R-local", 2.0),
                                                     ("A3", "W-other", "R-other", 1.0)):
            conn.execute(sa.text("INSERT INTO assignments (assignment_id, hit_id, run_id, worker_id, status, "
                                 "accepted, updated) VALUES (:a, :h, :r, :w, 'approved', :t, :t)"),
                         {"a": assignment, "h": f"H-{run_id}", "r": run_id, "w": worker, "t": accepted})
        conn.commit()
    handler = MTurkDataHandler(db_url=store_url)
    assert [handler.get_worker_data(w)["provider"] for w in ("W-both", "W-other", "W-idle")] == [
        "local", "example", None]


def test_a_store_at_a_revision_this_code_does_not_know_is_refused_and_left_alone(store_url):
    open_store(store_url)
    close_stores()
    with plain_connection(store_url) as conn:
        conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = 'f00d_from_a_newer_parley'"))
        conn.commit()

    with pytest.raises(StoreUnavailable) as refused:
        MTurkDataHandler(db_url=store_url)

    message = str(refused.value)
    assert "f00d_from_a_newer_parley" in message
    assert "newer than this version of Parley knows" in message
    with plain_connection(store_url) as conn:
        assert current_revisions(conn) == {"f00d_from_a_newer_parley"}
        assert set(sa.inspect(conn).get_table_names()) == MODEL_TABLES | {VERSION_TABLE}


# Many processes opening one new store ------------------------------------------------------

def test_three_processes_opening_the_same_new_store_at_once_all_succeed_and_leave_it_at_head(
    store_url,
):
    revisions_seen = run_processes(open_store_at_once, [(store_url,)] * 3, timeout=180)

    assert [set(seen) for seen in revisions_seen] == [HEADS] * 3
    with plain_connection(store_url) as conn:
        versions = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        assert sorted(versions) == sorted(HEADS)
        assert schema_diff(conn) == []


def test_a_store_that_is_locked_for_a_moment_while_opening_is_opened_once_it_is_free(store_url, monkeypatch):
    """What a process meets when another turns a new SQLite file to WAL or migrates it."""
    configure, locked = MigrationContext.configure, []

    def locked_twice(*args, **kwargs):
        if len(locked) < 2:
            locked.append(True)
            raise sa.exc.OperationalError("SELECT version_num", {}, Exception("database is locked"))
        return configure(*args, **kwargs)

    monkeypatch.setattr(MigrationContext, "configure", locked_twice)
    open_store(store_url)
    assert len(locked) == 2
    with plain_connection(store_url) as conn:
        assert current_revisions(conn) == HEADS


def test_the_review_progress_migration_keeps_an_unsettled_bonus_which_then_records_its_steps(store_url):
    """A bonus left unknown by a Parley from before 0008 has no steps: it is settled as before
    (asked of the marketplace), and a new step is recorded on it like on any other row."""
    with plain_connection(store_url) as conn:
        command.upgrade(alembic_config(conn), "0007")
        conn.execute(sa.text("INSERT INTO workers (worker_id, first_seen) VALUES ('W1', 1.0)"))
        conn.execute(sa.text("INSERT INTO review_actions (token, action, actor, worker_id, amount_cents, reason, "
                             "outcome, created) VALUES ('tok', 'bonus', 'alice', 'W1', 50, 'Thanks', 'unknown', 1.0)"))
        conn.commit()
    handler = MTurkDataHandler(db_url=store_url)
    row = handler.get_review_action("tok")
    assert (row["outcome"], row["amount_cents"], row["provider_progress"]) == ("unknown", 50, None)
    assert handler.record_review_progress("tok", "set_up", {"bonus_id": "B1"}, after=None)
    assert handler.get_review_action("tok")["provider_progress"] == {"bonus_id": "B1", "step": "set_up"}


def test_the_runs_currency_migration_gives_every_existing_run_us_dollars(store_url):
    with plain_connection(store_url) as conn:
        command.upgrade(alembic_config(conn), "0008")
        for run_id, provider in (("R-mturk", "mturk"), ("R-local", "local")):
            insert_old_run(conn, run_id, provider)
        conn.commit()
    handler = MTurkDataHandler(db_url=store_url)
    assert [handler.get_run_data(r)["currency"] for r in ("R-mturk", "R-local")] == ["USD", "USD"]
    handler.log_run_currency("R-local", "GBP")
    assert handler.get_run_data("R-local")["currency"] == "GBP"
    new = handler.log_new_run(1, "t", provider="local")
    assert handler.get_run_data(new)["currency"] == "USD"  # until its provider says otherwise
    with pytest.raises(InvalidValue, match="a currency is a three-letter code such as USD or GBP, not 'pounds'"):
        handler.log_run_currency(new, "pounds")
    with pytest.raises(NotFound):
        handler.log_run_currency("R-nope", "GBP")


def test_a_run_from_before_form_tasks_takes_form_items_claims_and_answers_once_upgraded(store_url):
    """0016 adds the form tables beside what a store at 0015 holds: a run and a worker's
    assignment written then are used as they are."""
    from tests.support.builders import accept

    with plain_connection(store_url) as conn:
        command.upgrade(alembic_config(conn), "0015")
        insert_old_run(conn, "R-old", "local")
        conn.execute(sa.text("UPDATE runs SET status = 'running' WHERE run_id = 'R-old'"))
        conn.commit()
    handler = MTurkDataHandler(db_url=store_url)
    assignment_id = accept(handler, "R-old", "W1", 1)

    assert handler.register_form_items("R-old", [{"item_id": "i1", "data": {"text": "Hello"}, "gold": None}]) == 1
    [item] = handler.claim_form_items("R-old", assignment_id, "W1", 1, 1)
    handler.log_form_answer("R-old", assignment_id, "W1", item.item_id, {"label": "yes"})

    assert handler.form_progress("R-old", 1) == {"items": 1, "complete": 1, "answers": 1}
    assert handler.get_run_data("R-old")["status"] == "running"


def insert_old_worker_message(conn: sa.Connection) -> None:
    """Run R-old, with worker W1's message "old" in its conversation t_1."""
    insert_old_run(conn, "R-old", "local")
    for statement in ("INSERT INTO workers (worker_id, first_seen) VALUES ('W1', 1.0)",
                      "INSERT INTO conversations (run_id, conversation_id, started) VALUES ('R-old', 't_1', 1.0)",
                      "INSERT INTO messages (conversation_pk, sender_id, worker_id, payload, created) "
                      """SELECT id, 'Asker', 'W1', '{"id": "Asker", "text": "old"}', 2.0 FROM conversations"""):
        conn.execute(sa.text(statement))
    conn.commit()


def test_a_message_from_before_authenticity_signals_reads_without_them_and_new_ones_take_flags(store_url):
    """0017 adds `messages.signals` (NULL for what was stored) and `message_flags`: a worker's
    message written at 0016 reads back with no signals and no flags, and one logged after the
    upgrade keeps both."""
    with plain_connection(store_url) as conn:
        command.upgrade(alembic_config(conn), "0016")
        insert_old_worker_message(conn)
    handler = MTurkDataHandler(db_url=store_url)
    logged = handler.log_message("R-old", "t_1", "Asker", {"text": "new"}, worker_id="W1",
                                 signals={"keys": 3}, flags=[("pasted", {"count": 1})])

    old, new = handler.get_messages("R-old", "t_1")
    assert (old["text"], old["signals"], old["flags"]) == ("old", None, [])
    assert (new["signals"], [f["flag"] for f in new["flags"]]) == ({"keys": 3}, ["pasted"])
    assert [f["message_pk"] for f in handler.get_message_flags("R-old", "W1")] == [logged.id]


def test_a_message_from_before_detector_scores_reads_unscored_and_new_ones_keep_their_score(store_url):
    """0018 adds `messages.detector_score` and the signals and flags of form answers: what was
    stored at 0017 reads back unscored, and a message logged after the upgrade keeps its score."""
    with plain_connection(store_url) as conn:
        command.upgrade(alembic_config(conn), "0017")
        insert_old_worker_message(conn)
    handler = MTurkDataHandler(db_url=store_url)
    handler.log_message("R-old", "t_1", "Asker", {"text": "new"}, worker_id="W1", detector_score=0.25)

    old, new = handler.get_messages("R-old", "t_1")
    assert (old["text"], old["detector_score"], new["detector_score"]) == ("old", None, 0.25)
