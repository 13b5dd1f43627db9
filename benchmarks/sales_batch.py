"""Offline receipt batches: receipts recorded per second in batches of 100, against single posts.

Target (issue 4): at least 5,000 receipts/s in batches of 100 (one request, one transaction each)
on a 2-core machine. Each of BENCH_WORKERS processes (default 2, one per core, as gunicorn workers
would be) builds the sales app on the same scratch database and posts through the Flask test
client, so the figure is the service's own work: validation, pricing, the inserts, the outbox,
the commit. The baseline is the same receipts posted one by one to POST /receipts.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from benchmarks.common import REDIS_URL, Result, at_least, scratch_database, scratch_prefix

RECEIPTS = int(os.environ.get("BENCH_RECEIPTS", 20_000))
#: receipts already in the sales database for the growth series (issue 9, item 7): 1x, 10x, 100x
GROWTH = [int(n) for n in os.environ.get("BENCH_GROWTH", "10000,100000,1000000").split(",") if n]
#: receipts posted in batches of 100 at each volume of the growth series
GROWTH_RECEIPTS = int(os.environ.get("BENCH_GROWTH_RECEIPTS", 6_000))
SINGLES = int(os.environ.get("BENCH_SINGLES", 2_000))
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))
BATCH = 100


def seed(app) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A selling place and 50 products, as if inventory's events had arrived."""
    from services.sales import catalogue

    place, producer = uuid.uuid4(), uuid.uuid4()
    products = [uuid.uuid4() for _ in range(50)]
    with app.extensions["db"].transaction() as session:
        catalogue.keep_selling_place(
            session=session,
            data={"selling_place_id": place, "village_id": uuid.uuid4(), "name": "Bottega", "timezone": "Europe/Rome"},
        )
        catalogue.keep_producer(
            session=session,
            data={"producer_id": producer, "revision": 1, "name": "Bianchi", "sector": "agri-food", "tax_regime": "ordinary"},
        )
        for n, product_id in enumerate(products):
            catalogue.keep_product(
                session=session,
                data={
                    "product_id": product_id,
                    "producer_id": producer,
                    "name": f"Prodotto {n}",
                    "sector": "agri-food",
                    "unit": "kg" if n % 3 == 0 else "piece",
                    "price": Decimal("3.50") + n,
                    "vat_rate": Decimal((4, 10, 22)[n % 3]),
                    "mountain_product": True,
                    "barcode": None,
                },
            )
    return place, products


def receipts(place: uuid.UUID, products: list[uuid.UUID], count: int, rng: random.Random) -> list[dict]:
    """Receipts of one to four lines over the last week, as a till sends them."""
    now = datetime.now(timezone.utc)
    out = []
    for _ in range(count):
        lines = [{"product_id": str(p), "quantity": str(rng.randint(1, 3))} for p in rng.sample(products, rng.randint(1, 4))]
        out.append(
            {
                "receipt_id": str(uuid.uuid4()),
                "selling_place_id": str(place),
                "till_id": "till-1",
                "sold_at": (now - timedelta(minutes=rng.randint(1, 7 * 24 * 60))).isoformat(),
                "payment_method": rng.choice(("cash", "card")),
                "lines": lines,
            }
        )
    return out


def _app(url: str, public_key: str | None = None):
    from services.sales.app import create_app

    config = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "STREAM_PREFIX": scratch_prefix(), "LOG_LEVEL": "WARNING"}
    if public_key:  # the tokens are checked as in production; the rate limit counts but never refuses
        config.update(AUTH_PUBLIC_KEY=public_key, RATE_LIMIT="100000000 per minute")
    return create_app(config)


def _worker(url: str, auth: tuple[str, str], requests: list[tuple[str, dict, str, int]], barrier, results) -> None:
    """Post `requests` (path, body, counter, expected) one after the other with a clerk's token; report (start, end)."""
    token, public_key = auth
    app = _app(url, public_key)
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    client.get("/health/live")
    barrier.wait()
    started = time.perf_counter()
    for path, body, counter, expected in requests:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code < 300, response.get_json()
        if counter:
            assert response.get_json()[counter] == expected, response.get_json()
    results.put((started, time.perf_counter()))
    app.extensions["db"].dispose()


