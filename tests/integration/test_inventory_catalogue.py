"""Inventory's catalogue through its HTTP API: the network, producers, products, prices, retirement."""

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tests.support.inventory import (
    IBAN,
    VAT_NUMBER,
    error_at,
    ok,
    published,
    register_place,
    register_producer,
    register_product,
    register_village,
)


@pytest.fixture
def app(make_app):
    return make_app("inventory")


@pytest.fixture
def client(app):
    return app.test_client()


# -- the network ----------------------------------------------------------------------------------


def test_a_selling_place_keeps_its_opening_hours_and_defaults_to_rome_time(client):
    village = register_village(client)
    hours = {"tue": ["08:30-12:30", "15:00-19:00"], "sun": []}
    body = {"village_id": village["id"], "name": "Bottega", "commission_rate": "15.00", "opening_hours": hours}
    place = ok(client.post("/selling-places", json=body))
    assert place["timezone"] == "Europe/Rome" and place["opening_hours"] == hours
    assert ok(client.get(f"/selling-places/{place['id']}"), 200)["opening_hours"] == hours


@pytest.mark.parametrize(
    "hours, field",
    [
        ({"tue": ["12:30-08:30"]}, "tue"),
        ({"tue": ["08:30-12:30", "12:00-19:00"]}, "tue"),
        ({"tue": ["8-12"]}, "tue"),
        ({"someday": ["08:30-12:30"]}, "someday"),
    ],
)
def test_wrong_opening_hours_are_refused_naming_the_day(client, hours, field):
    village = register_village(client)
    body = {"village_id": village["id"], "name": "Bottega", "commission_rate": "15", "opening_hours": hours}
    assert error_at(client.post("/selling-places", json=body), "json", "opening_hours", field)


def test_selling_places_are_listed_by_village(client):
    dazio, morbegno = register_village(client, "Dazio"), register_village(client, "Morbegno")
    register_place(client, dazio, "Bottega di Dazio")
    register_place(client, morbegno, "Punto vendita Morbegno")
    listed = ok(client.get("/selling-places", query_string={"village_id": morbegno["id"]}), 200)
    assert [p["name"] for p in listed] == ["Punto vendita Morbegno"]
    assert len(ok(client.get("/selling-places"), 200)) == 2


def test_the_sectors_come_from_the_configuration(make_app):
    client = make_app("inventory", SECTORS=["agri-food", "handicraft"]).test_client()
    assert ok(client.get("/sectors"), 200) == {"sectors": ["agri-food", "handicraft"]}
    assert (
        "Unknown sector"
        in error_at(client.post("/producers", json={"name": "Guida", "sector": "tourism-services"}), "json", "sector")[0]
    )


# -- producers ------------------------------------------------------------------------------------


def test_a_producer_registers_with_tax_data_payout_account_and_alert_channels(app, client):
    village = register_village(client)
    producer = register_producer(
        client,
        home_village_id=village["id"],
        vat_number=f"IT {VAT_NUMBER}",
        iban="it60 x054 2811 1010 0000 0123 456",
        tax_regime="agricultural_special",
        telegram_chat_id="-1001234567890",
        email="casaro@example.org",
        lead_time_days=5,
        language="en",
    )
    assert producer["vat_number"] == VAT_NUMBER and producer["iban"] == IBAN and producer["revision"] == 1
    [registered] = published(app, "ProducerRegistered")
    assert registered.data["vat_number"] == VAT_NUMBER and registered.data["iban"] == IBAN
    assert registered.data["tax_regime"] == "agricultural_special" and registered.data["lead_time_days"] == 5
    assert registered.data["contacts"]["telegram_chat_id"] == "-1001234567890"
    assert registered.village_id == uuid.UUID(village["id"])


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"vat_number": "00743110158"}, "vat_number", "checksum"),
        ({"vat_number": "0074311015"}, "vat_number", "length"),
        ({"iban": "IT60X0542811101000000123457"}, "iban", "Not a valid IBAN"),
        ({"iban": "IT64Y0542811101000000123456"}, "iban", "national checksum"),
        ({"iban": "BR1800360305000010009795493C1"}, "iban", "SEPA"),
        ({"tax_regime": "forfettario"}, "tax_regime", "Must be one of"),
        ({"lead_time_days": -1}, "lead_time_days", "greater than or equal to 0"),
        ({"lead_time_days": "3"}, "lead_time_days", "Not a valid integer"),
        ({"telegram_chat_id": "not a chat"}, "telegram_chat_id", "Telegram"),
        ({"home_village_id": str(uuid.uuid4())}, "home_village_id", "Unknown village."),
        ({"favourite_cheese": "Bitto"}, "favourite_cheese", "Unknown field."),
    ],
)
def test_a_bad_producer_is_refused_naming_the_field(app, client, change, field, message):
    response = client.post("/producers", json={"name": "Caseificio", "sector": "agri-food", **change})
    assert message in " ".join(error_at(response, "json", field))
    assert published(app, "ProducerRegistered") == []


