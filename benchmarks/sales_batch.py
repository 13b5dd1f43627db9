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


def _app(url: str):
    from services.sales.app import create_app

    return create_app({"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "STREAM_PREFIX": scratch_prefix(), "LOG_LEVEL": "WARNING"})


def _worker(url: str, requests: list[tuple[str, dict, str, int]], barrier, results) -> None:
    """Post `requests` (path, body, counter, expected) one after the other; report (start, end)."""
    app = _app(url)
    client = app.test_client()
    client.get("/health/live")
    barrier.wait()
    started = time.perf_counter()
    for path, body, counter, expected in requests:
        response = client.post(path, json=body)
        assert response.status_code < 300, response.get_json()
        if counter:
            assert response.get_json()[counter] == expected, response.get_json()
    results.put((started, time.perf_counter()))
    app.extensions["db"].dispose()


def throughput(url: str, requests: list[tuple[str, dict, str, int]], receipts_count: int) -> float:
    """Receipts per second with the requests shared among WORKERS processes started together."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    workers = [
        context.Process(target=_worker, args=(url, requests[n::WORKERS], barrier, results), daemon=True) for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    spans = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0, "a benchmark worker failed"
    return receipts_count / (max(end for _, end in spans) - min(start for start, _ in spans))


def run() -> list[Result]:
    rng = random.Random(4)
    with scratch_database("sales") as url:
        app = _app(url)
        place, products = seed(app)
        app.extensions["db"].dispose()

        singles = [("/receipts", body, "", 0) for body in receipts(place, products, SINGLES, rng)]
        single_rate = throughput(url, singles, len(singles))

        batches = [receipts(place, products, BATCH, rng) for _ in range(RECEIPTS // BATCH)]
        batch_rate = throughput(url, [("/receipts/batch", {"receipts": b}, "created", BATCH) for b in batches], RECEIPTS)

        # the same batches again, as a till does after a timeout: all duplicates
        resent = batches[: max(WORKERS, len(batches) // 4)]
        resend_rate = throughput(
            url, [("/receipts/batch", {"receipts": b}, "duplicates", BATCH) for b in resent], len(resent) * BATCH
        )

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
    ]  # fmt: skip


if __name__ == "__main__":
    from benchmarks.run import main

    sys.exit(main(["sales_batch"]))
