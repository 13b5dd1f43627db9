"""Inventory's stock rules, without a database."""

from decimal import Decimal as D

from services.inventory.domain import Level, Signal, move


def level(on_hand, threshold="3", armed=True, target=None):
    return Level(D(on_hand), D(threshold), D(target) if target else None, armed, 0, 0)


def test_falling_to_the_threshold_alerts_once_per_crossing():
    after, signals = move(level("5"), D("-2"))
    assert signals == [Signal.LOW] and after.low_crossings == 1 and not after.low_armed
    again, signals = move(after, D("-1"))
    assert signals == [] and again.on_hand == D("2")


def test_a_restock_above_the_threshold_rearms_the_alert():
    low, _ = move(level("5"), D("-3"))
    restocked, signals = move(low, D("10"))
    assert signals == [] and restocked.low_armed
    _, signals = move(restocked, D("-9"))
    assert signals == [Signal.LOW]


def test_a_restock_that_stays_at_or_below_the_threshold_does_not_rearm():
    low, _ = move(level("5"), D("-3"))
    still_low, _ = move(low, D("1"))
    assert not still_low.low_armed
    _, signals = move(still_low, D("-1"))
    assert signals == []


def test_zero_is_out_of_stock_and_below_zero_is_a_discrepancy_never_a_refusal():
    out, signals = move(level("1", armed=False), D("-1"))
    assert signals == [Signal.OUT] and out.out_crossings == 1
    negative, signals = move(out, D("-2"))
    assert signals == [Signal.DISCREPANCY] and negative.on_hand == D("-2")


def test_one_sale_can_cross_low_out_and_negative_at_once():
    _, signals = move(level("4"), D("-5"))
    assert signals == [Signal.LOW, Signal.OUT, Signal.DISCREPANCY]


def test_the_suggested_quantity_reaches_the_target_level():
    assert level("2", target="20").suggested_quantity == D("18")
    assert level("2").suggested_quantity == D("4")  # twice the threshold without a target
    assert level("50", target="20").suggested_quantity == D("0")
