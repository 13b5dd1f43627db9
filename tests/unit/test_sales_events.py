"""Sales' SaleRecorded, built without new_event's round trip, is exactly what the contract reads back."""

import uuid
from datetime import datetime, timezone
from decimal import Decimal as D

from backbone.events import decode, encode, new_event
from services.sales.catalogue import Catalogue
from services.sales.models import CatalogueProducer, CatalogueProduct, CatalogueSellingPlace
from services.sales.pricing import price_receipt
from services.sales.service import _sale_recorded


def test_a_sale_recorded_built_directly_reads_back_as_the_contract_says():
    place, farmer, honey = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    catalogue = Catalogue(
        products={
            honey: CatalogueProduct(
                product_id=honey,
                producer_id=farmer,
                name="Miele",
                sector="agri-food",
                unit="piece",
                price=D("8.50"),
                vat_rate=D("10"),
                mountain_product=True,
                barcode=None,
                retired_at=None,
            )
        },
        producers={
            farmer: CatalogueProducer(
                producer_id=farmer, revision=2, name="Bianchi", sector="agri-food", tax_regime="agricultural_special"
            )
        },
        places={
            place: CatalogueSellingPlace(selling_place_id=place, village_id=uuid.uuid4(), name="Bottega", timezone="Europe/Rome")
        },
    )
    receipt = {
        "receipt_id": uuid.uuid4(),
        "selling_place_id": place,
        "till_id": "till-1",
        "clerk": "Lucia",
        "fiscal_document": "0042-0007",
        "sold_at": datetime(2026, 7, 14, 22, 30, tzinfo=timezone.utc),
        "payment_method": "card",
        "lines": [
            {"product_id": honey, "quantity": D("3"), "unit_price": None, "discount": D("0.50"), "vat_rate": None},
            {
                "product_id": uuid.uuid4(),
                "quantity": D("0.125"),
                "unit_price": D("18.00"),
                "discount": D("0"),
                "vat_rate": D("4"),
            },
        ],
    }
    row, lines = price_receipt(receipt, catalogue)
    row.update(after_close=False, content_hash="-")
    event = _sale_recorded(row, lines)

    read = decode(encode(event))
    checked = new_event("SaleRecorded", event.data, source="sales")
    assert read.data == checked.data
    assert (read.occurred_at, read.selling_place_id, read.version) == (receipt["sold_at"], place, checked.version)
    assert read.data["business_date"].isoformat() == "2026-07-15"  # past midnight in Rome
    assert [line["requires_fiscal_document"] for line in read.data["lines"]] == [False, True]
    assert [line["flagged"] for line in read.data["lines"]] == [False, True]