def test_a_vat_number_belongs_to_one_producer(client):
    register_producer(client, vat_number=VAT_NUMBER)
    response = client.post("/producers", json={"name": "Altro", "sector": "agri-food", "vat_number": VAT_NUMBER})
    assert error_at(response, "json", "vat_number", status=409)


def test_patching_a_producer_publishes_the_whole_new_state_with_the_next_revision(app, client):
    producer = register_producer(client, email="casaro@example.org")
    changed = ok(client.patch(f"/producers/{producer['id']}", json={"iban": IBAN, "lead_time_days": 7}), 200)
    assert changed["revision"] == 2 and changed["iban"] == IBAN and changed["email"] == "casaro@example.org"
    again = ok(client.patch(f"/producers/{producer['id']}", json={"lead_time_days": 7}), 200)
    assert again["revision"] == 2  # nothing changed: no new revision, no event
    [updated] = published(app, "ProducerUpdated")
    assert updated.data["revision"] == 2 and updated.data["lead_time_days"] == 7 and updated.data["iban"] == IBAN
    assert updated.data["contacts"]["email"] == "casaro@example.org" and updated.data["name"] == producer["name"]


def test_putting_a_producer_replaces_every_detail(app, client):
    producer = register_producer(client, email="casaro@example.org", lead_time_days=6)
    replaced = ok(client.put(f"/producers/{producer['id']}", json={"name": "Caseificio Gerola", "sector": "agri-food"}), 200)
    assert replaced["email"] is None and replaced["lead_time_days"] == 3 and replaced["revision"] == 2
    assert published(app, "ProducerUpdated")[0].data["contacts"]["email"] is None


def test_a_bad_producer_update_changes_nothing(app, client):
    producer = register_producer(client)
    other = register_producer(client, name="Apicoltura", vat_number=VAT_NUMBER)
    assert error_at(client.patch(f"/producers/{producer['id']}", json={"iban": "IT00"}), "json", "iban")
    assert error_at(
        client.patch(f"/producers/{producer['id']}", json={"vat_number": VAT_NUMBER}), "json", "vat_number", status=409
    )
    assert client.patch(f"/producers/{uuid.uuid4()}", json={"lead_time_days": 1}).status_code == 404
    assert ok(client.get(f"/producers/{producer['id']}"), 200)["revision"] == 1
    assert published(app, "ProducerUpdated") == [] and other["revision"] == 1


