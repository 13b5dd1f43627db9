"""The reports' calendar and the open-data suppression rule, without a database."""

from datetime import date
from decimal import Decimal

import pytest

from services.reporting import opendata, periods

SEASONS = periods.DEFAULT_SEASONS


@pytest.mark.parametrize(
    "day, label, start, end",
    [
        (date(2026, 1, 15), "winter 2025/26", date(2025, 12, 1), date(2026, 3, 31)),
        (date(2026, 12, 1), "winter 2026/27", date(2026, 12, 1), date(2027, 3, 31)),
        (date(2026, 7, 31), "summer 2026", date(2026, 6, 1), date(2026, 9, 30)),
        (date(2026, 4, 2), "shoulder 2026", date(2026, 4, 1), date(2026, 5, 31)),
        (date(2026, 11, 2), "shoulder 2026", date(2026, 10, 1), date(2026, 11, 30)),
    ],
)
def test_a_season_is_a_run_of_months_and_winter_spans_the_new_year(day, label, start, end):
    assert periods.season_bucket(day, SEASONS) == periods.Bucket(start, end, label)


def test_the_season_calendar_is_configurable():
    alpine = {"ski": [1, 2, 3], "hiking": [7, 8], "quiet": [4, 5, 6, 9, 10, 11, 12]}
    assert periods.season_bucket(date(2026, 12, 24), alpine).label == "quiet 2026"
    assert periods.season_bucket(date(2026, 8, 1), alpine) == periods.Bucket(date(2026, 7, 1), date(2026, 8, 31), "hiking 2026")


@pytest.mark.parametrize(
    "period, comparison, expected",
    [
        ((date(2026, 7, 1), date(2026, 9, 30)), "previous", (date(2026, 4, 1), date(2026, 6, 30))),
        ((date(2026, 3, 1), date(2026, 3, 31)), "previous", (date(2026, 2, 1), date(2026, 2, 28))),
        ((date(2026, 7, 10), date(2026, 7, 19)), "previous", (date(2026, 6, 30), date(2026, 7, 9))),
        ((date(2028, 2, 29), date(2028, 3, 31)), "last_year", (date(2027, 2, 28), date(2027, 3, 31))),
    ],
)
def test_compared_periods(period, comparison, expected):
    assert periods.compared_period(*period, comparison) == expected


def test_iso_weeks_start_on_monday():
    bucket = periods.bucket(date(2027, 1, 1), "week", SEASONS, date(2026, 12, 1), date(2027, 1, 31))
    assert bucket == periods.Bucket(date(2026, 12, 28), date(2027, 1, 3), "2026-W53")


def test_suppression_hides_a_partner_in_every_line_that_hides_one():
    cells = {
        ("A", "x"): (Decimal("100"), 2),
        ("A", "y"): (Decimal("50"), 5),
        ("A", "z"): (Decimal("70"), 4),
        ("B", "x"): (Decimal("80"), 3),
        ("B", "y"): (Decimal("60"), 3),
        ("B", "z"): (Decimal("90"), 6),
    }
    entries = {key: opendata.Entry(value, producers) for key, (value, producers) in cells.items()}
    for village in ("A", "B"):
        entries[(village, opendata.TOTAL)] = opendata.Entry(sum(v for (r, _), (v, _) in cells.items() if r == village), 9)
    for sector in ("x", "y", "z"):
        entries[(opendata.TOTAL, sector)] = opendata.Entry(sum(v for (_, s), (v, _) in cells.items() if s == sector), 5)
    entries[(opendata.TOTAL, opendata.TOTAL)] = opendata.Entry(Decimal("450"), 20)

    result = opendata.suppress(entries, k=3)

    assert result[("A", "x")].reason == "primary"
    hidden = {key for key, entry in result.items() if entry.suppressed}
    for line in opendata._lines(["A", "B"], ["x", "y", "z"]):
        assert len(hidden & set(line)) != 1, line
    assert not any(opendata.TOTAL in key for key in hidden)  # inner cells are enough here
