"""Days of cover: stock is low when it runs out before its producer can bring more (no database)."""

from decimal import Decimal as D

from services.inventory.domain import DAYS_OF_COVER, THRESHOLD, Demand, Level, Signal, arm, low_reason, move, suggested_quantity


def level(on_hand, threshold="2", armed=True, target=None):
    return Level(D(on_hand), D(threshold), D(target) if target else None, armed, 0, 0)


A_PIECE_A_DAY = Demand(daily_rate=D(1), lead_time_days=5, step=D(1))


def test_days_of_cover_is_the_stock_over_the_daily_rate():
    assert A_PIECE_A_DAY.days_of_cover(D(6)) == D(6)
    assert Demand(daily_rate=D("2.5"), lead_time_days=1).days_of_cover(D(5)) == D(2)
    assert A_PIECE_A_DAY.days_of_cover(D(-3)) == D(0)  # below zero lasts no time at all
    assert Demand().days_of_cover(D(6)) is None  # nothing sells: it lasts for ever


def test_stock_that_runs_out_before_the_next_delivery_alerts_above_the_threshold():
    after, signals = move(level("6"), D("-1"), A_PIECE_A_DAY)
    assert signals == [] and after.low_armed  # 5 days of cover: just enough for a 5-day lead time
    after, signals = move(after, D("-1"), A_PIECE_A_DAY)
    assert signals == [Signal.LOW] and after.low_reason == DAYS_OF_COVER and after.on_hand == D(4) > after.threshold


def test_one_alert_per_low_episode_whichever_rule_sees_it_first():
    early, _ = move(level("6"), D("-2"), A_PIECE_A_DAY)
    through_threshold, signals = move(early, D("-3"), A_PIECE_A_DAY)
    assert signals == [] and through_threshold.low_crossings == 1 and through_threshold.low_reason == DAYS_OF_COVER


def test_the_alert_rearms_only_once_the_stock_is_above_the_threshold_and_covers_the_lead_time():
    low, _ = move(level("6"), D("-2"), A_PIECE_A_DAY)  # 4 left: four days
    still_short, _ = move(low, D("0.5"), A_PIECE_A_DAY)  # above the threshold, but 4.5 days < 5
    assert not still_short.low_armed
    covered, _ = move(still_short, D("1"), A_PIECE_A_DAY)
    assert covered.low_armed and covered.low_reason is None
    _, signals = move(covered, D("-1"), A_PIECE_A_DAY)
    assert signals == [Signal.LOW]


def test_the_threshold_rule_is_the_reason_when_it_holds():
    assert low_reason(level("2"), A_PIECE_A_DAY) == THRESHOLD
    assert low_reason(level("4"), A_PIECE_A_DAY) == DAYS_OF_COVER
    assert low_reason(level("4")) is None
    assert low_reason(level("0", threshold="0"), A_PIECE_A_DAY) == DAYS_OF_COVER


def test_without_a_target_level_the_suggestion_covers_two_lead_times_rounded_up_to_whole_pieces():
    assert suggested_quantity(level("4"), A_PIECE_A_DAY) == D(6)  # 2 x 5 days x 1 a day, minus 4
    assert suggested_quantity(level("4", target="20"), A_PIECE_A_DAY) == D(16)
    assert suggested_quantity(level("1"), Demand(daily_rate=D("0.35"), lead_time_days=3, step=D(1))) == D(3)  # 4 - 1
    kilos = Demand(daily_rate=D("0.7"), lead_time_days=4, step=D("0.1"))
    assert suggested_quantity(level("1.25", threshold="1"), kilos) == D("4.4")  # 5.6 - 1.25 = 4.35, rounded up


def test_setting_a_threshold_arms_the_alert_only_if_the_stock_is_not_low_already():
    assert arm(level("10", armed=False), A_PIECE_A_DAY).low_armed
    below = arm(level("1", armed=True), A_PIECE_A_DAY)
    assert not below.low_armed and below.low_reason == THRESHOLD
    short = arm(level("4", armed=True), A_PIECE_A_DAY)
    assert not short.low_armed and short.low_reason == DAYS_OF_COVER
    empty = arm(level("0", threshold="0", armed=True))
    assert not empty.low_armed and empty.low_reason is None
