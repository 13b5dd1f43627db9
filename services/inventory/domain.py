"""Stock rules: what a movement does to a shelf, and which alerts it raises.

Pure functions over a snapshot of one (selling place, product) stock, so the rules can be tested
without a database. A sale is a fact: it is never refused for lack of stock; stock may go
negative, which asks the selling place for a stocktake.

Stock is "low" when it is at or below its reorder threshold, or when at the recent sales rate it
lasts fewer days than its producer needs to bring more (days of cover below the lead time). One
StockLow per low episode, whichever rule sees it first; the alert re-arms only once the stock is
above the threshold and covers the lead time again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import Enum

THRESHOLD = "threshold"
DAYS_OF_COVER = "days_of_cover"


class Signal(Enum):
    LOW = "StockLow"
    OUT = "StockOut"
    DISCREPANCY = "StockDiscrepancy"


@dataclass(frozen=True)
class Demand:
    """How fast a shelf empties, and how long its producer needs to refill it."""

    #: units sold a day over the recent window; None without a sales history
    daily_rate: Decimal | None = None
    lead_time_days: int = 0
    #: the smallest quantity worth suggesting (one piece; a gram of cheese)
    step: Decimal = Decimal("0.001")

    def days_of_cover(self, on_hand: Decimal) -> Decimal | None:
        """Days the stock lasts at the recent rate (None: nothing sells, it lasts for ever)."""
        if not self.daily_rate:
            return None
        return max(on_hand, Decimal(0)) / self.daily_rate

    def runs_out_before_delivery(self, on_hand: Decimal) -> bool:
        """Whether the stock runs out before the producer can bring more."""
        cover = self.days_of_cover(on_hand)
        return cover is not None and cover < self.lead_time_days


NO_DEMAND = Demand()


@dataclass(frozen=True)
class Level:
    on_hand: Decimal
    threshold: Decimal
    target_level: Decimal | None
    low_armed: bool
    low_crossings: int
    out_crossings: int
    low_reason: str | None = None

    @property
    def suggested_quantity(self) -> Decimal:
        """How much to deliver to reach the target level (twice the threshold when none is set)."""
        return suggested_quantity(self, NO_DEMAND)


def low_reason(level: Level, demand: Demand = NO_DEMAND) -> str | None:
    """Why the stock counts as low now (THRESHOLD or DAYS_OF_COVER), or None if it does not."""
    if level.threshold > 0 and level.on_hand <= level.threshold:
        return THRESHOLD
    if demand.runs_out_before_delivery(level.on_hand):
        return DAYS_OF_COVER
    return None


def suggested_quantity(level: Level, demand: Demand = NO_DEMAND) -> Decimal:
    """How much to deliver to reach the target level.

    Without a target level: twice the threshold, or what sells in two lead times if that is more.
    """
    target = level.target_level
    if target is None:
        target = level.threshold * 2
        if demand.daily_rate:
            target = max(target, demand.daily_rate * demand.lead_time_days * 2)
    missing = max(target - level.on_hand, Decimal(0))
    return (missing / demand.step).to_integral_value(ROUND_CEILING) * demand.step


def rounded_days(days: Decimal | None) -> Decimal | None:
    """Days of cover to a tenth of a day, half-up, for people to read."""
    return None if days is None else days.quantize(Decimal("0.1"), ROUND_HALF_UP)


def move(level: Level, quantity: Decimal, demand: Demand = NO_DEMAND) -> tuple[Level, list[Signal]]:
    """Apply a signed movement; returns the new level and the signals it raises (each once per crossing)."""
    before = level.on_hand
    after = before + quantity
    level = replace(level, on_hand=after)
    signals: list[Signal] = []
    if quantity < 0:
        reason = low_reason(level, demand)
        if level.low_armed and reason is not None:
            level = replace(level, low_armed=False, low_reason=reason, low_crossings=level.low_crossings + 1)
            signals.append(Signal.LOW)
        if before > 0 >= after:
            level = replace(level, out_crossings=level.out_crossings + 1)
            signals.append(Signal.OUT)
        if before >= 0 > after:
            signals.append(Signal.DISCREPANCY)
    elif not level.low_armed and after > level.threshold and not demand.runs_out_before_delivery(after):
        # back above the threshold and covering the lead time: the next fall alerts again
        level = replace(level, low_armed=True, low_reason=None)
    return level, signals


def arm(level: Level, demand: Demand = NO_DEMAND) -> Level:
    """The level after its threshold or target changed: armed unless it is low (or empty) already, without an alert."""
    reason = low_reason(level, demand)
    return replace(level, low_armed=reason is None and level.on_hand > level.threshold, low_reason=reason)
