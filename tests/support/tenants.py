"""Two villages of the network, each with its own callers, for tests of who may see and change what.

Dazio has a selling place and a cheese maker at home; Morbegno has a selling place, a beekeeper and
a woodcarver at home. The beekeeper's honey is on the shelves of both places (so Dazio's people may
see the beekeeper), the woodcarver's spoons only in Morbegno (so Dazio's people may not).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.support.inventory import register_place, register_producer, register_product, register_village, restock


class Caller:
    """A test client acting with one token (None: no token at all)."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}" if token else ""}

    def get(self, url, **kwargs):
        return self.client.get(url, headers=self.headers, **kwargs)

    def post(self, url, **kwargs):
        return self.client.post(url, headers=self.headers, **kwargs)

    def put(self, url, **kwargs):
        return self.client.put(url, headers=self.headers, **kwargs)

    def patch(self, url, **kwargs):
        return self.client.patch(url, headers=self.headers, **kwargs)

    def open(self, method: str, url: str, **kwargs):
        return self.client.open(url, method=method.upper(), headers=self.headers, **kwargs)


@dataclass
class Village:
    """A village's objects and a caller for each of its roles."""

    village: dict
    place: dict
    producers: dict[str, dict] = field(default_factory=dict)
    products: dict[str, dict] = field(default_factory=dict)
    callers: dict[str, Caller] = field(default_factory=dict)

    def __getattr__(self, role: str) -> Caller:
        try:
            return self.__dict__["callers"][role]
        except KeyError:
            raise AttributeError(role) from None


def ids(rows: list[dict]) -> set[str]:
    return {row["id"] for row in rows}


def build(client, token_for) -> dict[str, Village]:
    """Register Dazio and Morbegno through the API as an administrator, and a caller for every role."""
    dazio = Village(register_village(client, "Dazio"), {})
    morbegno = Village(register_village(client, "Morbegno"), {})
    dazio.place = register_place(client, dazio.village, "Bottega di Dazio")
    morbegno.place = register_place(client, morbegno.village, "Punto vendita Morbegno")
    dazio.producers["cheese"] = register_producer(client, name="Caseificio Val Gerola", home_village_id=dazio.village["id"])
    morbegno.producers["honey"] = register_producer(client, name="Apicoltura Masino", home_village_id=morbegno.village["id"])
    morbegno.producers["wood"] = register_producer(
        client, name="Intagli Talamona", sector="handicraft", home_village_id=morbegno.village["id"]
    )
    dazio.products["bitto"] = register_product(client, dazio.producers["cheese"], name="Bitto")
    morbegno.products["honey"] = register_product(
        client, morbegno.producers["honey"], name="Miele di castagno", unit="piece", price="8.50", vat_rate="10"
    )
    morbegno.products["spoon"] = register_product(
        client, morbegno.producers["wood"], name="Cucchiaio in legno", unit="piece", price="12.00", vat_rate="22"
    )
    shelves = [
        (dazio.place, dazio.products["bitto"]),
        (dazio.place, morbegno.products["honey"]),
        (morbegno.place, morbegno.products["honey"]),
        (morbegno.place, morbegno.products["spoon"]),
    ]
    for place, product in shelves:
        restock(client, None, "10", place=place, product=product)
    for village in (dazio, morbegno):
        place_id, village_id = village.place["id"], village.village["id"]
        village.callers = {
            "anonymous": Caller(client, None),
            "clerk": Caller(client, token_for("clerk", selling_place_id=place_id)),
            "manager": Caller(client, token_for("manager", selling_place_id=place_id)),
            "operator": Caller(client, token_for("village_operator", village_id=village_id)),
            "analyst": Caller(client, token_for("province_analyst")),
            "admin": Caller(client, token_for("administrator")),
        }
        for name, producer in village.producers.items():
            village.callers[f"producer_{name}"] = Caller(client, token_for("producer", producer_id=producer["id"]))
    return {"dazio": dazio, "morbegno": morbegno}
