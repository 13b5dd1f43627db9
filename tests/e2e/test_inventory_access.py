"""Inventory in the whole network, called with keys issued by identity: each key within its own scope."""

from tests.e2e.flows import created, issue_key, register_shop, restock


def test_a_producers_key_and_a_managers_key_reach_only_their_own_goods_and_shelf(network):
    # given two shops in two villages, each with its producer's goods on the shelf
    dazio, morbegno = register_shop(network), register_shop(network)
    restock(network, dazio, "6")
    restock(network, morbegno, "4")
    producer_key = issue_key(network, "producer", producer_id=dazio["producer"]["id"])
    manager_key = issue_key(network, "manager", selling_place_id=dazio["place"]["id"])

    # the producer's key shows where their own goods are, and nothing of another producer's
    mine = network.get("inventory", f"/producers/{dazio['producer']['id']}/stock", api_key=producer_key)
    assert [(line["product_id"], line["on_hand"]) for line in created(mine, 200)] == [(dazio["product"]["id"], "6.000")]
    assert network.get("inventory", f"/producers/{morbegno['producer']['id']}/stock", api_key=producer_key).status_code == 404
    assert created(network.get("inventory", "/products", api_key=producer_key), 200) == [{**dazio["product"], "price": "8.50"}]
    restocked_by_producer = network.post(
        "inventory", f"/selling-places/{dazio['place']['id']}/restocks", {"lines": []}, api_key=producer_key
    )
    assert restocked_by_producer.status_code == 403

    # the manager's key restocks their own shelf, and another village's shelf does not exist for it
    line = {"lines": [{"product_id": dazio["product"]["id"], "quantity": "2"}]}
    own = network.post("inventory", f"/selling-places/{dazio['place']['id']}/restocks", line, api_key=manager_key)
    assert created(own)["lines"][0]["on_hand"] == "8.000"
    other = {"lines": [{"product_id": morbegno["product"]["id"], "quantity": "2"}]}
    foreign = network.post("inventory", f"/selling-places/{morbegno['place']['id']}/restocks", other, api_key=manager_key)
    assert foreign.status_code == 404
    assert network.get("inventory", f"/selling-places/{morbegno['place']['id']}/stock", api_key=manager_key).status_code == 404
    assert network.get("inventory", f"/selling-places/{morbegno['place']['id']}/stock").status_code == 200  # the administrator
