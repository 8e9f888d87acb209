"""Alembic's entry point. `synth.schema.upgrade` passes an open connection (already inside the transaction that
holds the schema lock) in `config.attributes["connection"]`; run from the `alembic` command instead, the store is
the one the settings name, and the models are loaded so `--autogenerate` can compare them with it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData

connection = context.config.attributes.get("connection")
metadata: MetaData | None = None

if connection is None:  # the `alembic` command (a developer writing a revision)
    from synth.db_engine import make_engine
    from synth.schema import all_metadata
    from synth.settings import Settings

    metadata = all_metadata()
    with make_engine(Settings().resolved_database_url).begin() as conn:
        context.configure(connection=conn, target_metadata=metadata,
                          render_as_batch=conn.dialect.name == "sqlite")
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():  # a no-op inside the caller's transaction
        context.run_migrations()
