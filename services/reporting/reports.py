"""The province's sales reports: filter, group, bucket by period, compare; read from the aggregates only.

A report reads the monthly rollup when it can (whole months, no product, no day or week buckets),
the coarser one per village and sector when it needs no place or producer, and the daily cube
otherwise; it never reads the facts of sales. Amounts are summed exactly; the
VAT on the commission is computed on each reported cell's commission, half-up to the cent.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from operator import itemgetter

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from backbone.db import ScaledDecimal
from services.reporting import periods, stock
from services.reporting.aggregates import pending_keys
from services.reporting.models import (
    Producer,
    Product,
    ReceiptsDay,
    SalesDay,
    SalesMonth,
    SalesVillageMonth,
    SellingPlace,
    Village,
)

CENT = Decimal("0.01")
ZERO = Decimal("0")
#: VAT on the selling place's commission (a service: the standard rate)
COMMISSION_VAT_RATE = Decimal("22")

DIMENSIONS = ("village", "selling_place", "sector", "producer", "product", "mountain_product", "vat_rate")
_COLUMN = {
    "village": "village_id",
    "selling_place": "selling_place_id",
    "sector": "sector",
    "producer": "producer_id",
    "product": "product_id",
    "mountain_product": "mountain_product",
    "vat_rate": "vat_rate",
}
_SUMMED = (
    "quantity",
    "gross",
    "vat",
    "commission",
    "lines",
    "receipts",
    "refunded_quantity",
    "refunded_gross",
    "refunded_vat",
    "refunded_commission",
    "refund_lines",
)


@dataclass(frozen=True)
class ReportQuery:
    date_from: date
    date_to: date
    granularity: str = "total"
    group_by: tuple[str, ...] = ()
    villages: tuple = ()
    selling_places: tuple = ()
    sectors: tuple = ()
    producers: tuple = ()
    mountain_product: bool | None = None
    compare: tuple[str, ...] = ()
    #: (dimension, id) every figure is limited to, whatever the filters say: the caller's village or producer
    scope: tuple[str, uuid.UUID] | None = None
    seasons: dict = field(default_factory=lambda: dict(periods.DEFAULT_SEASONS), compare=False)

    @property
    def season_calendar(self) -> tuple:
        """The season calendar in a hashable form (buckets are cached by it)."""
        calendar = self.__dict__.get("_season_calendar")
        if calendar is None:
            calendar = tuple((name, tuple(months)) for name, months in self.seasons.items())
            object.__setattr__(self, "_season_calendar", calendar)
        return calendar


def round_cent(amount: Decimal) -> Decimal:
    """Half-up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


#: what the rollup per village and sector can answer: its dimensions, and filters and scopes on them
_VILLAGE_DIMENSIONS = {"village", "sector", "mountain_product", "vat_rate"}


def _per_village(query: ReportQuery) -> bool:
    return (
        set(query.group_by) <= _VILLAGE_DIMENSIONS
        and not (query.selling_places or query.producers)
        and (query.scope is None or query.scope[0] == "village")
    )


def _source(query: ReportQuery):
    monthly = (
        "product" not in query.group_by
        and query.granularity not in ("day", "week")
        and periods.whole_months(query.date_from, query.date_to)
    )
    if monthly and _per_village(query):
        table = SalesVillageMonth
        return table, table.month_start, table.month_start.between(query.date_from, query.date_to)
    if monthly:
        return SalesMonth, SalesMonth.month_start, SalesMonth.month_start.between(query.date_from, query.date_to)
    bucket_column = {"week": SalesDay.week_start, "day": SalesDay.business_date}.get(query.granularity, SalesDay.month_start)
    return SalesDay, bucket_column, SalesDay.business_date.between(query.date_from, query.date_to)


def _filters(table, query: ReportQuery) -> list:
    where = []
    for values, column in (
        (query.villages, "village_id"),
        (query.selling_places, "selling_place_id"),
        (query.sectors, "sector"),
        (query.producers, "producer_id"),
    ):
        if values:
            where.append(getattr(table, column).in_(values))
    if query.mountain_product is not None and hasattr(table, "mountain_product"):
        where.append(table.mountain_product.is_(query.mountain_product))
    if query.scope is not None:
        dimension, value = query.scope
        where.append(getattr(table, _COLUMN[dimension]) == value)
    return where


