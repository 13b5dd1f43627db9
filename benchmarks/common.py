"""What every benchmark needs: a scratch database and key prefix, timing, and the result table."""

from __future__ import annotations

import json
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from backbone.db import migrate
from deploy.network import ROOT, postgres_database

SERVER = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Result:
    name: str
    figure: float
    unit: str
    baseline: float
    baseline_name: str
    target_ratio: float | None = None
    target_figure: float | None = None

    @property
    def ratio(self) -> float:
        return self.figure / self.baseline if self.baseline else float("nan")

    @property
    def passed(self) -> bool:
        ok = True
        if self.target_ratio is not None:
            ok &= self.ratio >= self.target_ratio
        if self.target_figure is not None:
            ok &= self.figure >= self.target_figure
        return ok

    def target(self) -> str:
        parts = []
        if self.target_figure is not None:
            parts.append(f">= {self.target_figure:,.0f} {self.unit}")
        if self.target_ratio is not None:
            parts.append(f">= {self.target_ratio:g}x")
        return ", ".join(parts) or "-"


@contextmanager
def scratch_database(service: str):
    """A fresh database for `service` on the server at DATABASE_URL, dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:8]}_{service}"
    url = postgres_database(SERVER, name)
    migrate(url, ROOT / "services" / service / "migrations")
    try:
        yield url
    finally:
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


def report(results: list[Result], name: str) -> bool:
    """Print the table, write the JSON file; True if every target is met."""
    header = f"{'figure':<44} {'value':>14} {'baseline':>30} {'ratio':>7} {'target':>22}  result"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<44} {r.figure:>10,.0f} {r.unit:<3} {r.baseline_name + ' ' + format(r.baseline, ',.0f'):>30}"
            f" {r.ratio:>6.2f}x {r.target():>22}  {'pass' if r.passed else 'FAIL'}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps([{**asdict(r), "ratio": r.ratio, "passed": r.passed} for r in results], indent=2) + "\n")
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return all(r.passed for r in results)
