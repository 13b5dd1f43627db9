"""Who may see and change inventory's catalogue: every caller within their own selling place, village or producer."""

import io
import uuid

import pytest

from tests.support.inventory import VAT_NUMBER, ok, published
from tests.support.tenants import Caller, build, ids


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


def routes(client) -> list[tuple[str, str]]:
    """Every (method, path template) of inventory's API but the public probes."""
    document = client.get("/openapi.json").get_json()
    return [
        (method, path)
        for path, methods in document["paths"].items()
        if not path.startswith("/health")
        for method in methods
        if method != "parameters"
    ]


def _url(template: str) -> str:
    for name in ("village_id", "selling_place_id", "producer_id", "product_id", "stocktake_id"):
        template = template.replace("{" + name + "}", str(uuid.uuid4()))
    return template


# -- no token, no role ------------------------------------------------------------------------------


def test_every_route_needs_a_token(client):
    every = routes(client)
    assert len(every) == 30  # 29 of inventory, and the audit log
    for method, path in every:
        response = Caller(client, None).open(method, _url(path), json={})
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/health/live", headers={"Authorization": ""}).status_code == 200
    assert client.get("/openapi.json", headers={"Authorization": ""}).status_code == 200


#: the writes each role may do at all: any other write of theirs is answered 403 before anything is looked at
WRITES_OF = {
    "clerk": set(),
    "producer_cheese": set(),
    "analyst": set(),
    "manager": {
        ("post", "/selling-places/{selling_place_id}/restocks"),
        ("post", "/selling-places/{selling_place_id}/adjustments"),
        ("post", "/selling-places/{selling_place_id}/stocktakes"),
        ("post", "/selling-places/{selling_place_id}/transfers"),
        ("put", "/selling-places/{selling_place_id}/stock/{product_id}"),
    },
}
WRITES_OF["operator"] = WRITES_OF["manager"] | {
    ("post", "/selling-places"),
    ("post", "/producers"),
    ("put", "/producers/{producer_id}"),
    ("patch", "/producers/{producer_id}"),
    ("post", "/products"),
    ("post", "/products/{product_id}/prices"),
    ("post", "/products/{product_id}/retire"),
    ("post", "/imports"),
}


@pytest.mark.parametrize("role", sorted(WRITES_OF))
def test_a_role_trying_a_write_it_does_not_have_is_refused_with_403(app, client, dazio, role):
    writes = [(method, path) for method, path in routes(client) if method != "get"]
    refused = [(method, path) for method, path in writes if (method, path) not in WRITES_OF[role]]
    before = len(published(app))
    for method, path in refused:
        response = getattr(dazio, role).open(method, _url(path), json={})
        assert response.status_code == 403, (role, method, path, response.status_code)
        assert response.get_json()["message"] == "Your role may not do this."
    assert len(published(app)) == before
    assert WRITES_OF[role] <= set(writes)  # the table above names real routes


# -- villages and selling places --------------------------------------------------------------------


def test_a_village_operator_sees_their_village_and_its_selling_places_only(dazio, morbegno):
    operator = dazio.operator
    assert ids(ok(operator.get("/villages"), 200)) == {dazio.village["id"]}
    assert ok(operator.get(f"/villages/{dazio.village['id']}"), 200)["name"] == "Dazio"
    assert operator.get(f"/villages/{morbegno.village['id']}").status_code == 404
    assert ok(operator.get("/villages", query_string={"istat_code": morbegno.village["istat_code"]}), 200) == []
    assert ids(ok(operator.get("/selling-places"), 200)) == {dazio.place["id"]}
    assert ok(operator.get("/selling-places", query_string={"village_id": morbegno.village["id"]}), 200) == []
    assert operator.get(f"/selling-places/{morbegno.place['id']}").status_code == 404
    missing = operator.get(f"/selling-places/{uuid.uuid4()}")
    foreign = operator.get(f"/selling-places/{morbegno.place['id']}")
    assert missing.get_json() == foreign.get_json()  # another village's place looks exactly like none


