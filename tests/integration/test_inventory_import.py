"""CSV import of producers and products: per-row errors, nothing half-imported; through the API and the CLI."""

import io
from decimal import Decimal

import pytest

from tests.support.inventory import IBAN, VAT_NUMBER, error_at, ok, published, register_producer, register_village

#: as a village office's spreadsheet exports it: semicolons, decimal commas, "sì", a byte-order mark
PRODUCERS = (
    "\ufeffName;Sector;Home village;VAT number;IBAN;Tax regime;Email;Lead time days\n"
    f"Caseificio Val Gerola;agri-food;014025;IT{VAT_NUMBER};{IBAN};agricultural_special;casaro@example.org;5\n"
    "Laboratorio pietra ollare;handicraft;Dazio;;;;;\n"
)
PRODUCTS = (
    "producer;name;unit;price;vat_rate;mountain_product;barcode;sku;reorder_threshold\n"
    f"{VAT_NUMBER};Bitto DOP;kg;28,00;4;sì;;BITTO-KG;2,5\n"
    "Caseificio Val Gerola;Valtellina Casera DOP;kg;€ 16,50;4%;si;8001234567897;;3\n"
    "laboratorio pietra ollare;Pentola in pietra ollare;piece;95.00;22;no;;;1\n"
)


@pytest.fixture
def app(make_app):
    return make_app("inventory")


@pytest.fixture
def client(app):
    register_village(app.test_client(), "Dazio", istat_code="014025")
    return app.test_client()


def upload(client, dry_run=False, **files):
    data = {
        name: (io.BytesIO(content.encode("utf-8") if isinstance(content, str) else content), f"{name}.csv")
        for name, content in files.items()
    }
    return client.post(
        "/imports", data=data, query_string={"dry_run": "true"} if dry_run else None, content_type="multipart/form-data"
    )


def test_a_spreadsheet_of_producers_and_products_is_imported_whole(app, client):
    result = ok(upload(client, producers=PRODUCERS, products=PRODUCTS))
    assert [p["name"] for p in result["producers"]] == ["Caseificio Val Gerola", "Laboratorio pietra ollare"]
    cheese_maker, stone_carver = result["producers"]
    assert (cheese_maker["vat_number"], cheese_maker["iban"], cheese_maker["lead_time_days"]) == (VAT_NUMBER, IBAN, 5)
    assert cheese_maker["tax_regime"] == "agricultural_special" and stone_carver["tax_regime"] == "ordinary"
    assert cheese_maker["home_village_id"] == stone_carver["home_village_id"] is not None
    bitto, casera, pot = result["products"]
    assert (bitto["price"], bitto["reorder_threshold"], bitto["mountain_product"], bitto["sku"]) == (
        "28.00",
        "2.500",
        True,
        "BITTO-KG",
    )
    assert (casera["price"], casera["vat_rate"], casera["barcode"]) == ("16.50", "4.00", "8001234567897")
    assert bitto["producer_id"] == casera["producer_id"] == cheese_maker["id"] and pot["producer_id"] == stone_carver["id"]
    assert pot["mountain_product"] is False and pot["sector"] == "handicraft"
    assert [e.type for e in published(app, "ProducerRegistered", "ProductRegistered")] == ["ProducerRegistered"] * 2 + [
        "ProductRegistered"
    ] * 3
    assert published(app, "ProductRegistered")[1].data["price"] == Decimal("16.50")


def test_one_wrong_row_imports_nothing_and_every_error_names_its_line_and_column(app, client):
    producers = PRODUCERS + "Apicoltura;agri-food;Sondalo;00743110158;IT00;;not-an-email;\n"
    products = PRODUCTS + "Nessuno;Miele;jar;8,505;21;;8001234567890;;\n"
    response = upload(client, producers=producers, products=products)
    files = error_at(response, "files")
    assert set(files["producers"]["4"]) == {"home_village", "vat_number", "iban", "email"}
    assert "No village" in files["producers"]["4"]["home_village"][0]
    assert set(files["products"]["5"]) == {"producer", "unit", "price", "vat_rate", "barcode"}
    assert "At most 2 decimal places." in files["products"]["5"]["price"]
    assert list(files["producers"]) == ["4"] and list(files["products"]) == ["5"]  # the good rows were fine
    assert "Nothing was imported" in response.get_json()["message"]
    assert published(app) == published(app, "VillageRegistered")  # not a producer, not a product
    assert ok(client.get("/producers"), 200) == []


