"""A small network told through events (catalogue, sales, refunds, stock), for reporting tests.

Everything is generated from a seed, so a test can compute what the reports must say (its oracle)
from the very events it posts, independently of the service's code.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from backbone.events import Event, new_event

ROME = ZoneInfo("Europe/Rome")
CENT = Decimal("0.01")
SECTORS = ("agri-food", "handicraft", "tourism-services")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Catalogue:
    villages: dict = field(default_factory=dict)  # id -> {name, population}
    places: dict = field(default_factory=dict)  # id -> {village_id, name, commission_rate}
    producers: dict = field(default_factory=dict)  # id -> {name, sector, iban}
    products: dict = field(default_factory=dict)  # id -> {producer_id, sector, mountain, price, vat_rate}
    events: list = field(default_factory=list)


def catalogue(rng: random.Random, *, villages: int = 3, places_per_village: int = 1, producers: int = 8) -> Catalogue:
    """Villages with selling places (commission 15 or 20 %), producers of every sector with products."""
    cat = Catalogue()
    for v in range(villages):
        village_id = uuid.uuid4()
        cat.villages[village_id] = {"name": f"Village {v}", "population": 300 + 1000 * v}
        cat.events.append(
            new_event(
                "VillageRegistered",
                {
                    "village_id": village_id,
                    "name": f"Village {v}",
                    "istat_code": f"0140{v:02d}",
                    "province": "SO",
                    "population": 300 + 1000 * v,
                },
                source="inventory",
            )
        )
        for p in range(places_per_village):
            place_id = uuid.uuid4()
            rate = Decimal(rng.choice(("15", "20", "12.5")))
            cat.places[place_id] = {"village_id": village_id, "name": f"Bottega {v}.{p}", "commission_rate": rate}
            cat.events.append(
                new_event(
                    "SellingPlaceRegistered",
                    {
                        "selling_place_id": place_id,
                        "village_id": village_id,
                        "name": f"Bottega {v}.{p}",
                        "timezone": "Europe/Rome",
                        "commission_rate": rate,
                    },
                    source="inventory",
                )
            )
    for n in range(producers):
        producer_id = uuid.uuid4()
        sector = SECTORS[n % len(SECTORS)]
        # every third producer gave an IBAN whose check digits are wrong
        iban = ("IT60X0542811101000000123456", "DE89370400440532013000", "IT60X0542811101000000123457")[n % 3]
        cat.producers[producer_id] = {"name": f"Produttore {n}", "sector": sector, "iban": iban}
        cat.events.append(
            new_event(
                "ProducerRegistered",
                {
                    "producer_id": producer_id,
                    "name": f"Produttore {n}",
                    "sector": sector,
                    "language": "it",
                    "contacts": {"email": f"p{n}@example.org"},
                    "iban": iban,
                },
                source="inventory",
            )
        )
        for k in range(2):
            product_id = uuid.uuid4()
            rate = Decimal(rng.choice(("4", "10", "22")))
            price = Decimal(rng.randint(150, 4500)) / 100
            mountain = bool((n + k) % 2)
            cat.products[product_id] = {
                "producer_id": producer_id,
                "sector": sector,
                "mountain": mountain,
                "price": price,
                "vat_rate": rate,
            }
            cat.events.append(
                new_event(
                    "ProductRegistered",
                    {
                        "product_id": product_id,
                        "producer_id": producer_id,
                        "name": f"Prodotto {n}.{k}",
                        "sector": sector,
                        "unit": "piece",
                        "price": price,
                        "vat_rate": rate,
                        "mountain_product": mountain,
                        "reorder_threshold": Decimal("2"),
                    },
                    source="inventory",
                )
            )
    return cat


def sold_at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=ROME)


def sale(cat: Catalogue, rng: random.Random, place_id, day: date, *, lines: int | None = None) -> Event:
    """A receipt of 1-3 lines of random products at a selling place on `day`."""
    chosen = rng.sample(list(cat.products), lines or rng.randint(1, 3))
    body = []
    for n, product_id in enumerate(chosen, start=1):
        product = cat.products[product_id]
        quantity = Decimal(rng.randint(1, 4))
        gross = cents(product["price"] * quantity)
        vat = cents(gross * product["vat_rate"] / (100 + product["vat_rate"]))
        body.append(
            {
                "line_no": n,
                "product_id": product_id,
                "producer_id": product["producer_id"],
                "sector": product["sector"],
                "mountain_product": product["mountain"],
                "quantity": quantity,
                "unit_price": product["price"],
                "discount": Decimal("0.00"),
                "gross": gross,
                "vat_rate": product["vat_rate"],
                "vat": vat,
                "flagged": False,
            }
        )
    place = cat.places[place_id]
    return new_event(
        "SaleRecorded",
        {
            "receipt_id": uuid.uuid4(),
            "selling_place_id": place_id,
            "village_id": place["village_id"],
            "till_id": "till-1",
            "sold_at": sold_at(day, rng.randint(8, 19)),
            "business_date": day,
            "payment_method": "cash",
            "total": sum(line["gross"] for line in body),
            "vat_total": sum(line["vat"] for line in body),
            "lines": body,
        },
        source="sales",
        selling_place_id=place_id,
    )


def refund(sale_event: Event, day: date, *, line_no: int = 1, share: Decimal = Decimal("1")) -> Event:
    """Give back (a share of) one line of a sale on `day`."""
    data = sale_event.data
    line = next(line for line in data["lines"] if line["line_no"] == line_no)
    quantity = (line["quantity"] * share).quantize(Decimal("0.001"))
    gross = cents(line["gross"] * share)
    vat = cents(gross * line["vat_rate"] / (100 + line["vat_rate"]))
    return new_event(
        "SaleRefunded",
        {
            "refund_id": uuid.uuid4(),
            "receipt_id": data["receipt_id"],
            "selling_place_id": data["selling_place_id"],
            "village_id": data["village_id"],
            "kind": "refund",
            "refunded_at": sold_at(day, 17),
            "business_date": day,
            "sale_business_date": data["business_date"],
            "total": gross,
            "vat_total": vat,
            "lines": [
                {
                    "line_no": line_no,
                    "product_id": line["product_id"],
                    "producer_id": line["producer_id"],
                    "sector": line["sector"],
                    "mountain_product": line["mountain_product"],
                    "quantity": quantity,
                    "gross": gross,
                    "vat_rate": line["vat_rate"],
                    "vat": vat,
                    "returned_to_shelf": True,
                }
            ],
        },
        source="sales",
    )


def again(event: Event) -> Event:
    """The same sale told again by another event (a till resending it): same receipt, new event id."""
    return Event(**{**event.__dict__, "event_id": uuid.uuid4()})


def days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
