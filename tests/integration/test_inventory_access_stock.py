"""Who may see and change stock: a selling place's own people, its village's operator, a producer for their goods.

And the walk the issue asks for: every route of inventory that takes an id, tried with another
tenant's object by each of the wrong tenant's roles, answers exactly as for an id that does not exist.
"""

import uuid

import pytest
import sqlalchemy as sa

from services.inventory.models import StockDocument
from tests.support.inventory import ok, published
from tests.support.tenants import build


@pytest.fixture
def app(make_app):
    return make_app("inventory")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def net(client, token_for):
    return build(client, token_for)


@pytest.fixture
def dazio(net):
    return net["dazio"]


@pytest.fixture
def morbegno(net):
    return net["morbegno"]


def lines(product_id: str, field: str = "quantity", value: str = "1") -> list[dict]:
    return [{"product_id": product_id, field: value}]


# -- the walk: another tenant's id is no different from an id that does not exist ---------------------


def _bodies(product_id: str, destination_id: str) -> dict:
    """A valid body for every write that takes an id, so the answer is about the id, not the body."""
    return {
        ("put", "/producers/{producer_id}"): {"name": "Caseificio", "sector": "agri-food"},
        ("patch", "/producers/{producer_id}"): {"lead_time_days": 1},
        ("post", "/products/{product_id}/prices"): {"price": "30.00"},
        ("post", "/products/{product_id}/retire"): None,
        ("post", "/selling-places/{selling_place_id}/restocks"): {"lines": lines(product_id)},
        ("post", "/selling-places/{selling_place_id}/adjustments"): {"reason": "other", "lines": lines(product_id)},
        ("post", "/selling-places/{selling_place_id}/stocktakes"): {"lines": lines(product_id, "counted", "3")},
        ("post", "/selling-places/{selling_place_id}/transfers"): {
            "to_selling_place_id": destination_id,
            "lines": lines(product_id),
        },
        ("put", "/selling-places/{selling_place_id}/stock/{product_id}"): {"reorder_threshold": "1"},
    }


def _fill(template: str, values: dict) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def test_another_tenants_ids_answer_as_if_they_did_not_exist_on_every_route(app, client, dazio, morbegno):
    bitto = dazio.products["bitto"]["id"]
    stocktake = ok(
        dazio.admin.post(f"/selling-places/{dazio.place['id']}/stocktakes", json={"lines": lines(bitto, "counted", "9")})
    )
    dazios = {
        "village_id": dazio.village["id"],
        "selling_place_id": dazio.place["id"],
        "producer_id": dazio.producers["cheese"]["id"],
        "product_id": bitto,
        "stocktake_id": stocktake["stocktake_id"],
    }
    nobodys = {name: str(uuid.uuid4()) for name in dazios}
    bodies = _bodies(bitto, morbegno.place["id"])
    document = client.get("/openapi.json").get_json()
    with_ids = [
        (method, path)
        for path, methods in document["paths"].items()
        if "{" in path
        for method in methods
        if method != "parameters"
    ]
    assert len(with_ids) == 19 and set(bodies) <= set(with_ids)
    before = len(published(app))
    # the woodcarver's goods are only in Morbegno: nothing of Dazio's is theirs
    for role in ("clerk", "manager", "operator", "producer_wood"):
        caller = getattr(morbegno, role)
        for method, path in with_ids:
            body = bodies.get((method, path))
            foreign = caller.open(method, _fill(path, dazios), json=body)
            missing = caller.open(method, _fill(path, nobodys), json=body)
            assert foreign.status_code in (403, 404), (role, method, path, foreign.get_json())
            assert (foreign.status_code, foreign.get_json()) == (missing.status_code, missing.get_json()), (role, method, path)
    assert len(published(app)) == before  # and nothing was written
    # the same calls with the right tenant's token succeed: the walk was about the tenant, not the requests
    assert dazio.operator.get(_fill("/selling-places/{selling_place_id}/stocktakes/{stocktake_id}", dazios)).status_code == 200
    for key in [key for key in bodies if key[1].startswith("/selling-places")]:
        response = dazio.manager.open(key[0], _fill(key[1], dazios), json=bodies[key])
        assert response.status_code in (200, 201), (key, response.get_json())