@lru_cache(maxsize=4096)
def _bucket(day: date, granularity: str, seasons: tuple, date_from: date, date_to: date) -> periods.Bucket:
    return periods.bucket(day, granularity, {name: list(months) for name, months in seasons}, date_from, date_to)


def cell_key(query: ReportQuery, values, day: date) -> tuple:
    """The report cell of a row of `values` on `day`: its period bucket, then its grouped dimensions."""
    b = _bucket(day, query.granularity, query.season_calendar, query.date_from, query.date_to)
    return (b, *(values[name] for name in query.group_by))


def _sum(session: Session, column):
    """SUM of an aggregate column; PostgreSQL's NUMERIC sums keep the column's scale, so they need no conversion."""
    if isinstance(column.type, ScaledDecimal) and session.get_bind().dialect.name == "postgresql":
        return sa.func.sum(column, type_=sa.Numeric(asdecimal=True))
    return sa.func.sum(column)


def _sales_cells(session: Session, query: ReportQuery) -> dict:
    table, bucket_column, period = _source(query)
    dims = [getattr(table, _COLUMN[name]).label(name) for name in query.group_by if name != "vat_rate"]
    rate = table.vat_rate.label("vat_rate")
    sums = [_sum(session, getattr(table, name)).label(name) for name in _SUMMED]
    statement = (
        sa.select(bucket_column.label("bucket"), *dims, rate, *sums, sa.func.max(table.watermark).label("watermark"))
        .where(period, *_filters(table, query))
        .group_by(bucket_column, *dims, rate)
    )
    # Plain rows by position: a year's report by village and sector is some 30,000 of them.
    position = {column.name: n for n, column in enumerate(statement.selected_columns)}
    grouped = [position[name] for name in query.group_by]
    summed = [(name, position[name]) for name in _SUMMED]
    rate_at, vat_at, watermark_at = position["vat_rate"], position["vat"], position["watermark"]
    buckets = query.granularity, query.season_calendar, query.date_from, query.date_to
    cells: dict = defaultdict(_empty_cell)
    for row in session.connection().execute(statement):
        cell = cells[(_bucket(row[0], *buckets), *(row[n] for n in grouped))]
        for name, n in summed:
            cell[name] += row[n]
        cell["vat_by_rate"][row[rate_at]] += row[vat_at]
        if cell["watermark"] is None or (row[watermark_at] is not None and row[watermark_at] > cell["watermark"]):
            cell["watermark"] = row[watermark_at]
    return cells


def _empty_cell() -> dict:
    cell = {name: ZERO for name in _SUMMED}
    cell.update(lines=0, receipts=0, refund_lines=0, vat_by_rate=defaultdict(lambda: ZERO), watermark=None)
    return cell


def whole_receipts(query: ReportQuery) -> bool:
    """Whether receipts can be counted whole: cells split only by place and period, and no goods filter."""
    return (
        set(query.group_by) <= {"village", "selling_place"}
        and not (query.sectors or query.producers)
        and query.mountain_product is None
        # a producer's figures count the receipts with their goods, never the shop's others
        and (query.scope is None or query.scope[0] in ("village", "selling_place"))
    )


def _receipt_cells(session: Session, query: ReportQuery) -> dict:
    table = ReceiptsDay
    bucket_column = {"week": table.week_start, "day": table.business_date}.get(query.granularity, table.month_start)
    dims = [getattr(table, _COLUMN[name]).label(name) for name in query.group_by]
    statement = (
        sa.select(bucket_column.label("bucket"), *dims, sa.func.sum(table.receipts).label("receipts"))
        .where(table.business_date.between(query.date_from, query.date_to), *_filters(table, query))
        .group_by(bucket_column, *dims)
    )
    counted: dict = defaultdict(int)
    for row in session.execute(statement).mappings():
        counted[cell_key(query, row, row["bucket"])] += row["receipts"]
    return counted


