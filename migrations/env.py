"""Alembic environment: migrate the connection open_store() hands in, or, from the
`alembic` command line, the store named by PARLEY_DATABASE_URL (default: ./data/parley.db)."""
from logging.config import fileConfig

from alembic import context

import datastore
from datastore.engine import default_url, writer

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_on(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=datastore.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    from datastore.engine import _create_engine  # the same pragmas as open_store()

    engine = _create_engine(config.get_main_option("sqlalchemy.url") or default_url())
    with writer(engine).connect() as conn:
        run_on(conn)
        conn.commit()
    engine.dispose()
