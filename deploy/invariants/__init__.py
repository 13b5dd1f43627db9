"""The invariant checker: does the final state of the network agree with what it accepted?

The oracle is what the services accepted and kept: receipts and refunds in sales' database,
restocks, adjustments and every other movement in inventory's ledger, every event in the outboxes.
The checker reads each service's database (read-only) and Redis, and reports every difference by
id: an event that did not reach a consumer group, a shelf that disagrees with its ledger or with
the sales, a fact or aggregate off by a cent, an alert missing or doubled. Run it on a quiet
network (nothing left in the outboxes, the consumer groups caught up, no aggregate waiting):
work still in flight shows up as differences.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from deploy.invariants.source import Source


@dataclass(frozen=True)
class Difference:
    """One thing that is not as the oracle says: what kind, which id, what was expected and found."""

    kind: str
    id: str
    expected: Any
    actual: Any
    message: str

    def __str__(self) -> str:
        return f"{self.kind} {self.id}: {self.message} (expected {self.expected}, found {self.actual})"


@dataclass
class Report:
    """What the checker looked at (counts by kind) and every difference it found."""

    differences: list[Difference] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.differences

    def add(self, kind: str, id: object, expected: object, actual: object, message: str) -> None:
        """Record one difference."""
        self.differences.append(Difference(kind, str(id), expected, actual, message))

    def of_kind(self, kind: str) -> list[Difference]:
        """The differences of one kind."""
        return [d for d in self.differences if d.kind == kind]

    def ids(self, kind: str | None = None) -> set[str]:
        """The ids named by the differences (of one kind, or all)."""
        return {d.id for d in self.differences if kind is None or d.kind == kind}

    def summary(self) -> str:
        """One line: what was checked, how many differences."""
        counts = ", ".join(f"{n} {what}" for what, n in self.checked.items())
        return f"checked {counts}: {len(self.differences)} difference(s)"


def check(settings_or_urls, *, allow_dead_letters: Iterable[str] = ()) -> Report:
    """Check every invariant of the network described by a deploy.network.Settings or a mapping
    {"database_urls": {service: url}, "redis_url": url, "prefix": "sp:"}.

    A dead-lettered event is a difference unless its event id is in `allow_dead_letters`.
    """
    from deploy.invariants import alerts, bus, reports, stock

    report = Report()
    with Source.of(settings_or_urls) as source:
        bus.check(source, report, allowed={str(i) for i in allow_dead_letters})
        stock.check(source, report)
        reports.check(source, report)
        alerts.check(source, report)
    return report
