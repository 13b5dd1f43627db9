"""Model-monitoring indicators per village or selling place: is the Dazio model working there?"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from services.reporting import periods
from services.reporting.models import SellingPlace, Village
from services.reporting.reports import ReportQuery, round_cent, sales_report

ZERO = Decimal("0")
TENTH = Decimal("0.1")


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(TENTH, rounding=ROUND_HALF_UP)


def indicators(*, session: Session, query: ReportQuery, level: str, tourist_seasons: tuple[str, ...]) -> dict:
    """Active producers, sector mix, revenue per inhabitant, growth, receipts and the tourist-season share."""
    base = replace(query, group_by=(level,), granularity="total", compare=("previous", "last_year"))
    totals = sales_report(session=session, query=base)
    by_sector = sales_report(session=session, query=replace(base, group_by=(level, "sector"), compare=()))
    by_producer = sales_report(session=session, query=replace(base, group_by=(level, "producer"), compare=()))
    by_month = sales_report(session=session, query=replace(base, granularity="month", compare=()))

    mix = defaultdict(dict)
    for row in by_sector["rows"]:
        mix[row[level]][row["sector"]] = row["net_sales"]
    active = defaultdict(int)
    for row in by_producer["rows"]:
        active[row[level]] += row["net_sales"] > 0
    in_season = defaultdict(lambda: ZERO)
    for row in by_month["rows"]:
        if periods.season_of_month(row["period_start"].month, query.seasons) in tourist_seasons:
            in_season[row[level]] += row["net_sales"]
    population = _populations(session, level)
    rows = []
    for row in totals["rows"]:
        key = row[level]
        net = row["net_sales"]
        people = population.get(key)
        rows.append(
            {
                level: key,
                f"{level}_name": row.get(f"{level}_name"),
                "population": people,
                "active_producers": active[key],
                "net_sales": net,
                "receipts": row["receipts"],
                "average_basket": row["average_basket"],
                "revenue_per_inhabitant": round_cent(net / people) if people else None,
                "sector_mix": {sector: _percent(value, net) for sector, value in sorted(mix[key].items())},
                "growth_previous": row["previous"]["growth"],
                "growth_last_year": row["last_year"]["growth"],
                "tourist_season_share": _percent(in_season[key], net),
            }
        )
    return {
        "date_from": query.date_from,
        "date_to": query.date_to,
        "level": level,
        "watermark": totals["watermark"],
        "rows": rows,
    }


def _populations(session: Session, level: str) -> dict:
    if level == "village":
        return dict(session.execute(sa.select(Village.village_id, Village.population)).all())
    # a selling place serves its village: its revenue per inhabitant is per inhabitant of the village
    statement = sa.select(SellingPlace.selling_place_id, Village.population).join(
        Village, Village.village_id == SellingPlace.village_id
    )
    return dict(session.execute(statement).all())