def test_a_clerk_sees_their_own_selling_place_and_its_village(dazio, morbegno):
    assert ids(ok(dazio.clerk.get("/selling-places"), 200)) == {dazio.place["id"]}
    assert ok(dazio.clerk.get(f"/selling-places/{dazio.place['id']}"), 200)["name"] == "Bottega di Dazio"
    assert dazio.clerk.get(f"/selling-places/{morbegno.place['id']}").status_code == 404
    assert ids(ok(dazio.clerk.get("/villages"), 200)) == {dazio.village["id"]}
    assert ok(dazio.clerk.get("/sectors"), 200)["sectors"]


def test_a_producer_sees_the_selling_places_holding_their_goods(dazio, morbegno):
    beekeeper, woodcarver = morbegno.producer_honey, morbegno.producer_wood
    assert ids(ok(beekeeper.get("/selling-places"), 200)) == {dazio.place["id"], morbegno.place["id"]}
    assert ids(ok(beekeeper.get("/villages"), 200)) == {dazio.village["id"], morbegno.village["id"]}
    assert ids(ok(woodcarver.get("/selling-places"), 200)) == {morbegno.place["id"]}
    assert woodcarver.get(f"/selling-places/{dazio.place['id']}").status_code == 404
    assert woodcarver.get(f"/villages/{dazio.village['id']}").status_code == 404


def test_a_province_analyst_reads_the_whole_network_and_writes_nothing(dazio, morbegno):
    analyst = dazio.analyst
    assert {dazio.place["id"], morbegno.place["id"]} <= ids(ok(analyst.get("/selling-places"), 200))
    assert ok(analyst.get(f"/producers/{morbegno.producers['wood']['id']}"), 200)["name"] == "Intagli Talamona"
    assert ok(analyst.get(f"/selling-places/{morbegno.place['id']}/stock"), 200)
    body = {"village_id": dazio.village["id"], "name": "Bottega 2", "commission_rate": "15"}
    assert analyst.post("/selling-places", json=body).status_code == 403


def test_a_village_operator_opens_selling_places_in_their_own_village_only(app, dazio, morbegno):
    body = {"name": "Bottega della piazza", "commission_rate": "12"}
    opened = ok(dazio.operator.post("/selling-places", json={**body, "village_id": dazio.village["id"]}))
    assert opened["village_id"] == dazio.village["id"]
    before = len(published(app))
    refused = dazio.operator.post("/selling-places", json={**body, "village_id": morbegno.village["id"]})
    assert refused.status_code == 403 and "own village" in refused.get_json()["message"]
    assert dazio.manager.post("/selling-places", json={**body, "village_id": dazio.village["id"]}).status_code == 403
    assert len(published(app)) == before
    assert ids(ok(morbegno.operator.get("/selling-places"), 200)) == {morbegno.place["id"]}


def test_only_an_administrator_adds_villages(dazio):
    body = {"name": "Civo", "istat_code": "014020", "province": "SO", "population": 1100}
    assert dazio.operator.post("/villages", json=body).status_code == 403
    assert ok(dazio.admin.post("/villages", json=body))["name"] == "Civo"


# -- producers ---------------------------------------------------------------------------------------


def test_a_village_operator_sees_their_producers_and_those_selling_in_their_village(dazio, morbegno):
    cheese, honey, wood = dazio.producers["cheese"], morbegno.producers["honey"], morbegno.producers["wood"]
    assert ids(ok(dazio.operator.get("/producers"), 200)) == {cheese["id"], honey["id"]}
    assert ids(ok(dazio.operator.get("/producers", query_string={"village_id": morbegno.village["id"]}), 200)) == {honey["id"]}
    assert ok(dazio.operator.get(f"/producers/{honey['id']}"), 200)["name"] == "Apicoltura Masino"
    assert dazio.operator.get(f"/producers/{wood['id']}").status_code == 404
    assert ids(ok(morbegno.operator.get("/producers"), 200)) == {honey["id"], wood["id"]}


def test_a_producer_sees_themselves_only(dazio, morbegno):
    beekeeper = morbegno.producer_honey
    honey = morbegno.producers["honey"]
    assert ids(ok(beekeeper.get("/producers"), 200)) == {honey["id"]}
    assert ok(beekeeper.get(f"/producers/{honey['id']}"), 200)["name"] == "Apicoltura Masino"
    assert beekeeper.get(f"/producers/{dazio.producers['cheese']['id']}").status_code == 404
    assert beekeeper.patch(f"/producers/{honey['id']}", json={"lead_time_days": 1}).status_code == 403


