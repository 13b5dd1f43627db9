"""The open-data table: net sales by village and sector, with small cells suppressed.

A cell built from fewer than k producers is hidden (primary suppression), as statistical offices
do. The table also publishes row and column totals, so hiding one cell of a row is not enough:
it would be their difference. Complementary suppression therefore hides more cells until every
row and column of the table, totals included, hides either nothing or at least two entries, so
no hidden value is the difference of published ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.reporting import periods
from services.reporting.models import SalesDay, SalesMonth, Village

TOTAL = "total"


@dataclass
class Entry:
    value: Decimal
    producers: int
    suppressed: bool = False
    #: primary (fewer than k producers) or complementary (hides another by subtraction)
    reason: str | None = None


def _source(date_from: date, date_to: date):
    if periods.whole_months(date_from, date_to):
        return SalesMonth, SalesMonth.month_start.between(date_from, date_to)
    return SalesDay, SalesDay.business_date.between(date_from, date_to)


def grid(*, session: Session, date_from: date, date_to: date) -> dict[tuple, Entry]:
    """Net sales and distinct producers per (village, sector), per village, per sector and overall."""
    table, period = _source(date_from, date_to)
    net = sa.func.sum(table.gross - table.refunded_gross)
    producers = sa.func.count(sa.distinct(table.producer_id))
    entries: dict[tuple, Entry] = {}
    for dims in ((table.village_id, table.sector), (table.village_id,), (table.sector,), ()):
        statement = sa.select(*dims, net, producers).where(period).group_by(*dims)
        for row in session.execute(statement):
            *keys, value, count = row
            if len(dims) == 2:
                key = (keys[0], keys[1])
            elif not dims:
                key = (TOTAL, TOTAL)
            elif dims[0] is table.village_id:
                key = (keys[0], TOTAL)
            else:
                key = (TOTAL, keys[0])
            entries[key] = Entry(value or Decimal("0.00"), count)
    return entries


def _lines(villages: list, sectors: list) -> list[list[tuple]]:
    rows = [[(v, s) for s in [*sectors, TOTAL]] for v in [*villages, TOTAL]]
    columns = [[(v, s) for v in [*villages, TOTAL]] for s in [*sectors, TOTAL]]
    return rows + columns


def suppress(entries: dict[tuple, Entry], *, k: int) -> dict[tuple, Entry]:
    """Hide entries of fewer than k producers, then enough others that none can be derived by subtraction."""
    villages = sorted({v for v, _ in entries if v != TOTAL}, key=str)
    sectors = sorted({s for _, s in entries if s != TOTAL})
    for v in [*villages, TOTAL]:
        for s in [*sectors, TOTAL]:
            entries.setdefault((v, s), Entry(Decimal("0.00"), 0))
    for entry in entries.values():
        if 0 < entry.producers < k:
            entry.suppressed, entry.reason = True, "primary"
    lines = _lines(villages, sectors)
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [key for key in line if entries[key].suppressed]
            if len(hidden) != 1:
                continue
            partner = _partner(entries, line, hidden[0])
            if partner is None:
                continue  # nothing else in the line: the hidden value is its own total, hidden too
            entries[partner].suppressed, entries[partner].reason = True, "complementary"
            changed = True
    return entries


def _partner(entries: dict[tuple, Entry], line: list[tuple], hidden: tuple) -> tuple | None:
    """The entry whose hiding costs least: a cell before a total, one with producers, the smallest value."""
    candidates = [key for key in line if key != hidden and not entries[key].suppressed]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda key: (TOTAL in key, entries[key].producers == 0, entries[key].value, str(key)),
    )


def open_data(*, session: Session, date_from: date, date_to: date, k: int) -> dict:
    """The publishable table: one row per village (and a total row), one column per sector (and a total)."""
    entries = suppress(grid(session=session, date_from=date_from, date_to=date_to), k=k)
    villages = sorted({v for v, _ in entries if v != TOTAL}, key=str)
    sectors = sorted({s for _, s in entries if s != TOTAL})
    names = dict(session.execute(sa.select(Village.village_id, Village.name).where(Village.village_id.in_(villages))).all())
    rows = []
    for v in [*villages, TOTAL]:
        rows.append(
            {
                "village": None if v == TOTAL else v,
                "village_name": "Total" if v == TOTAL else names.get(v),
                "cells": {s: _published(entries[(v, s)]) for s in [*sectors, TOTAL]},
            }
        )
    return {"date_from": date_from, "date_to": date_to, "k": k, "sectors": sectors, "rows": rows}


def _published(entry: Entry) -> dict:
    return {"net_sales": None if entry.suppressed else entry.value, "suppressed": entry.reason}


def flat_rows(table: dict) -> list[dict]:
    """The table as rows for CSV and XLSX: a hidden cell is written "x", as statistical offices do."""
    flat = []
    for row in table["rows"]:
        out = {"village_name": row["village_name"]}
        for sector, cell in row["cells"].items():
            out[sector] = "x" if cell["suppressed"] else cell["net_sales"]
        flat.append(out)
    return flat
