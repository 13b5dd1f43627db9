"""A province's worth of sales for the report benchmarks, stored through reporting's own fact path.

A thousand selling places in a few hundred villages of the Valtellina and around, three thousand
producers (agri-food most, then handicraft, few tourism services) each selling in four places,
three years of receipts of one to five lines with the summer and winter seasons busier. The
catalogue arrives as reporting's consumer would store it (facts.store_village,
facts.store_selling_place) and every sale as a SaleRecorded event handed to facts.store_sales in
big batches: the same function, the same transaction shape, the same dirty marks.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from backbone.events import Event

CENT = Decimal("0.01")
FIRST, LAST = date(2024, 1, 1), date(2026, 12, 31)
VILLAGES = (
    "Dazio",
    "Morbegno",
    "Talamona",
    "Ardenno",
    "Civo",
    "Buglio in Monte",
    "Val Masino",
    "Traona",
    "Mello",
    "Cercino",
)
#: sector, share of producers, (VAT rate, share), share of mountain products, price range in cents
SECTORS = (
    ("agri-food", 0.6, ((Decimal("4"), 0.5), (Decimal("10"), 0.35), (Decimal("22"), 0.15)), 0.6, (250, 3500)),
    ("handicraft", 0.3, ((Decimal("22"), 1.0),), 0.2, (1200, 12000)),
    ("tourism-services", 0.1, ((Decimal("10"), 0.5), (Decimal("22"), 0.5)), 0.0, (1500, 9000)),
)


def _season_weight(day: date) -> float:
    if 6 <= day.month <= 9:
        return 2.0
    if day.month == 12 or day.month <= 3:
        return 1.4
    return 1.0


@dataclass
class Province:
    villages: dict = field(default_factory=dict)  # id -> name
    places: dict = field(default_factory=dict)  # id -> (village id, commission rate)
    #: per selling place, the products on its shelves: (product, producer, sector, mountain, vat rate, [(qty, gross, vat)])
    shelves: dict = field(default_factory=dict)


def province(rng: random.Random, *, places: int = 1000, villages: int = 300, producers: int = 3000) -> Province:
    """The catalogue: villages, selling places, producers of every sector with their products on shelves."""
    p = Province()
    for n in range(villages):
        p.villages[uuid.uuid4()] = f"{VILLAGES[n % len(VILLAGES)]} {n // len(VILLAGES) + 1}"
    village_ids = list(p.villages)
    for n in range(places):
        # every village has a selling place; the bigger ones have more
        village = village_ids[n] if n < villages else rng.choice(village_ids[: villages // 3])
        p.places[uuid.uuid4()] = (village, Decimal(rng.choice(("12.5", "15", "20"))))
    place_ids = list(p.places)
    p.shelves = {place: [] for place in place_ids}
    for _ in range(producers):
        sector, _, rates, mountain_share, (low, high) = _pick(rng, SECTORS, lambda s: s[1])
        producer = uuid.uuid4()
        products = []
        for _ in range(3):
            rate = _pick(rng, rates, lambda r: r[1])[0]
            price = Decimal(rng.randint(low, high)) / 100
            variants = []
            for quantity in (Decimal(1), Decimal(2), Decimal(3)):
                gross = (price * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
                variants.append((quantity, gross, (gross * rate / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)))
            products.append((uuid.uuid4(), producer, sector, rng.random() < mountain_share, rate, variants))
        for place in rng.sample(place_ids, 4):
            p.shelves[place].extend(products)
    return p


def _pick(rng: random.Random, choices, weight):
    return rng.choices(choices, weights=[weight(c) for c in choices])[0]


def catalogue_events(p: Province) -> tuple[list[Event], list[Event]]:
    """VillageRegistered and SellingPlaceRegistered events of the province, as inventory publishes them."""
    villages = [
        Event(
            "VillageRegistered",
            {"village_id": v, "name": name, "istat_code": f"014{n:03d}", "province": "SO", "population": 300 + 37 * n},
            "inventory",
            1,
        )
        for n, (v, name) in enumerate(p.villages.items())
    ]
    places = [
        Event(
            "SellingPlaceRegistered",
            {
                "selling_place_id": place,
                "village_id": village,
                "name": f"Bottega {n}",
                "timezone": "Europe/Rome",
                "commission_rate": rate,
            },
            "inventory",
            1,
        )
        for n, (place, (village, rate)) in enumerate(p.places.items())
    ]
    return villages, places


def store_catalogue(db, p: Province) -> None:
    """Store the villages and selling places through reporting's handlers' own functions."""
    from services.reporting import facts

    villages, places = catalogue_events(p)
    with db.transaction() as session:
        for event in villages:
            facts.store_village(session=session, event=event)
        for event in places:
            facts.store_selling_place(session=session, event=event)


def sales(rng: random.Random, p: Province, lines: int, *, first: date = FIRST, last: date = LAST):
    """About `lines` sale lines spread over every day from `first` to `last`: yields a list of events per day."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    weights = [_season_weight(day) for day in days]
    per_weight = lines / sum(weights)
    place_ids = list(p.places)
    recorded = datetime.now(timezone.utc)
    carry = 0.0
    for day, weight in zip(days, weights, strict=True):
        carry += per_weight * weight
        opening = datetime(day.year, day.month, day.day, 8, tzinfo=timezone.utc)
        events = []
        while carry >= 3:
            size = rng.choice((1, 2, 3, 3, 4, 5))
            place = rng.choice(place_ids)
            village = p.places[place][0]
            shelf = p.shelves[place]
            body = []
            for line_no, (product, producer, sector, mountain, rate, variants) in enumerate(
                rng.sample(shelf, min(size, len(shelf))), start=1
            ):
                quantity, gross, vat = variants[rng.randrange(3)]
                body.append(
                    {
                        "line_no": line_no,
                        "product_id": product,
                        "producer_id": producer,
                        "sector": sector,
                        "mountain_product": mountain,
                        "quantity": quantity,
                        "gross": gross,
                        "vat_rate": rate,
                        "vat": vat,
                    }
                )
            carry -= len(body)
            data = {
                "receipt_id": uuid.uuid4(),
                "selling_place_id": place,
                "village_id": village,
                "business_date": day,
                "sold_at": opening + timedelta(seconds=rng.randrange(36_000)),
                "lines": body,
            }
            events.append(Event("SaleRecorded", data, "sales", 1, recorded_at=recorded))
        yield day, events


def load(db, p: Province, lines: int, *, seed: int, batch_lines: int = 50_000) -> tuple[int, float]:
    """Store about `lines` sale lines through facts.store_sales, a transaction per batch; returns (lines, seconds)."""
    from services.reporting import facts

    rng = random.Random(seed)
    stored, started = 0, time.perf_counter()
    pending: list[Event] = []
    pending_lines = 0

    def flush():
        with db.transaction() as session:
            facts.store_sales(session=session, events=pending)

    for _, events in sales(rng, p, lines):
        pending.extend(events)
        pending_lines += sum(len(e.data["lines"]) for e in events)
        if pending_lines >= batch_lines:
            flush()
            stored += pending_lines
            pending, pending_lines = [], 0
    if pending:
        flush()
        stored += pending_lines
    return stored, time.perf_counter() - started