def test_a_clerk_sees_the_producers_whose_goods_their_place_sells(dazio, morbegno):
    assert ids(ok(dazio.clerk.get("/producers"), 200)) == {dazio.producers["cheese"]["id"], morbegno.producers["honey"]["id"]}
    assert dazio.clerk.get(f"/producers/{morbegno.producers['wood']['id']}").status_code == 404


def test_a_village_operator_registers_producers_at_home_in_their_village(app, dazio, morbegno):
    registered = ok(dazio.operator.post("/producers", json={"name": "Apicoltura Dazio", "sector": "agri-food"}))
    assert registered["home_village_id"] == dazio.village["id"]  # from the token, when the body leaves it out
    before = len(published(app))
    body = {"name": "Apicoltura altrove", "sector": "agri-food", "home_village_id": morbegno.village["id"]}
    assert dazio.operator.post("/producers", json=body).status_code == 403
    assert len(published(app)) == before


def test_a_village_operator_changes_their_own_producers_only(app, dazio, morbegno):
    cheese, honey, wood = dazio.producers["cheese"], morbegno.producers["honey"], morbegno.producers["wood"]
    assert ok(dazio.operator.patch(f"/producers/{cheese['id']}", json={"lead_time_days": 6}), 200)["lead_time_days"] == 6
    put = ok(dazio.operator.put(f"/producers/{cheese['id']}", json={"name": "Caseificio Gerola", "sector": "agri-food"}), 200)
    assert put["home_village_id"] == dazio.village["id"]  # replacing the details keeps the producer in the village
    before = len(published(app))
    seen_not_theirs = dazio.operator.patch(f"/producers/{honey['id']}", json={"lead_time_days": 1})
    assert seen_not_theirs.status_code == 403  # they see the beekeeper (honey on their shelves), but may not change them
    assert dazio.operator.patch(f"/producers/{wood['id']}", json={"lead_time_days": 1}).status_code == 404
    moved_away = dazio.operator.patch(f"/producers/{cheese['id']}", json={"home_village_id": morbegno.village["id"]})
    assert moved_away.status_code == 403
    assert len(published(app)) == before
    assert ok(dazio.admin.get(f"/producers/{honey['id']}"), 200)["lead_time_days"] == 3


# -- products and prices -----------------------------------------------------------------------------


def test_a_producer_reads_their_own_products_and_prices_never_another_producers(dazio, morbegno):
    beekeeper = morbegno.producer_honey
    honey, spoon, bitto = morbegno.products["honey"], morbegno.products["spoon"], dazio.products["bitto"]
    assert ids(ok(beekeeper.get("/products"), 200)) == {honey["id"]}
    assert ok(beekeeper.get("/products", query_string={"producer_id": morbegno.producers["wood"]["id"]}), 200) == []
    assert ok(beekeeper.get("/products", query_string={"sku": "nothing"}), 200) == []
    assert ok(beekeeper.get(f"/products/{honey['id']}"), 200)["price"] == "8.50"
    assert [p["price"] for p in ok(beekeeper.get(f"/products/{honey['id']}/prices"), 200)] == ["8.50"]
    for product in (spoon, bitto):
        assert beekeeper.get(f"/products/{product['id']}").status_code == 404
        assert beekeeper.get(f"/products/{product['id']}/prices").status_code == 404


def test_a_clerk_reads_the_catalogue_their_place_sells(dazio, morbegno):
    assert ids(ok(dazio.clerk.get("/products"), 200)) == {dazio.products["bitto"]["id"], morbegno.products["honey"]["id"]}
    assert dazio.clerk.get(f"/products/{morbegno.products['spoon']['id']}").status_code == 404
    assert ids(ok(morbegno.manager.get("/products"), 200)) == {morbegno.products["honey"]["id"], morbegno.products["spoon"]["id"]}


def test_a_village_operator_sees_their_producers_products_and_those_on_their_shelves(dazio, morbegno):
    assert ids(ok(dazio.operator.get("/products"), 200)) == {dazio.products["bitto"]["id"], morbegno.products["honey"]["id"]}
    assert dazio.operator.get(f"/products/{morbegno.products['spoon']['id']}").status_code == 404