def _figures(cell: dict) -> dict:
    net_sales = cell["gross"] - cell["refunded_gross"]
    commission = cell["commission"] - cell["refunded_commission"]
    commission_vat = round_cent(commission * COMMISSION_VAT_RATE / 100)
    receipts = cell["receipts"]
    return {
        "quantity": cell["quantity"],
        "gross": cell["gross"],
        "vat": cell["vat"],
        "net": cell["gross"] - cell["vat"],
        "vat_by_rate": {str(rate.normalize()): vat for rate, vat in sorted(cell["vat_by_rate"].items())},
        "lines": cell["lines"],
        "receipts": receipts,
        "average_basket": round_cent(cell["gross"] / receipts) if receipts else None,
        "refunded_quantity": cell["refunded_quantity"],
        "refunded_gross": cell["refunded_gross"],
        "refunded_vat": cell["refunded_vat"],
        "refunds": cell["refund_lines"],
        "net_sales": net_sales,
        "commission": commission,
        "commission_vat": commission_vat,
        "payout": net_sales - commission - commission_vat,
    }


def _growth(now: Decimal, before: Decimal) -> Decimal | None:
    if not before:
        return None
    return ((now - before) * 100 / before).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


#: the dimensions the one-query path below groups the village rollup by
_FINISHED_DIMENSIONS = {"village", "sector", "mountain_product"}


def _finished_in_sql(session: Session, query: ReportQuery) -> bool:
    """Whether the report's rows can come finished from one query on the village rollup.

    A month's report on PostgreSQL from the rollup per village and sector, its receipts summed
    (not counted whole), grouped by neither VAT rate nor anything the rollup lacks: one
    rollup month is one report period, so PostgreSQL can sum, break the VAT down and sort.
    """
    return (
        query.granularity == "month"
        and set(query.group_by) <= _FINISHED_DIMENSIONS
        and _source(query)[0] is SalesVillageMonth
        and not whole_receipts(query)
        and session.get_bind().dialect.name == "postgresql"
    )


_first = itemgetter(0)


@lru_cache(maxsize=64)
def _rate_key(rate: Decimal) -> str:
    """The key of a VAT rate in a row's breakdown, as the cells write it."""
    return str(rate.normalize())


