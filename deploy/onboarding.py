"""Onboarding a village from a template, through the public APIs (`sp village onboard`)."""

from __future__ import annotations

import time
from typing import Callable

from deploy.demo import Client


class OnboardingFailed(RuntimeError):
    """A call was refused; the message says which and why (what was created before stays)."""


def _ok(response, what: str) -> dict | list:
    if response.status_code >= 400:
        raise OnboardingFailed(f"{what}: {response.status_code} {response.text}")
    return response.json()


def onboard_village(template: dict, *, urls: dict[str, str], api_key: str, say: Callable[[str], None] = print) -> dict:
    """Create what the template describes and is not there yet; returns the ids of everything it names."""
    client = Client(urls, api_key)
    inv = lambda method, path, **kw: client.request(method, "inventory", path, **kw)  # noqa: E731

    spec = template["village"]
    found = _ok(inv("GET", "/villages", params={"istat_code": spec["istat_code"]}), "looking up the village")
    village = found[0] if found else _ok(inv("POST", "/villages", json=spec), "creating the village")
    say(f"village {village['name']} ({village['istat_code']}): {'already there' if found else 'created'}")

    existing = {p["name"]: p for p in _ok(inv("GET", "/selling-places", params={"village_id": village["id"]}), "listing places")}
    places = []
    for place_spec in template.get("selling_places", []):
        body = {k: v for k, v in place_spec.items() if k != "alerts"} | {"village_id": village["id"]}
        place = existing.get(place_spec["name"]) or _ok(
            inv("POST", "/selling-places", json=body), f"creating {place_spec['name']}"
        )
        say(f"selling place {place['name']}: {'already there' if place_spec['name'] in existing else 'created'}")
        places.append((place, place_spec.get("alerts")))

    existing = {p["name"]: p for p in _ok(inv("GET", "/producers", params={"village_id": village["id"]}), "listing producers")}
    producers = {}
    for producer_spec in template.get("producers", []):
        name = producer_spec["name"]
        body = producer_spec | {"home_village_id": village["id"]}
        producers[name] = existing.get(name) or _ok(inv("POST", "/producers", json=body), f"creating producer {name}")
        say(f"producer {name}: {'already there' if name in existing else 'created'}")

    thresholds = template.get("thresholds") or {}
    products = []
    for product_spec in template.get("products", []):
        producer = producers.get(product_spec["producer"])
        if producer is None:
            raise OnboardingFailed(
                f"product {product_spec['name']}: its producer {product_spec['producer']!r} is not in the template"
            )
        mine = {p["name"]: p for p in _ok(inv("GET", "/products", params={"producer_id": producer["id"]}), "listing products")}
        body = {k: v for k, v in product_spec.items() if k != "producer"} | {"producer_id": producer["id"]}
        if "reorder_threshold" in thresholds:
            body.setdefault("reorder_threshold", thresholds["reorder_threshold"])
        product = mine.get(product_spec["name"]) or _ok(inv("POST", "/products", json=body), f"creating {product_spec['name']}")
        say(f"product {product['name']}: {'already there' if product_spec['name'] in mine else 'created'}")
        products.append(product)

    if thresholds:
        for place, _ in places:
            for product in products:
                body = {"reorder_threshold": thresholds["reorder_threshold"], "target_level": thresholds.get("target_level")}
                _ok(inv("PUT", f"/selling-places/{place['id']}/stock/{product['id']}", json=body), "setting a threshold")
        say(f"thresholds set for {len(products)} products in {len(places)} selling places")

    for place, alerts in places:
        if not alerts:
            continue
        path = f"/selling-places/{place['id']}/preferences"
        deadline = time.monotonic() + 60
        # notifications learns of the selling place from inventory's events: wait for it
        while client.request("GET", "notifications", path).status_code == 404:
            if time.monotonic() > deadline:
                raise OnboardingFailed(f"notifications has not heard of {place['name']} yet: is its consumer running?")
            time.sleep(0.5)
        _ok(client.request("PATCH", "notifications", path, json=alerts), f"alert contacts of {place['name']}")
        say(f"alerts for {place['name']}: set")

    for kind, languages in (template.get("message_templates") or {}).items():
        for language, wording in languages.items():
            _ok(
                client.request("PUT", "notifications", f"/templates/{kind}/{language}", json=wording),
                f"template {kind}/{language}",
            )
            say(f"message template {kind}/{language}: set (for the whole network)")

    return {
        "village_id": village["id"],
        "selling_place_ids": [place["id"] for place, _ in places],
        "producer_ids": {name: p["id"] for name, p in producers.items()},
        "product_ids": {p["name"]: p["id"] for p in products},
    }
