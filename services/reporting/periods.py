"""The calendar of the reports: buckets (day, ISO week, month, tourist season, year) and comparisons."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

GRANULARITIES = ("total", "day", "week", "month", "season", "year")
COMPARISONS = ("previous", "last_year")

#: month -> season; runs of consecutive months with one name make one season (winter spans new year)
DEFAULT_SEASONS = {
    "winter": [12, 1, 2, 3],
    "summer": [6, 7, 8, 9],
    "shoulder": [4, 5, 10, 11],
}


@dataclass(frozen=True)
class Bucket:
    start: date
    end: date
    label: str


def month_end(day: date) -> date:
    """The last day of the month of `day`."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after that of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def whole_months(date_from: date, date_to: date) -> bool:
    """Whether the period starts on a first and ends on a last day of a month."""
    return date_from.day == 1 and date_to == month_end(date_to)


def season_of_month(month: int, seasons: dict[str, list[int]]) -> str:
    """The season a calendar month belongs to."""
    for name, months in seasons.items():
        if month in months:
            return name
    return "other"


def season_bucket(day: date, seasons: dict[str, list[int]]) -> Bucket:
    """The season run that contains `day`: consecutive months with the same season name."""
    name = season_of_month(day.month, seasons)
    start = day.replace(day=1)
    for _ in range(11):
        before = add_months(start, -1)
        if season_of_month(before.month, seasons) != name:
            break
        start = before
    end = day.replace(day=1)
    for _ in range(11):
        after = add_months(end, 1)
        if season_of_month(after.month, seasons) != name:
            break
        end = after
    end = month_end(end)
    years = str(start.year) if start.year == end.year else f"{start.year}/{str(end.year)[-2:]}"
    return Bucket(start, end, f"{name} {years}")


def bucket(day: date, granularity: str, seasons: dict[str, list[int]], date_from: date, date_to: date) -> Bucket:
    """The bucket of `day` at `granularity` ("total" is the whole period)."""
    if granularity == "day":
        return Bucket(day, day, day.isoformat())
    if granularity == "week":
        start = day - timedelta(days=day.weekday())
        iso = start.isocalendar()
        return Bucket(start, start + timedelta(days=6), f"{iso.year}-W{iso.week:02d}")
    if granularity == "month":
        return Bucket(day.replace(day=1), month_end(day), day.strftime("%Y-%m"))
    if granularity == "season":
        return season_bucket(day, seasons)
    if granularity == "year":
        return Bucket(date(day.year, 1, 1), date(day.year, 12, 31), str(day.year))
    return Bucket(date_from, date_to, f"{date_from.isoformat()}/{date_to.isoformat()}")


def compared_period(date_from: date, date_to: date, comparison: str) -> tuple[date, date]:
    """The period a report is compared with: the one just before it, or the same one a year earlier."""
    if comparison == "last_year":
        return _year_before(date_from), _year_before(date_to)
    if whole_months(date_from, date_to):
        months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
        start = add_months(date_from, -months)
        return start, month_end(add_months(start, months - 1))
    length = (date_to - date_from).days + 1
    return date_from - timedelta(days=length), date_from - timedelta(days=1)


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