def finished_records(session: Session, query: ReportQuery) -> tuple[list[str], list[tuple]]:
    """The month path's one query on the village rollup, straight from the driver: (names, records).

    One pass along the rollup's primary key (month, village, sector, ...) sums each cell; the
    VAT breakdown comes as two unordered arrays (rates, VAT), where a rate can come twice
    (mountain goods and others); the derived figures are exact NUMERIC arithmetic, the VAT on
    the commission and the average basket rounded half away from zero to the cent, as
    `round_cent` does. Each record is the named columns, then the two arrays and the watermark.
    """
    table = SalesVillageMonth
    numeric = sa.Numeric(asdecimal=True)
    rates = postgresql.ARRAY(numeric)

    def total(name):
        return _sum(session, getattr(table, name))

    def count(name):  # a sum of integers is a BIGINT in PostgreSQL, an int here
        return sa.func.sum(getattr(table, name))

    commission = total("commission") - total("refunded_commission")
    commission_vat = sa.func.round(commission * COMMISSION_VAT_RATE / 100, 2, type_=numeric)
    net_sales = total("gross") - total("refunded_gross")
    receipts = count("receipts")
    # the dividend's 20 places make PostgreSQL's quotient exact enough to round as Decimal does
    average = sa.func.round(sa.cast(total("gross"), sa.Numeric(32, 20)) / sa.func.nullif(receipts, 0), 2, type_=numeric)
    columns = [
        sa.func.to_char(table.month_start, "YYYY-MM").label("period"),
        table.month_start.label("period_start"),
        sa.cast(table.month_start + sa.text("interval '1 month - 1 day'"), sa.Date).label("period_end"),
        *(getattr(table, _COLUMN[name]).label(name) for name in query.group_by),
        total("quantity").label("quantity"),
        total("gross").label("gross"),
        total("vat").label("vat"),
        (total("gross") - total("vat")).label("net"),
        sa.null().label("vat_by_rate"),
        count("lines").label("lines"),
        receipts.label("receipts"),
        average.label("average_basket"),
        total("refunded_quantity").label("refunded_quantity"),
        total("refunded_gross").label("refunded_gross"),
        total("refunded_vat").label("refunded_vat"),
        count("refund_lines").label("refunds"),
        net_sales.label("net_sales"),
        commission.label("commission"),
        commission_vat.label("commission_vat"),
        (net_sales - commission - commission_vat).label("payout"),
    ]
    names = [column.name for column in columns]
    # One row of the rollup per VAT rate and mountain flag: a rate can come twice, merged below.
    statement = sa.select(
        *columns,
        # unordered (an ORDER BY per aggregate sorts every cell): ordered by rate below
        sa.func.array_agg(table.vat_rate, type_=rates),
        sa.func.array_agg(table.vat, type_=rates),
        sa.func.max(table.watermark, type_=sa.DateTime(timezone=True)),
    ).where(table.month_start.between(query.date_from, query.date_to), *_filters(table, query))
    group_keys = [table.month_start, *(getattr(table, _COLUMN[name]) for name in query.group_by)]
    order = [
        table.month_start,
        *(sa.collate(table.sector, "C") if name == "sector" else getattr(table, _COLUMN[name]) for name in query.group_by),
    ]
    statement = statement.group_by(*group_keys).order_by(*order)
    # Not through SQLAlchemy's rows: psycopg makes the Decimals and arrays itself (in text: its binary NUMERIC is slower).
    compiled = statement.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    cursor = session.connection().connection.cursor()
    try:
        return names, cursor.execute(str(compiled), compiled.params).fetchall()
    finally:
        cursor.close()


def _finished_rows(session: Session, query: ReportQuery) -> tuple[list[dict], object]:
    """The report's rows, one finished row per cell from `finished_records`, in the report's order.

    Python only zips each record into its dict, merges a VAT rate that came twice and adds the
    villages' names and the stock figures.
    """
    names, records = finished_records(session, query)
    stocks = stock.applies(query)
    stocked = stock.figures(session=session, query=query) if stocks else {}
    no_stock = stock.row_figures(None, ZERO) if stocks else {}
    width, buckets = len(names), (query.granularity, query.season_calendar, query.date_from, query.date_to)
    # the catalogue's names (a few hundred villages), looked up per row rather than joined
    named = [
        (name, f"{name}_name", dict(session.execute(sa.select(_NAMED[name][1], _NAMED[name][0].name)).all()))
        for name in query.group_by
        if name in _NAMED
    ]
    rows, watermark, seen = [], None, set()
    for record in records:
        row = dict(zip(names, record[:width], strict=True))
        rates, vats = record[width], record[width + 1]
        if len(rates) == 1:
            row["vat_by_rate"] = {_rate_key(rates[0]): vats[0]}
        else:
            breakdown = row["vat_by_rate"] = {}
            for rate, vat in sorted(zip(rates, vats, strict=True), key=_first):
                rate = _rate_key(rate)
                breakdown[rate] = breakdown[rate] + vat if rate in breakdown else vat
        latest = record[width + 2]
        if latest is not None and (watermark is None or latest > watermark):
            watermark = latest
        if stocked:
            key = (_bucket(row["period_start"], *buckets), *(row[name] for name in query.group_by))
            seen.add(key)
            row.update(stock.row_figures(stocked.get(key), row["quantity"]))
        elif stocks:
            row.update(no_stock)
        for name, key, catalogue in named:
            row[key] = catalogue.get(row[name])
        rows.append(row)
    if stocked.keys() - seen:
        # stock where nothing was sold: those cells' rows, then the report's order again
        for key in stocked.keys() - seen:
            b, *values = key
            row = {
                "period": b.label,
                "period_start": b.start,
                "period_end": b.end,
                **dict(zip(query.group_by, values, strict=True)),
            }
            row.update(_figures(_empty_cell()), **stock.row_figures(stocked[key], ZERO))
            rows.append(row)
        rows.sort(key=lambda row: (row["period_start"], *(str(row[name]) for name in query.group_by)))
        _name(session, query, rows)
    return rows, None if watermark is None else watermark.astimezone(timezone.utc)


