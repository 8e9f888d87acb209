"""Schema migrations, on SQLite and on a real PostgreSQL server: the revisions build exactly the tables the code
defines (so a new table or column without a revision fails here), a store made by an older synth keeps its data
when a new synth opens it, and processes opening a fresh store at once do not trip over each other."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from synth import schema
from synth.db import Base, RecordStore
from synth.db_engine import make_engine
from synth.forget import Forgetter
from synth.synthesis.store import SynthesisStore


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'store.db'}"


def _differences(engine: sa.Engine, metadata: sa.MetaData) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return [d for d in compare_metadata(ctx, metadata) if not (d[0] == "remove_table"  # type: ignore[index]
                                                                      and d[1].name == "alembic_version")]


def test_upgrading_an_empty_store_gives_exactly_the_tables_the_code_defines(empty_url: str) -> None:
    engine = make_engine(empty_url)
    assert schema.current(engine) is None
    schema.upgrade(engine)
    assert schema.current(engine) == schema.head()
    metadata = schema.all_metadata()
    assert {"records", "spans", "summaries", "llm_annotations", "ask_cache"} <= set(metadata.tables)
    assert _differences(engine, metadata) == []
    # The comparison does see a table the revisions lack (so the check above can fail).
    extra = sa.MetaData()
    for table in metadata.tables.values():
        table.to_metadata(extra)
    sa.Table("new_feature", extra, sa.Column("id", sa.Integer, primary_key=True))
    assert [d[0] for d in _differences(engine, extra)] == ["add_table"]  # type: ignore[index]
    engine.dispose()


def _old_store(url: str) -> None:
    """A store as synth made it before migrations: the record tables only (the synthesis tables came on first
    use), created by `create_all`, without the columns added later, holding a record, a chunk and a run."""
    engine = make_engine(url)
    tables = [Base.metadata.tables[n] for n in ("ingest_runs", "records", "chunks", "rejections", "meta")]
    Base.metadata.create_all(engine, tables=tables)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE records DROP COLUMN text_hash"))
        conn.execute(sa.text("ALTER TABLE records DROP COLUMN date_precision"))
        conn.execute(sa.text("ALTER TABLE ingest_runs DROP COLUMN host"))
        conn.execute(sa.text("INSERT INTO ingest_runs (started_at, status, sources, counts) "
                             "VALUES (:t, 'done', '[]', '{}')"), {"t": dt.datetime(2025, 1, 2)})
        conn.execute(sa.text(
            "INSERT INTO records (id, kind, text, district, date, channel, language, top_concerns, source_file, "
            "source_row, redactions, run_id, ingested_at, indexed) VALUES ('r1', 'comment', 'Lights out on "
            "Elm.', 'District 1', :d, 'web_form', 'en', '[]', 'a.csv', 2, '{}', 1, :t, :f)"),
            {"d": dt.date(2025, 1, 1), "t": dt.datetime(2025, 1, 2), "f": True})
        conn.execute(sa.text("INSERT INTO chunks (id, record_id, idx, text, tokens) "
                             "VALUES ('r1#0', 'r1', 0, 'Lights out on Elm.', 5)"))
    assert schema.current(engine) is None
    engine.dispose()


def test_a_store_made_before_migrations_keeps_its_data(empty_url: str) -> None:
    _old_store(empty_url)
    store = RecordStore(empty_url)  # opening it upgrades it
    assert schema.current(store.engine) == schema.head()
    assert _differences(store.engine, schema.all_metadata()) == []
    rec = store.get_record("r1")
    assert rec is not None and rec.text == "Lights out on Elm." and rec.district == "District 1"
    assert rec.date == dt.date(2025, 1, 1) and rec.date_precision == "day"
    assert store.count_chunks() == 1 and store.text_hashes(["r1"]) == {"r1": None}
    SynthesisStore(store)  # the synthesis tables a first synthesis needs are there
    [gone] = Forgetter(store, None).delete(["r1"])
    assert gone.found and store.count_records() == 0 and store.count_chunks() == 0
    store.close()


def test_processes_opening_a_fresh_store_at_once_all_succeed(empty_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_store() -> None:
        try:
            start.wait()
            RecordStore(empty_url).close()
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    engine = make_engine(empty_url)
    assert schema.current(engine) == schema.head()
    engine.dispose()


def test_accounts_made_before_their_revision_existed_are_kept(empty_url: str) -> None:
    """A store at revision 0002 whose accounts tables were made on first use (as synth did before revision 0003)
    and hold a user is upgraded without touching them: the user is still there and can be given a token."""
    from synth.audit import AuditRow
    from synth.users import Role, TokenRow, UserRow, UserStore

    engine = make_engine(empty_url)
    schema.upgrade(engine, "0002")
    Base.metadata.create_all(engine, tables=[UserRow.__table__, TokenRow.__table__,  # type: ignore[list-item]
                                             AuditRow.__table__])
    with engine.begin() as conn:
        conn.execute(sa.insert(UserRow.__table__).values(name="ana", role="coordinator", failed_signins=0,
                                                         created_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)))
    engine.dispose()
    store = RecordStore(empty_url)
    assert schema.current(store.engine) == schema.head()
    users = UserStore(store.engine)
    caller = users.authenticate_token(users.issue_token("ana"))
    assert caller is not None and caller.name == "ana" and caller.role == Role.coordinator
    assert _differences(store.engine, schema.all_metadata()) == []
    store.close()


def test_a_store_with_the_submitter_column_added_before_its_revision_gets_the_index(empty_url: str) -> None:
    """synth added `records.submitted_by` (without an index) and `ingest_jobs` on first use before revision
    0004: the revision keeps both and adds the index."""
    from synth.ingest_jobs import IngestJobRow

    engine = make_engine(empty_url)
    schema.upgrade(engine, "0003")
    Base.metadata.create_all(engine, tables=[IngestJobRow.__table__])  # type: ignore[list-item]
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE records ADD COLUMN submitted_by INTEGER"))
    engine.dispose()
    store = RecordStore(empty_url)
    assert schema.current(store.engine) == schema.head()
    assert _differences(store.engine, schema.all_metadata()) == []
    store.close()
