"""Notification rules without a database: quiet hours, catalogue revisions against operators, the digest's day."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.notifications.digests import period_due
from services.notifications.recipients import merged, quiet_until

ROME = ZoneInfo("Europe/Rome")


def rome(*args) -> datetime:
    return datetime(*args, tzinfo=ROME)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (rome(2026, 3, 11, 23, 15), rome(2026, 3, 12, 7, 0)),  # evening: until tomorrow morning
        (rome(2026, 3, 12, 5, 0), rome(2026, 3, 12, 7, 0)),  # small hours: until this morning
        (rome(2026, 3, 12, 22, 0), rome(2026, 3, 13, 7, 0)),  # the first minute is quiet
        (rome(2026, 3, 12, 7, 0), None),  # the last is not
        (rome(2026, 3, 12, 12, 0), None),
    ],
)
def test_quiet_hours_across_midnight(now, expected):
    assert quiet_until(time(22, 0), time(7, 0), "Europe/Rome", now.astimezone(timezone.utc)) == expected


def test_quiet_hours_within_a_day_and_none():
    lunch = (time(12, 30), time(14, 0))
    assert quiet_until(*lunch, "Europe/Rome", rome(2026, 7, 1, 13, 0)) == rome(2026, 7, 1, 14, 0)
    assert quiet_until(*lunch, "Europe/Rome", rome(2026, 7, 1, 15, 0)) is None
    assert quiet_until(None, None, "Europe/Rome", rome(2026, 7, 1, 13, 0)) is None


def test_quiet_hours_are_local_time_on_the_night_the_clocks_change():
    # 29 March 2026: Rome goes from UTC+1 to UTC+2 at 02:00; 07:00 local is 05:00 UTC
    now = datetime(2026, 3, 28, 22, 30, tzinfo=timezone.utc)  # 23:30 in Rome
    assert quiet_until(time(22, 0), time(7, 0), "Europe/Rome", now) == datetime(2026, 3, 29, 5, 0, tzinfo=timezone.utc)


CATALOGUE = {"name": "Bianchi", "language": "it", "email": "a@x.it", "phone": None, "webhook_url": None, "telegram_chat_id": None}
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def test_a_newer_revision_changes_only_what_the_catalogue_changed():
    current = {**CATALOGUE, "email": "operator@x.it"}
    incoming = {**CATALOGUE, "phone": "+39 333 1"}
    result = merged(
        current=current, previous=CATALOGUE, incoming=incoming, operator_changed_at={"email": T0.isoformat()}, occurred_at=T0
    )
    assert result == {**CATALOGUE, "email": "operator@x.it", "phone": "+39 333 1"}


def test_the_newer_of_the_operators_and_the_catalogues_change_wins():
    changed = {"email": T0.isoformat()}
    incoming = {**CATALOGUE, "email": "catalogue@x.it"}
    current = {**CATALOGUE, "email": "operator@x.it"}
    before = merged(
        current=current, previous=CATALOGUE, incoming=incoming, operator_changed_at=changed, occurred_at=T0 - timedelta(1)
    )
    after = merged(
        current=current, previous=CATALOGUE, incoming=incoming, operator_changed_at=changed, occurred_at=T0 + timedelta(1)
    )
    assert before["email"] == "operator@x.it" and after["email"] == "catalogue@x.it"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 12, 5, 59, tzinfo=timezone.utc), None),  # 06:59 in Rome: too early
        (datetime(2026, 3, 12, 6, 0, tzinfo=timezone.utc), date(2026, 3, 11)),  # 07:00 in Rome
        (datetime(2026, 3, 12, 23, 30, tzinfo=timezone.utc), None),  # 00:30 on the 13th in Rome: not yet
        (datetime(2026, 7, 13, 5, 0, tzinfo=timezone.utc), date(2026, 7, 12)),  # 07:00 in summer time
    ],
)
def test_the_digest_covers_yesterday_in_rome_from_its_hour_on(now, expected):
    assert period_due(now, "Europe/Rome", 7) == expected