def _rows(session: Session, query: ReportQuery) -> tuple[list[dict], object]:
    if _finished_in_sql(session, query):
        return _finished_rows(session, query)
    cells = _sales_cells(session, query)
    if whole_receipts(query):
        counted = _receipt_cells(session, query)
        for key, cell in cells.items():
            cell["receipts"] = counted.get(key, 0)
    stocked = stock.figures(session=session, query=query) if stock.applies(query) else {}
    watermark = max((c["watermark"] for c in cells.values() if c["watermark"]), default=None)
    rows = []
    for key in sorted(set(cells) | set(stocked), key=_sort_key):
        b, *values = key
        cell = cells.get(key) or _empty_cell()
        row = {
            "period": b.label,
            "period_start": b.start,
            "period_end": b.end,
            **{name: value for name, value in zip(query.group_by, values, strict=True)},
            **_figures(cell),
        }
        if stock.applies(query):
            row.update(stock.row_figures(stocked.get(key), cell["quantity"]))
        rows.append(row)
    _name(session, query, rows)
    return rows, watermark


_NAMED = {
    "village": (Village, Village.village_id),
    "selling_place": (SellingPlace, SellingPlace.selling_place_id),
    "producer": (Producer, Producer.producer_id),
    "product": (Product, Product.product_id),
}


def _name(session: Session, query: ReportQuery, rows: list[dict]) -> None:
    """Add the catalogue's names of the grouped villages, selling places, producers and products."""
    for dimension in query.group_by:
        if dimension not in _NAMED:
            continue
        table, key = _NAMED[dimension]
        ids = {row[dimension] for row in rows}
        names = dict(session.execute(sa.select(key, table.name).where(key.in_(ids))).all()) if ids else {}
        for row in rows:
            row[f"{dimension}_name"] = names.get(row[dimension])


def _sort_key(key: tuple) -> tuple:
    return (key[0].start, *map(str, key[1:]))


def sales_report(*, session: Session, query: ReportQuery) -> dict:
    """The report the query asks for, each row compared as asked, with its freshness watermark."""
    rows, watermark = _rows(session, query)
    comparisons = {}
    for comparison in query.compare:
        start, end = periods.compared_period(query.date_from, query.date_to, comparison)
        earlier, _ = _rows(session, replace(query, date_from=start, date_to=end, compare=()))
        comparisons[comparison] = {"date_from": start, "date_to": end}
        _attach(rows, earlier, query, comparison)
    return {
        "date_from": query.date_from,
        "date_to": query.date_to,
        "granularity": query.granularity,
        "group_by": list(query.group_by),
        "receipts_counted": "whole receipts" if whole_receipts(query) else "per product and selling place",
        "watermark": watermark,
        "pending_keys": pending_keys(session=session, dimension="place"),
        "comparisons": comparisons,
        "rows": rows,
    }


def _attach(rows: list[dict], earlier: list[dict], query: ReportQuery, comparison: str) -> None:
    """Match each row with the earlier period's row of the same cell and the same bucket position."""

    def index(source):
        starts = sorted({row["period_start"] for row in source})
        position = {start: n for n, start in enumerate(starts)}
        return {(position[row["period_start"]], *(str(row[d]) for d in query.group_by)): row for row in source}

    before = index(earlier)
    for key, row in index(rows).items():
        old = before.get(key)
        row[comparison] = {
            "quantity": old["quantity"] if old else ZERO,
            "gross": old["gross"] if old else ZERO,
            "net_sales": old["net_sales"] if old else ZERO,
            "growth": _growth(row["net_sales"], old["net_sales"] if old else ZERO),
        }
