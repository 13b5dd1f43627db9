"""Reporting over the real network, with keys the identity service issued: each caller reads their own figures."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import requests

from tests.e2e.flows import created, register_shop, sell
from tests.support import wait_for


def _key(network, role: str, **scope) -> str:
    """A new API key of `role` for `scope`, issued by the administrator."""
    return created(network.post("identity", "/keys", {"role": role, "label": f"e2e {role}", **scope}))["api_key"]


def test_village_operators_and_producers_read_their_own_figures_with_their_own_keys(network):
    # given two villages, each with a shop and a producer, and a sale in each
    dazio, civo = register_shop(network, price="8.50"), register_shop(network, price="4.00")
    sell(network, dazio, "3")
    sell(network, civo, "1")
    today = datetime.now(timezone.utc).date()
    period = {"from": str(today - timedelta(days=2)), "to": str(today + timedelta(days=1))}

    def both_reported():
        response = network.get("reporting", "/reports/sales", params={**period, "group_by": "village"})
        assert response.status_code == 200 and len(response.json()["rows"]) == 2, response.text
        return True

    wait_for(both_reported, timeout=60, interval=0.3, message="both sales to reach the province report")

    # when Dazio's village operator, its producer and a clerk call reporting with their own keys
    operator = _key(network, "village_operator", village_id=dazio["village"]["id"])
    producer = _key(network, "producer", producer_id=dazio["producer"]["id"])
    clerk = _key(network, "clerk", selling_place_id=dazio["place"]["id"])

    # then the operator's report holds Dazio only, whatever village the filter names
    own = network.request("GET", "reporting", "/reports/sales", api_key=operator, params={**period, "group_by": "village"})
    assert own.status_code == 200, own.text
    (row,) = own.json()["rows"]
    assert row["village"] == dazio["village"]["id"] and Decimal(row["gross"]) == Decimal("25.50")
    other = network.request(
        "GET", "reporting", "/reports/sales", api_key=operator, params={**period, "village": civo["village"]["id"]}
    )
    assert other.status_code == 200 and other.json()["rows"] == []

    # and the producer reads their own sales; the other village's producer does not exist for them
    mine = network.request("GET", "reporting", f"/producers/{dazio['producer']['id']}/sales", api_key=producer, params=period)
    assert mine.status_code == 200 and Decimal(mine.json()["rows"][0]["gross"]) == Decimal("25.50")
    theirs = network.request("GET", "reporting", f"/producers/{civo['producer']['id']}/sales", api_key=producer, params=period)
    assert theirs.status_code == 404

    # and a clerk has no reports, and nobody reads them without a token
    assert network.request("GET", "reporting", "/reports/sales", api_key=clerk, params=period).status_code == 403
    assert requests.get(f"{network.url('reporting')}/reports/sales", params=period, timeout=10).status_code == 401