def test_a_village_operator_adds_products_to_their_own_producers_only(app, dazio, morbegno):
    body = {"name": "Casera", "unit": "kg", "price": "16.50", "vat_rate": "4"}
    added = ok(dazio.operator.post("/products", json={**body, "producer_id": dazio.producers["cheese"]["id"]}))
    assert added["producer_id"] == dazio.producers["cheese"]["id"]
    before = len(published(app))
    for producer_id in (morbegno.producers["honey"]["id"], morbegno.producers["wood"]["id"], str(uuid.uuid4())):
        refused = dazio.operator.post("/products", json={**body, "producer_id": producer_id})
        assert refused.status_code == 403, producer_id  # seen, unseen or unknown: all answered alike
    assert len(published(app)) == before


def test_a_village_operator_prices_and_retires_their_own_producers_products_only(app, dazio, morbegno):
    bitto, honey, spoon = dazio.products["bitto"], morbegno.products["honey"], morbegno.products["spoon"]
    assert ok(dazio.operator.post(f"/products/{bitto['id']}/prices", json={"price": "29.00"}))["price"] == "29.00"
    before = len(published(app))
    assert dazio.operator.post(f"/products/{honey['id']}/prices", json={"price": "9.00"}).status_code == 403
    assert dazio.operator.post(f"/products/{honey['id']}/retire").status_code == 403
    assert dazio.operator.post(f"/products/{spoon['id']}/prices", json={"price": "9.00"}).status_code == 404
    assert dazio.operator.post(f"/products/{spoon['id']}/retire").status_code == 404
    assert morbegno.manager.post(f"/products/{spoon['id']}/retire").status_code == 403
    assert len(published(app)) == before
    assert ok(morbegno.operator.post(f"/products/{spoon['id']}/retire"), 200)["active"] is False


# -- CSV import --------------------------------------------------------------------------------------


def _upload(caller, **files):
    data = {name: (io.BytesIO(content.encode()), f"{name}.csv") for name, content in files.items()}
    return caller.post("/imports", data=data, content_type="multipart/form-data")


def test_a_village_operator_imports_producers_and_products_of_their_own_village(dazio):
    producers = "name;sector;vat_number\nLatteria di Dazio;agri-food;" + VAT_NUMBER + "\n"
    products = "producer;name;unit;price;vat_rate\nLatteria di Dazio;Burro;piece;4,20;4\nCaseificio Val Gerola;Scimudin;kg;18;4\n"
    result = ok(_upload(dazio.operator, producers=producers, products=products))
    [dairy] = result["producers"]
    assert dairy["home_village_id"] == dazio.village["id"]
    assert [p["producer_id"] for p in result["products"]] == [dairy["id"], dazio.producers["cheese"]["id"]]


def test_an_import_naming_another_village_is_forbidden_and_imports_nothing(app, dazio, morbegno):
    before = len(published(app))
    producers = f"name;sector;home_village\nLatteria di Dazio;agri-food;Dazio\nApicoltura Morbegno;agri-food;{morbegno.village['istat_code']}\n"
    refused = _upload(dazio.operator, producers=producers)
    assert refused.status_code == 403, refused.get_json()
    assert refused.get_json()["errors"]["files"]["producers"]["3"]["home_village"]
    assert "1 line belongs to another village" in refused.get_json()["message"]
    products = f"producer;name;price;vat_rate\n{morbegno.producers['honey']['id']};Miele;8;10\n"
    forbidden = _upload(dazio.operator, products=products)
    assert forbidden.status_code == 403 and forbidden.get_json()["errors"]["files"]["products"]["2"]["producer"]
    # by name, producers are looked for among the village's own: another village's does not exist here
    by_name = _upload(dazio.operator, products="producer;name;price;vat_rate\nApicoltura Masino;Miele;8;10\n")
    assert by_name.status_code == 422
    assert by_name.get_json()["errors"]["files"]["products"]["2"]["producer"] == ["No producer with this name."]
    assert len(published(app)) == before
    assert _upload(dazio.manager, products=products).status_code == 403
