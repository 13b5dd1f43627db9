"""A small demo network around Dazio, seeded through the public APIs like a village office would.

Idempotent: if Dazio is already in the network, nothing is added.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import requests

DAZIO_ISTAT = "014025"

# Demo figures: ISTAT codes of the Province of Sondrio, populations rounded.
VILLAGES = [
    {"name": "Dazio", "istat_code": DAZIO_ISTAT, "province": "SO", "population": 347},
    {"name": "Morbegno", "istat_code": "014045", "province": "SO", "population": 12300},
    {"name": "Talamona", "istat_code": "014063", "province": "SO", "population": 4800},
]

PLACES = [
    {"village": "Dazio", "name": "Bottega dei produttori di Dazio", "address": "Via Roma 1, Dazio", "commission_rate": "15.00"},
    {
        "village": "Morbegno",
        "name": "Punto vendita Morbegno",
        "address": "Piazza S. Antonio 3, Morbegno",
        "commission_rate": "20.00",
    },
]

PRODUCERS = [
    {
        "name": "Caseificio Val Gerola",
        "sector": "agri-food",
        "village": "Talamona",
        "products": [
            {
                "name": "Bitto DOP (kg)",
                "unit": "kg",
                "price": "28.00",
                "vat_rate": "4",
                "mountain_product": True,
                "reorder_threshold": "3",
            },
            {
                "name": "Valtellina Casera DOP (kg)",
                "unit": "kg",
                "price": "16.50",
                "vat_rate": "4",
                "mountain_product": True,
                "reorder_threshold": "3",
            },
        ],
    },
    {
        "name": "Apicoltura del Costiera dei Cech",
        "sector": "agri-food",
        "village": "Dazio",
        "products": [
            {
                "name": "Miele di castagno 500 g",
                "unit": "piece",
                "price": "8.50",
                "vat_rate": "10",
                "mountain_product": True,
                "reorder_threshold": "5",
                "barcode": "8001234567897",
            },
            {
                "name": "Farina di grano saraceno 1 kg",
                "unit": "piece",
                "price": "4.20",
                "vat_rate": "4",
                "mountain_product": True,
                "reorder_threshold": "4",
            },
        ],
    },
    {
        "name": "Laboratorio pietra ollare",
        "sector": "handicraft",
        "village": "Morbegno",
        "products": [
            {
                "name": "Pentola in pietra ollare",
                "unit": "piece",
                "price": "95.00",
                "vat_rate": "22",
                "mountain_product": False,
                "reorder_threshold": "1",
            },
        ],
    },
]


class Client:
    """Calls the network's APIs with a token for each service, obtained from identity with an API key."""

    def __init__(self, urls: dict[str, str], api_key: str, *, timeout: float = 10.0):
        self.urls = urls
        self.api_key = api_key
        self.timeout = timeout
        self.http = requests.Session()
        self._tokens: dict[str, str] = {}

    def _token(self, service: str) -> str:
        if service not in self._tokens:
            response = self.http.post(
                f"{self.urls['identity']}/auth/token", json={"api_key": self.api_key, "audience": service}, timeout=self.timeout
            )
            if response.status_code != 200:
                raise RuntimeError(f"identity refused the API key: {response.status_code} {response.text}")
            self._tokens[service] = response.json()["access_token"]
        return self._tokens[service]

    def request(self, method: str, service: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._token(service)}"}
        return self.http.request(method, f"{self.urls[service]}{path}", headers=headers, timeout=self.timeout, **kwargs)


def seed(urls: dict[str, str], api_key: str, *, timeout: float = 10.0, wait_seconds: float = 60.0) -> bool:
    """Create the demo network through the APIs, with a few sales; returns False if it was already there."""
    client = Client(urls, api_key, timeout=timeout)

    def post(path, body):
        response = client.request("POST", "inventory", path, json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"POST {path} -> {response.status_code}: {response.text}")
        return response.json()

    existing = client.request("GET", "inventory", "/villages", params={"istat_code": DAZIO_ISTAT}).json()
    if existing:
        return False
    villages = {v["name"]: post("/villages", v)["id"] for v in VILLAGES}
    places = {
        p["name"]: post(
            "/selling-places",
            {
                "village_id": villages[p["village"]],
                "name": p["name"],
                "address": p["address"],
                "commission_rate": p["commission_rate"],
            },
        )["id"]
        for p in PLACES
    }
    products = []
    for producer in PRODUCERS:
        producer_id = post(
            "/producers",
            {"name": producer["name"], "sector": producer["sector"], "home_village_id": villages[producer["village"]]},
        )["id"]
        for product in producer["products"]:
            products.append(post("/products", {"producer_id": producer_id, **product}))
    for place_id in places.values():
        post(
            f"/selling-places/{place_id}/restocks",
            {"lines": [{"product_id": p["id"], "quantity": str(Decimal(p["reorder_threshold"]) * 4)} for p in products]},
        )
    # The shops' catalogue comes through events: wait until sales knows every product.
    deadline = time.monotonic() + wait_seconds
    while any(client.request("GET", "sales", f"/products/{p['id']}").status_code == 404 for p in products):
        if time.monotonic() > deadline:
            raise RuntimeError("sales did not receive the catalogue in time: is sales-bus running?")
        time.sleep(0.2)
    post_demo_sales(client, places[PLACES[0]["name"]], [p["id"] for p in products], count=12)
    return True


def post_demo_sales(client: Client, selling_place_id: str, product_ids: list[str], *, count: int = 5) -> None:
    """Some sales over the last days, so the reports have figures."""
    now = datetime.now(timezone.utc)
    for n in range(count):
        body = {
            "receipt_id": str(uuid.uuid4()),
            "selling_place_id": selling_place_id,
            "till_id": "demo-till",
            "sold_at": (now - timedelta(days=n % 3, minutes=n)).isoformat(),
            "payment_method": "cash" if n % 2 else "card",
            "lines": [{"product_id": product_ids[n % len(product_ids)], "quantity": "1"}],
        }
        response = client.request("POST", "sales", "/receipts", json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"POST /receipts -> {response.status_code}: {response.text}")