def test_a_product_naming_a_wrong_producer_row_says_so(client):
    producers = "name;sector;iban\nCaseificio Val Gerola;agri-food;IT00\n"
    products = "producer;name;price;vat_rate\nCaseificio Val Gerola;Bitto;28;4\nSconosciuto;Casera;16;4\n"
    files = error_at(upload(client, producers=producers, products=products), "files")
    assert files["products"]["2"]["producer"] == ["The producer on line 2 of the producers file has errors."]
    assert files["products"]["3"]["producer"] == ["No producer with this name."]


def test_importing_the_same_sheet_again_is_refused_row_by_row(client):
    ok(upload(client, producers=PRODUCERS, products=PRODUCTS))
    files = error_at(upload(client, producers=PRODUCERS), "files")
    assert "registered with this VAT number" in files["producers"]["2"]["vat_number"][0]
    assert "already registered" in files["producers"]["3"]["name"][0]  # by name and village, without one
    files = error_at(upload(client, products=PRODUCTS), "files")
    assert "SKU" in files["products"]["2"]["sku"][0] and "barcode" in files["products"]["3"]["barcode"][0]


def test_products_can_name_producers_already_registered_by_id_and_the_same_barcode_twice_in_a_file_is_caught(client):
    producer = register_producer(client, name="Apicoltura Bianchi")
    products = (
        "producer,name,price,vat_rate,barcode\n"
        f'{producer["id"]},Miele di castagno,"8,50",10,8001234567897\n'
        f"{producer['id']},Miele di tiglio,9.00,10,8001234567897\n"
    )
    files = error_at(upload(client, products=products), "files")
    assert list(files["products"]) == ["3"] and "barcode" in files["products"]["3"]


@pytest.mark.parametrize(
    "producers, line, column, message",
    [
        ("name;sector;colour\nA;agri-food;red\n", "1", "colour", "Unknown column"),
        ("name\nA\n", "1", "sector", "This column is required."),
        ("name;sector;name\nA;agri-food;B\n", "1", "_header", "twice"),
        ("name;sector\nA;agri-food;extra\n", "2", "_row", "3 cells for 2 columns"),
    ],
)
def test_the_shape_of_a_file_is_checked_before_its_rows(client, producers, line, column, message):
    files = error_at(upload(client, producers=producers), "files")
    assert message in " ".join(files["producers"][line][column])


def test_a_dry_run_checks_every_row_and_writes_nothing(app, client):
    result = ok(upload(client, dry_run=True, producers=PRODUCERS, products=PRODUCTS), 200)
    assert result["dry_run"] and len(result["producers"]) == 2 and len(result["products"]) == 3
    assert ok(client.get("/producers"), 200) == [] and published(app, "ProducerRegistered") == []


def test_a_windows_spreadsheet_in_cp1252_is_read(client):
    producers = "name;sector\nCooperativa Società Agricola;agri-food\n".encode("cp1252")
    assert ok(upload(client, producers=producers))["producers"][0]["name"] == "Cooperativa Società Agricola"


def test_an_import_needs_a_file_and_refuses_unknown_ones(client):
    assert error_at(upload(client), "files", "producers")
    assert error_at(upload(client, producers=PRODUCERS, prices="x"), "files", "prices")


def test_the_cli_imports_the_same_files(app, tmp_path):
    (tmp_path / "producers.csv").write_text(PRODUCERS, encoding="utf-8")
    (tmp_path / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    (tmp_path / "wrong.csv").write_text("producer;name;price;vat_rate\nNessuno;Miele;8;10\n", encoding="utf-8")
    runner = app.test_cli_runner()
    register_village(app.test_client(), "Dazio", istat_code="014025")
    refused = runner.invoke(args=["catalogue", "import", "--products", str(tmp_path / "wrong.csv")])
    assert refused.exit_code == 1 and "wrong.csv:2: producer: No producer with this name." in refused.output
    dry = runner.invoke(args=["catalogue", "import", "--producers", str(tmp_path / "producers.csv"), "--dry-run"])
    assert dry.exit_code == 0 and "dry run: 2 producers and 0 products would be imported" in dry.output
    done = runner.invoke(
        args=["catalogue", "import", "--producers", str(tmp_path / "producers.csv"), "--products", str(tmp_path / "products.csv")]
    )
    assert done.exit_code == 0, done.output
    assert "imported 2 producers and 3 products" in done.output
    assert len(published(app, "ProductRegistered")) == 3