# -- stock documents ----------------------------------------------------------------------------------


def test_a_manager_writes_the_stock_documents_of_their_own_place(app, dazio, morbegno):
    place = f"/selling-places/{dazio.place['id']}"
    bitto, honey = dazio.products["bitto"]["id"], morbegno.products["honey"]["id"]
    manager = dazio.manager
    assert ok(manager.post(f"{place}/restocks", json={"lines": lines(bitto, value="5")}))["lines"][0]["on_hand"] == "15.000"
    ok(manager.post(f"{place}/adjustments", json={"reason": "breakage", "lines": lines(bitto, value="-1")}))
    taken_id = ok(manager.post(f"{place}/stocktakes", json={"lines": lines(honey, "counted", "9")}))["stocktake_id"]
    assert ok(manager.get(f"{place}/stocktakes/{taken_id}"), 200)["lines"][0]["variance"] == "-1.000"
    # their goods may go to a shop in another village: the source is what must be theirs
    moved = ok(manager.post(f"{place}/transfers", json={"to_selling_place_id": morbegno.place["id"], "lines": lines(honey)}))
    assert moved["lines"][0]["on_hand_to"] == "11.000"
    assert [e.type for e in published(app)][-4:] == ["StockRestocked", "StockAdjusted", "StockAdjusted", "StockTransferred"]
    before = len(published(app))
    other = f"/selling-places/{morbegno.place['id']}"
    assert manager.post(f"{other}/restocks", json={"lines": lines(honey)}).status_code == 404
    assert (
        manager.post(f"{other}/transfers", json={"to_selling_place_id": dazio.place["id"], "lines": lines(honey)}).status_code
        == 404
    )
    assert manager.get(f"{other}/stocktakes/{taken_id}").status_code == 404
    assert morbegno.manager.get(f"{place}/stocktakes/{taken_id}").status_code == 404
    assert dazio.clerk.post(f"{place}/restocks", json={"lines": lines(bitto)}).status_code == 403
    assert dazio.clerk.get(f"{place}/stocktakes/{taken_id}").status_code == 403
    assert ok(dazio.analyst.get(f"{place}/stocktakes/{taken_id}"), 200)["stocktake_id"] == taken_id
    assert len(published(app)) == before


def test_a_village_operator_writes_the_stock_of_their_villages_places_only(app, dazio, morbegno):
    bitto, spoon = dazio.products["bitto"]["id"], morbegno.products["spoon"]["id"]
    ok(dazio.operator.post(f"/selling-places/{dazio.place['id']}/restocks", json={"lines": lines(bitto)}))
    before = len(published(app))
    foreign = dazio.operator.post(f"/selling-places/{morbegno.place['id']}/restocks", json={"lines": lines(spoon)})
    assert foreign.status_code == 404 and foreign.get_json()["message"] == "No such selling place."
    assert len(published(app)) == before


def test_another_places_document_id_is_not_taken_for_a_replay(app, client, dazio, morbegno):
    honey = morbegno.products["honey"]["id"]
    delivery = ok(dazio.manager.post(f"/selling-places/{dazio.place['id']}/restocks", json={"lines": lines(honey)}))
    # as a document recorded before fingerprints were kept
    with app.extensions["db"].transaction() as session:
        session.execute(sa.update(StockDocument).where(StockDocument.id == delivery["delivery_id"]).values(fingerprint=None))
    again = morbegno.manager.post(
        f"/selling-places/{morbegno.place['id']}/restocks", json={"delivery_id": delivery["delivery_id"], "lines": lines(honey)}
    )
    assert again.status_code == 409 and again.get_json()["errors"]["json"]["delivery_id"]
    replay = dazio.manager.post(
        f"/selling-places/{dazio.place['id']}/restocks", json={"delivery_id": delivery["delivery_id"], "lines": lines(honey)}
    )
    assert replay.status_code == 200


# -- thresholds ---------------------------------------------------------------------------------------