def throughput(url: str, auth: tuple[str, str], requests: list[tuple[str, dict, str, int]], receipts_count: int) -> float:
    """Receipts per second with the requests shared among WORKERS processes started together."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    workers = [
        context.Process(target=_worker, args=(url, auth, requests[n::WORKERS], barrier, results), daemon=True)
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    spans = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0, "a benchmark worker failed"
    return receipts_count / (max(end for _, end in spans) - min(start for start, _ in spans))


#: receipts of past years, two lines each, written straight into the tables (no API, no outbox)
HISTORY = """
WITH receipt_rows AS (
    INSERT INTO receipt (id, selling_place_id, village_id, till_id, clerk, sold_at, business_date, payment_method,
                         total, vat_total, flagged, fiscal_document, after_close, content_hash, recorded_at)
    SELECT gen_random_uuid(), CAST(:place AS uuid), NULL, 'till-old', NULL, sold, sold::date, 'cash',
           10.00, 0.91, false, NULL, false, md5(n::text), sold
    FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n, LATERAL (SELECT now() - n * interval '1 minute' - interval '8 days') AS t(sold)
    RETURNING id
)
INSERT INTO receipt_line (receipt_id, line_no, product_id, producer_id, sector, mountain_product, quantity,
                          unit_price, discount, gross, vat_rate, vat, flagged, requires_fiscal_document)
SELECT id, k, CAST(:product AS uuid), NULL, 'agri-food', true, 1, 5.00, 0.00, 5.00, 10.00, 0.45, false, true
FROM receipt_rows, generate_series(1, 2) AS k
"""


def grow_to(url: str, place: uuid.UUID, product: uuid.UUID, have: int, want: int) -> None:
    """Bring the receipts of past years to `want` by SQL, in chunks, then refresh the planner's statistics."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        for first in range(have + 1, want + 1, 200_000):
            with connection.begin():
                connection.execute(
                    sa.text(HISTORY),
                    {"place": place, "product": product, "first": first, "last": min(want, first + 199_999)},
                )
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE receipt, receipt_line"))
    engine.dispose()


def clerk_token(place: uuid.UUID) -> tuple[str, str]:
    """A clerk's token for `place` and the public key that verifies it (see benchmarks.sales_http)."""
    from benchmarks.sales_http import clerk_token as make

    return make(place)


def growth(url: str, place: uuid.UUID, products: list[uuid.UUID], rng: random.Random) -> list[tuple[int, float]]:
    """Batch ingestion throughput with 1x, 10x, 100x receipts already recorded."""
    figures, have = [], 0
    for volume in GROWTH:
        grow_to(url, place, products[0], have, volume)
        have = volume
        batches = [receipts(place, products, BATCH, rng) for _ in range(GROWTH_RECEIPTS // BATCH)]
        requests = [("/receipts/batch", {"receipts": b}, "created", BATCH) for b in batches]
        figures.append((volume, throughput(url, clerk_token(place), requests, len(batches) * BATCH)))
    return figures


def run() -> list[Result]:
    rng = random.Random(4)
    with scratch_database("sales") as url:
        app = _app(url)
        place, products = seed(app)
        app.extensions["db"].dispose()
        auth = clerk_token(place)

        singles = [("/receipts", body, "", 0) for body in receipts(place, products, SINGLES, rng)]
        single_rate = throughput(url, auth, singles, len(singles))

        batches = [receipts(place, products, BATCH, rng) for _ in range(RECEIPTS // BATCH)]
        batch_rate = throughput(url, auth, [("/receipts/batch", {"receipts": b}, "created", BATCH) for b in batches], RECEIPTS)

        # the same batches again, as a till does after a timeout: all duplicates
        resent = batches[: max(WORKERS, len(batches) // 4)]
        resend_rate = throughput(
            url, auth, [("/receipts/batch", {"receipts": b}, "duplicates", BATCH) for b in resent], len(resent) * BATCH
        )
    with scratch_database("sales") as url:
        app = _app(url)
        place, products = seed(app)
        app.extensions["db"].dispose()
        series = growth(url, place, products, rng)

    label = f"{WORKERS} worker{'s' if WORKERS > 1 else ''}"
    return [
        Result(
            "sales_batch", f"batches of 100, {label}: new receipts", batch_rate, "/s", single_rate, "POST /receipts 1 by 1",
            ">= 5,000 /s", at_least(batch_rate, 5_000),
        ),
        Result(
            "sales_batch", f"batches of 100 sent again, {label}: duplicates", resend_rate, "/s", single_rate,
            "POST /receipts 1 by 1",
        ),
    ] + growth_results(series, label)  # fmt: skip


def growth_results(series: list[tuple[int, float]], label: str) -> list[Result]:
    """The growth series: each volume against the smallest; the largest should keep 80 % of it."""
    if not series:
        return []
    smallest, first = series[0]
    results = []
    for volume, figure in series:
        last = volume == series[-1][0] and len(series) > 1
        results.append(
            Result(
                "sales_batch", f"batches of 100, {label}, {volume:,} receipts already recorded", figure, "/s",
                first, f"with {smallest:,}", ">= 0.8x" if last else "-", (figure >= 0.8 * first) if last else None,
                "" if not last or figure >= 0.8 * first else f"{0.8 - figure / first:.2f}x short of 0.8x",
                details={"volume": volume, "growth": volume / smallest},
            )
        )  # fmt: skip
    return results


if __name__ == "__main__":
    from benchmarks.run import main

    sys.exit(main(["sales_batch"]))
