"""Stock rules: what a movement does to a shelf, and which alerts it raises.

Pure functions over a snapshot of one (selling place, product) stock, so the rules can be tested
without a database. A sale is a fact: it is never refused for lack of stock; stock may go
negative, which asks the selling place for a stocktake.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum


class Signal(Enum):
    LOW = "StockLow"
    OUT = "StockOut"
    DISCREPANCY = "StockDiscrepancy"


@dataclass(frozen=True)
class Level:
    on_hand: Decimal
    threshold: Decimal
    target_level: Decimal | None
    low_armed: bool
    low_crossings: int
    out_crossings: int

    @property
    def suggested_quantity(self) -> Decimal:
        """How much to deliver to reach the target level (twice the threshold when none is set)."""
        target = self.target_level if self.target_level is not None else self.threshold * 2
        return max(target - self.on_hand, Decimal(0))


def move(level: Level, quantity: Decimal) -> tuple[Level, list[Signal]]:
    """Apply a signed movement; returns the new level and the signals it raises (each once per crossing)."""
    before = level.on_hand
    after = before + quantity
    level = replace(level, on_hand=after)
    signals: list[Signal] = []
    if quantity < 0:
        if level.low_armed and level.threshold > 0 and after <= level.threshold:
            level = replace(level, low_armed=False, low_crossings=level.low_crossings + 1)
            signals.append(Signal.LOW)
        if before > 0 >= after:
            level = replace(level, out_crossings=level.out_crossings + 1)
            signals.append(Signal.OUT)
        if before >= 0 > after:
            signals.append(Signal.DISCREPANCY)
    elif after > level.threshold and not level.low_armed:
        level = replace(level, low_armed=True)  # back above the threshold: the next fall alerts again
    return level, signals
