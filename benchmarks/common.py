"""What every benchmark needs: a scratch database and key prefix, timing, and the result table.

Each benchmark module exposes `run() -> list[Result]`; `benchmarks.run` calls them in turn, prints
one table (figure, baseline, ratio, target, pass/fail) and writes every result to
`benchmarks/results/latest.json`. A figure is compared with a baseline measured in the same run,
because absolute times drift between runs on a shared machine.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import sqlalchemy as sa

from backbone.db import migrate
from deploy.network import ROOT, postgres_database

SERVER = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Result:
    """One measured figure, the baseline it is compared with, and whether it meets its target.

    `passed` is None for a figure with no target (shown for information, e.g. a growth series).
    """

    benchmark: str
    name: str
    figure: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = "-"
    passed: bool | None = None
    note: str = ""
    details: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.figure / self.baseline


def at_least(figure: float, minimum: float) -> bool:
    return figure >= minimum


def at_most(figure: float, maximum: float) -> bool:
    return figure <= maximum


@contextmanager
def scratch_database(service: str):
    """A fresh database for `service` on the server at DATABASE_URL, dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:8]}_{service}"
    url = postgres_database(SERVER, name)
    migrate(url, ROOT / "services" / service / "migrations")
    try:
        yield url
    finally:
        drop_database(name)


def drop_database(name: str) -> None:
    engine = sa.create_engine(
        sa.make_url(SERVER).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def scratch_prefix() -> str:
    return f"bench{uuid.uuid4().hex[:8]}:"


def drop_prefix(client, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


def rate(count: int, started: float) -> float:
    return count / (time.perf_counter() - started)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by the nearest-rank method."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def print_table(results: list[Result]) -> None:
    """The results as one table: figure, baseline, ratio, target, pass/fail."""
    rows = [
        (
            r.benchmark,
            r.name,
            f"{_number(r.figure)} {r.unit}",
            f"{r.baseline_name} {_number(r.baseline)}" if r.baseline is not None else "-",
            f"{r.ratio:.2f}x" if r.ratio is not None else "-",
            r.target,
            {True: "pass", False: "FAIL", None: "info"}[r.passed],
        )
        for r in results
    ]
    header = ("benchmark", "figure", "value", "baseline (same run)", "ratio", "target", "result")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))


def write_json(results: list[Result], name: str = "latest") -> str:
    """Write the results to benchmarks/results/<name>.json; returns the path, relative to the project."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(
        json.dumps([{**asdict(r), "ratio": r.ratio} for r in results], indent=2, default=str) + "\n",
    )
    return str(path.relative_to(ROOT))
