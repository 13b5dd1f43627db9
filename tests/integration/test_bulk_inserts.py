"""Many rows in one call: sent as multi-row VALUES on PostgreSQL, with the same outcome as row by row."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from backbone.db import COPY_FROM, Database, insert_ignoring_conflicts, insert_or_lock
from tests.conftest import migrations_of


def _table(name: str) -> sa.Table:
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("k", sa.Integer, primary_key=True),
        sa.Column("v", sa.String(10), nullable=False),
    )


@pytest.mark.parametrize("count", [900, COPY_FROM * 3], ids=["multi-row VALUES", "COPY"])
def test_many_rows_go_in_a_few_statements_and_each_lands_once(infra, count):
    db = Database(infra.database("sales", migrations_of("sales")))
    table = _table(f"bulk_{uuid.uuid4().hex[:8]}")
    table.create(db.engine)
    statements = []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        # given 10 rows already there
        with db.transaction() as session:
            insert_ignoring_conflicts(session, table, [{"k": k, "v": "old"} for k in range(10)])
        statements.clear()
        # when many rows are inserted, the first 10 clashing with them
        with db.transaction() as session:
            insert_ignoring_conflicts(session, table, [{"k": k, "v": "new"} for k in range(count)])
        # then a few statements (not one per row; a COPY streams outside them), and the old rows stand
        assert len(statements) <= 5
        if count < COPY_FROM:
            assert len(statements) >= 1 and all("VALUES" in statement for statement in statements)
        with db.engine.connect() as connection:
            counts = dict(connection.execute(sa.select(table.c.v, sa.func.count()).group_by(table.c.v)).all())
        assert counts == {"old": 10, "new": count - 10}
    finally:
        table.drop(db.engine)
        db.dispose()


def test_insert_or_lock_takes_the_same_key_twice_in_one_call(infra):
    db = Database(infra.database("sales", migrations_of("sales")))
    table = _table(f"lock_{uuid.uuid4().hex[:8]}")
    table.create(db.engine)
    try:
        with db.transaction() as session:
            insert_or_lock(session, table, [{"k": 1, "v": "first"}], key=("k",))
        # one statement for both rows must not touch row 1 twice (PostgreSQL refuses that)
        with db.transaction() as session:
            insert_or_lock(session, table, [{"k": 2, "v": "a"}, {"k": 1, "v": "again"}, {"k": 2, "v": "b"}], key=("k",))
        with db.engine.connect() as connection:
            rows = dict(connection.execute(sa.select(table.c.k, table.c.v)).all())
        assert rows == {1: "first", 2: "a"}
    finally:
        table.drop(db.engine)
        db.dispose()