def test_a_manager_sets_thresholds_of_the_products_on_their_shelves(dazio, morbegno):
    place = f"/selling-places/{dazio.place['id']}/stock"
    bitto, spoon = dazio.products["bitto"]["id"], morbegno.products["spoon"]["id"]
    line = ok(dazio.manager.put(f"{place}/{bitto}", json={"reorder_threshold": "4", "target_level": "12"}), 200)
    assert (line["reorder_threshold"], line["target_level"]) == ("4.000", "12.000")
    # a product their place does not sell is not theirs to see, so not theirs to track either
    assert dazio.manager.put(f"{place}/{spoon}", json={"reorder_threshold": "1"}).status_code == 404
    assert morbegno.manager.put(f"{place}/{bitto}", json={"reorder_threshold": "1"}).status_code == 404
    assert dazio.clerk.put(f"{place}/{bitto}", json={"reorder_threshold": "1"}).status_code == 403
    assert dazio.producer_cheese.put(f"{place}/{bitto}", json={"reorder_threshold": "1"}).status_code == 403
    assert ok(dazio.admin.get(f"{place}/{bitto}"), 200)["reorder_threshold"] == "4.000"


# -- reading stock ------------------------------------------------------------------------------------


def test_a_clerk_reads_the_stock_of_their_place_only(dazio, morbegno):
    mine, theirs = f"/selling-places/{dazio.place['id']}", f"/selling-places/{morbegno.place['id']}"
    bitto, honey = dazio.products["bitto"]["id"], morbegno.products["honey"]["id"]
    assert {line["product_id"] for line in ok(dazio.clerk.get(f"{mine}/stock"), 200)} == {bitto, honey}
    assert ok(dazio.clerk.get(f"{mine}/stock/{honey}"), 200)["on_hand"] == "10.000"
    assert [m["cause"] for m in ok(dazio.clerk.get(f"{mine}/stock/{honey}/ledger"), 200)] == ["restock"]
    assert dazio.clerk.get(f"{theirs}/stock").status_code == 404
    assert dazio.clerk.get(f"{theirs}/stock/{honey}").status_code == 404
    assert dazio.clerk.get(f"{theirs}/stock/{honey}/ledger").status_code == 404


def test_a_producer_reads_their_own_goods_on_any_shelf_and_nothing_else(dazio, morbegno):
    beekeeper, cheese_maker = morbegno.producer_honey, dazio.producer_cheese
    place = f"/selling-places/{dazio.place['id']}"
    bitto, honey = dazio.products["bitto"]["id"], morbegno.products["honey"]["id"]
    [line] = ok(beekeeper.get(f"{place}/stock"), 200)  # Dazio sells cheese too: the beekeeper sees only the honey
    assert (line["product_id"], line["on_hand"]) == (honey, "10.000")
    assert ok(beekeeper.get(f"{place}/stock/{honey}"), 200)["value"] == "85.00"
    assert len(ok(beekeeper.get(f"{place}/stock/{honey}/ledger"), 200)) == 1
    assert beekeeper.get(f"{place}/stock/{bitto}").status_code == 404
    assert beekeeper.get(f"{place}/stock/{bitto}/ledger").status_code == 404
    assert cheese_maker.get(f"/selling-places/{morbegno.place['id']}/stock").status_code == 404  # no cheese there


def test_where_a_producers_goods_are_each_caller_sees_within_their_scope(dazio, morbegno):
    honey_producer = f"/producers/{morbegno.producers['honey']['id']}/stock"

    def places(caller):
        return sorted(line["selling_place_name"] for line in ok(caller.get(honey_producer), 200))

    assert places(morbegno.producer_honey) == ["Bottega di Dazio", "Punto vendita Morbegno"]
    assert places(dazio.analyst) == ["Bottega di Dazio", "Punto vendita Morbegno"]
    assert places(dazio.operator) == ["Bottega di Dazio"]  # the beekeeper sells in Dazio; Morbegno is not Dazio's
    assert places(dazio.clerk) == ["Bottega di Dazio"]
    assert places(morbegno.manager) == ["Punto vendita Morbegno"]
    assert morbegno.producer_wood.get(honey_producer).status_code == 404
    assert dazio.clerk.get(f"/producers/{morbegno.producers['wood']['id']}/stock").status_code == 404
    assert dazio.anonymous.get(honey_producer).status_code == 401
