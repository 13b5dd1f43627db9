"""Stock figures in the reports: restocked quantity, sell-through and days out of stock, from stock events."""

import uuid
from datetime import date, datetime, time
from decimal import Decimal

from backbone.events import Event, new_event
from services.reporting import aggregates
from tests.support.events import deliver
from tests.support.network_events import ROME, again


def _at(day: int, hour: int = 12) -> datetime:
    return datetime.combine(date(2026, 7, day), time(hour), tzinfo=ROME)


def test_restocks_sell_through_and_days_out_of_stock(make_app, redis_client):
    app = make_app("reporting")
    village, place, other_place = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    producer, product = uuid.uuid4(), uuid.uuid4()
    stock = {"selling_place_id": place, "product_id": product, "producer_id": producer}

    def restock(day, quantity, on_hand) -> Event:
        return new_event(
            "StockRestocked",
            {**stock, "delivery_id": uuid.uuid4(), "quantity": Decimal(quantity), "on_hand": Decimal(on_hand)},
            source="inventory",
            occurred_at=_at(day),
        )

    def sold(day, quantity) -> Event:
        line = {
            "line_no": 1, "product_id": product, "producer_id": producer, "sector": "handicraft", "mountain_product": False,
            "quantity": Decimal(quantity), "unit_price": Decimal("30.00"), "discount": Decimal("0.00"),
            "gross": Decimal("30.00") * quantity, "vat_rate": Decimal("22"), "vat": Decimal("5.41") * quantity, "flagged": False,
        }  # fmt: skip
        return new_event(
            "SaleRecorded",
            {
                "receipt_id": uuid.uuid4(),
                "selling_place_id": place,
                "village_id": village,
                "till_id": "t",
                "sold_at": _at(day),
                "business_date": date(2026, 7, day),
                "payment_method": "cash",
                "total": line["gross"],
                "vat_total": line["vat"],
                "lines": [line],
            },  # fmt: skip
            source="sales",
        )

    first = restock(1, "10", "10")
    events = [
        new_event(
            "SellingPlaceRegistered",
            {
                "selling_place_id": place,
                "village_id": village,
                "name": "Bottega",
                "timezone": "Europe/Rome",
                "commission_rate": Decimal("20"),
            },
            source="inventory",
        ),
        new_event(
            "ProductRegistered",
            {
                "product_id": product,
                "producer_id": producer,
                "name": "Pentola in pietra ollare",
                "sector": "handicraft",
                "unit": "piece",
                "price": Decimal("30.00"),
                "vat_rate": Decimal("22"),
                "mountain_product": False,
                "reorder_threshold": Decimal("2"),
            },  # fmt: skip
            source="inventory",
        ),
        first,
        again(first),  # the same delivery told twice counts once
        sold(3, 4),
        sold(9, 6),
        new_event("StockOut", {**stock, "on_hand": Decimal("0"), "crossing": 1}, source="inventory", occurred_at=_at(10)),
        restock(13, "5", "5"),
        new_event(
            "StockTransferred",
            {
                "transfer_id": uuid.uuid4(),
                "product_id": product,
                "producer_id": producer,
                "from_selling_place_id": place,
                "to_selling_place_id": other_place,
                "quantity": Decimal("5"),
                "on_hand_from": Decimal("0"),
                "on_hand_to": Decimal("5"),
            },  # fmt: skip
            source="inventory",
            occurred_at=_at(20),
        ),
    ]
    deliver(app, redis_client, *events)
    with app.extensions["db"].transaction() as session:
        while aggregates.recompute_dirty(session=session):
            pass

    response = app.test_client().get(
        "/reports/sales",
        query_string={"from": "2026-07-01", "to": "2026-07-31", "group_by": ["selling_place", "product"], "sector": "handicraft"},
    )
    assert response.status_code == 200, response.get_json()
    rows = {row["selling_place"]: row for row in response.get_json()["rows"]}
    mine = rows[str(place)]
    assert mine["product_name"] == "Pentola in pietra ollare"
    assert Decimal(mine["quantity"]) == 10 and Decimal(mine["restocked_quantity"]) == 15
    assert mine["sell_through"] == "66.7"  # 10 sold of 15 delivered
    # out from 10 July to the restock on 13 July (4 days), and again from the transfer on 20 July to 31 July (12)
    assert mine["days_out_of_stock"] == 16
    # the selling place that received the transfer sold nothing, had no delivery and never ran out: no row
    assert set(rows) == {str(place)}

    by_week = (
        app.test_client()
        .get(
            "/reports/sales",
            query_string={"from": "2026-07-06", "to": "2026-07-12", "selling_place": str(place), "granularity": "week"},
        )
        .get_json()
    )
    (week,) = by_week["rows"]
    assert week["period"] == "2026-W28" and week["days_out_of_stock"] == 3 and Decimal(week["quantity"]) == 6