def test_concurrent_updates_of_a_producer_each_get_their_own_revision(app):
    from concurrent.futures import ThreadPoolExecutor

    client = app.test_client()
    producer = register_producer(client)

    def update(days):
        return ok(app.test_client().patch(f"/producers/{producer['id']}", json={"lead_time_days": days}), 200)["revision"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        revisions = list(pool.map(update, range(10, 22)))
    assert sorted(revisions) == list(range(2, 14))
    assert sorted(e.data["revision"] for e in published(app, "ProducerUpdated")) == list(range(2, 14))


def test_producers_are_found_by_village_sector_and_vat_number(client):
    village = register_village(client)
    register_producer(client, name="Caseificio", home_village_id=village["id"], vat_number=VAT_NUMBER)
    register_producer(client, name="Pietra ollare", sector="handicraft")
    assert [p["name"] for p in ok(client.get("/producers", query_string={"village_id": village["id"]}), 200)] == ["Caseificio"]
    assert [p["name"] for p in ok(client.get("/producers", query_string={"sector": "handicraft"}), 200)] == ["Pietra ollare"]
    assert [p["name"] for p in ok(client.get("/producers", query_string={"vat_number": f"IT{VAT_NUMBER}"}), 200)] == [
        "Caseificio"
    ]
    assert error_at(client.get("/producers", query_string={"vat_number": "123"}), "query", "vat_number")


# -- products -------------------------------------------------------------------------------------


def test_products_are_found_by_barcode_sku_and_producer(app, client):
    producer = register_producer(client)
    honey = register_product(client, producer, name="Miele", unit="piece", barcode="8001234567897")
    flour = register_product(client, producer, name="Farina", unit="piece", sku="GS-FARINA-1KG", barcode="96385074")
    assert [p["id"] for p in ok(client.get("/products", query_string={"barcode": "8001234567897"}), 200)] == [honey["id"]]
    assert [p["id"] for p in ok(client.get("/products", query_string={"barcode": "96385074"}), 200)] == [flour["id"]]
    assert [p["id"] for p in ok(client.get("/products", query_string={"sku": "GS-FARINA-1KG"}), 200)] == [flour["id"]]
    assert ok(client.get("/products", query_string={"barcode": "4006381333931"}), 200) == []
    assert len(ok(client.get("/products", query_string={"producer_id": producer["id"]}), 200)) == 2
    assert "check digit" in error_at(client.get("/products", query_string={"barcode": "8001234567890"}), "query", "barcode")[0]
    assert published(app, "ProductRegistered")[1].data["sku"] == "GS-FARINA-1KG"


def test_an_sku_belongs_to_one_product(client):
    producer = register_producer(client)
    register_product(client, producer, sku="BITTO-24")
    response = client.post(
        "/products", json={"producer_id": producer["id"], "name": "Altro", "price": "1.00", "vat_rate": "4", "sku": "BITTO-24"}
    )
    assert error_at(response, "json", "sku", status=409)
    assert error_at(
        client.post(
            "/products", json={"producer_id": producer["id"], "name": "A", "price": "1", "vat_rate": "4", "sku": "no spaces"}
        ),
        "json",
        "sku",
    )


def test_a_price_change_takes_effect_when_it_says_and_keeps_the_history(app, client):
    product = register_product(client, register_producer(client))
    soon = datetime.now(timezone.utc) + timedelta(days=7)
    change = ok(client.post(f"/products/{product['id']}/prices", json={"price": "29.50", "effective_from": soon.isoformat()}))
    assert change["price"] == "29.50"
    assert ok(client.get(f"/products/{product['id']}"), 200)["price"] == "28.00"  # not yet
    now = ok(client.post(f"/products/{product['id']}/prices", json={"price": "27.00"}))
    assert ok(client.get(f"/products/{product['id']}"), 200)["price"] == "27.00"
    history = ok(client.get(f"/products/{product['id']}/prices"), 200)
    assert [h["price"] for h in history] == ["28.00", "27.00", "29.50"]
    first, second = published(app, "PriceChanged")
    assert (first.data["price"], first.data["previous_price"]) == (Decimal("29.50"), Decimal("28.00"))
    assert first.data["effective_from"] == soon and first.data["producer_id"] == uuid.UUID(product["producer_id"])
    assert (second.data["price"], second.data["previous_price"]) == (Decimal("27.00"), Decimal("28.00"))
    assert second.data["effective_from"].isoformat() == datetime.fromisoformat(now["effective_from"]).isoformat()


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"price": "29.505"}, "price", "At most 2 decimal places."),
        ({"price": "twenty"}, "price", "Not a valid number."),
        ({"price": "-1"}, "price", "greater than or equal to 0.01"),
        ({"price": "28.00"}, "price", "already the price"),
        ({"price": "30", "effective_from": "2020-01-01T00:00:00+01:00"}, "effective_from", "in the past"),
        ({"price": "30", "effective_from": "2030-01-01T00:00:00"}, "effective_from", "aware"),
        ({"price": "30", "currency": "CHF"}, "currency", "Unknown field."),
    ],
)
def test_a_bad_price_change_is_refused_naming_the_field(app, client, body, field, message):
    product = register_product(client, register_producer(client))
    response = client.post(f"/products/{product['id']}/prices", json=body)
    assert message in " ".join(error_at(response, "json", field))
    assert published(app, "PriceChanged") == []


def test_a_float_price_is_refused_even_in_json(client):
    producer = register_producer(client)
    response = client.post(
        "/products",
        data='{"producer_id": "%s", "name": "Miele", "price": 8.505, "vat_rate": "10"}' % producer["id"],
        content_type="application/json",
    )
    assert "At most 2 decimal places." in error_at(response, "json", "price")


def test_a_retired_product_keeps_its_history_but_is_no_longer_delivered_or_repriced(app, client):
    village = register_village(client)
    place = register_place(client, village)
    product = register_product(client, register_producer(client))
    ok(client.post(f"/selling-places/{place['id']}/restocks", json={"lines": [{"product_id": product["id"], "quantity": "3"}]}))
    retired = ok(client.post(f"/products/{product['id']}/retire"), 200)
    assert retired["active"] is False and retired["retired_at"]
    assert ok(client.post(f"/products/{product['id']}/retire"), 200)["retired_at"] == retired["retired_at"]
    [event] = published(app, "ProductRetired")
    assert event.data == {"product_id": uuid.UUID(product["id"]), "producer_id": uuid.UUID(product["producer_id"])}
    response = client.post(
        f"/selling-places/{place['id']}/restocks", json={"lines": [{"product_id": product["id"], "quantity": "1"}]}
    )
    assert "retired" in error_at(response, "json", "lines", 0, "product_id")[0]
    assert client.post(f"/products/{product['id']}/prices", json={"price": "30"}).status_code == 409
    assert ok(client.get(f"/selling-places/{place['id']}/stock/{product['id']}"), 200)["on_hand"] == "3.000"
    assert [p["id"] for p in ok(client.get("/products", query_string={"active": "false"}), 200)] == [product["id"]]
    assert client.post(f"/products/{uuid.uuid4()}/retire").status_code == 404
