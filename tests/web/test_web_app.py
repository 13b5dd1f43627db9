"""The web app without a browser: the pass-through to a real service, the offline shell, the two languages."""

import json
import re
import threading
import uuid

import pytest
from werkzeug.serving import make_server

from deploy.network import free_port
from services.sales import catalogue as sales_catalogue
from tests.conftest import ROOT
from web.app import PAGES, create_app

WEB = ROOT / "web"


@pytest.fixture
def served():
    """Serve a Flask app on a real port (a real peer for the web app's requests); its URL."""
    servers = []

    def serve(app) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sales(make_app, served):
    """The sales service, serving on a port, knowing one selling place and one product."""
    app = make_app("sales")
    place, honey = uuid.uuid4(), uuid.uuid4()
    with app.extensions["db"].transaction() as session:
        sales_catalogue.keep_selling_place(
            session=session,
            data={"selling_place_id": place, "village_id": uuid.uuid4(), "name": "Bottega", "timezone": "Europe/Rome"},
        )
        sales_catalogue.keep_product(
            session=session,
            data={
                "product_id": honey,
                "producer_id": uuid.uuid4(),
                "name": "Miele di castagno",
                "sector": "agri-food",
                "unit": "piece",
                "price": "8.50",
                "vat_rate": "10",
                "mountain_product": True,
                "barcode": "8001234567897",
            },
        )
    return {"url": served(app), "place": str(place), "honey": str(honey)}


@pytest.fixture
def web(sales):
    """The web app, passing calls to that sales service (and to nothing else: the other services are down)."""
    unused = f"http://127.0.0.1:{free_port()}"
    app = create_app(
        {
            "TESTING": True,
            "SALES_URL": sales["url"],
            **{f"{name}_URL": unused for name in ("INVENTORY", "NOTIFICATIONS", "REPORTING", "IDENTITY")},
        }
    )
    return app.test_client()


def test_a_call_reaches_the_service_with_the_users_token_and_its_answer_comes_back(web, sales, token_for):
    token = token_for("clerk", "sales", selling_place_id=uuid.UUID(sales["place"]))
    headers = {"Authorization": f"Bearer {token}", "Cookie": "session=secret", "X-Trace-Id": "abc123"}

    found = web.get("/api/sales/products?barcode=8001234567897", headers=headers)
    assert found.status_code == 200 and [p["name"] for p in found.get_json()] == ["Miele di castagno"]
    assert found.headers["X-Trace-Id"] == "abc123"  # the service saw the caller's trace id
    assert found.headers["Cache-Control"] == "no-store"

    receipt = {
        "receipt_id": str(uuid.uuid4()),
        "till_id": "till-1",
        "sold_at": "2026-07-14T10:30:00+02:00",
        "payment_method": "cash",
        "lines": [{"product_id": sales["honey"], "quantity": "3"}],
    }
    recorded = web.post("/api/sales/receipts", json=receipt, headers=headers)
    assert recorded.status_code == 201 and recorded.get_json()["total"] == "25.50"
    again = web.post("/api/sales/receipts", json=receipt, headers=headers)
    assert again.status_code == 200 and again.get_json()["receipt_id"] == receipt["receipt_id"]


def test_the_services_refusals_pass_unchanged_and_no_token_is_added(web, sales, token_for):
    anonymous = web.get("/api/sales/receipts")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")

    token = token_for("clerk", "sales", selling_place_id=uuid.UUID(sales["place"]))
    refused = web.post(
        "/api/sales/receipts",
        json={
            "receipt_id": "not-a-uuid",
            "till_id": "t",
            "sold_at": "2026-07-14T10:30:00+02:00",
            "payment_method": "cash",
            "lines": [],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]["json"]) == {"receipt_id", "lines"}


def test_a_service_that_does_not_answer_is_a_502_naming_it_and_an_unknown_one_a_404(web):
    down = web.get(
        "/api/reporting/reports/daily?group_by=sector&from=2026-07-01&to=2026-07-31", headers={"Authorization": "Bearer x"}
    )
    assert down.status_code == 502 and "reporting" in down.get_json()["message"]
    unknown = web.get("/api/payroll/anything")
    assert unknown.status_code == 404 and unknown.get_json()["code"] == 404


def test_every_page_is_served_with_a_policy_that_allows_only_this_site(web):
    for page in ("/", *(f"/{name}" for name in PAGES)):
        response = web.get(page)
        assert response.status_code == 200, page
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
        # every script and stylesheet the page names is one of ours
        html = response.get_data(as_text=True)
        for source in re.findall(r'(?:src|href)="(/[^"]*)"', html):
            assert _status(web, source.split("?")[0]) == 200, (page, source)
    assert web.get("/payroll").status_code == 404


def test_the_service_worker_keeps_every_page_and_file_the_pages_need_and_no_api_call(web):
    script = web.get("/sw.js")
    assert script.status_code == 200 and script.headers["Cache-Control"] == "no-cache"
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", script.get_data(as_text=True)).group(1))
    static = {f"/static/{p.relative_to(WEB / 'static').as_posix()}" for p in (WEB / "static").rglob("*") if p.is_file()}
    assert {"/", "/till", "/producer", "/village", "/province", "/manifest.webmanifest"} <= set(shell)
    assert static - set(shell) == {"/static/vendor/README.md", "/static/vendor/chart.js-LICENSE.md", "/static/vendor/idb-LICENSE"}
    assert not [url for url in shell if url.startswith("/api/")]
    for url in shell:
        assert _status(web, url) == 200, url
    manifest = json.loads(web.get("/manifest.webmanifest").get_data(as_text=True))
    assert manifest["start_url"] == "/till" and {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}


def _status(client, url: str) -> int:
    """The status of a GET, the response closed (a static file is an open file until then)."""
    with client.get(url) as response:
        return response.status_code


def _keys_used() -> set[str]:
    """Every translation key the templates and scripts name literally."""
    keys = set()
    for path in (WEB / "templates").glob("*.html"):
        keys |= set(re.findall(r'data-i18n(?:-label|-placeholder|-title)?="([^"{]+)"', path.read_text()))
    for path in (WEB / "static" / "js").rglob("*.js"):
        keys |= set(re.findall(r"\bt\('([^']+)'", path.read_text()))
    return keys


def test_italian_and_english_say_the_same_things_and_every_text_used_is_translated():
    italian = json.loads((WEB / "static" / "i18n" / "it.json").read_text())
    english = json.loads((WEB / "static" / "i18n" / "en.json").read_text())
    assert set(italian) == set(english)
    assert all(value.strip() for value in (*italian.values(), *english.values()))
    used = _keys_used()
    assert len(used) > 150 and used - set(english) == set()
    # the placeholders of each text are the same in both languages
    for key in english:
        assert set(re.findall(r"\{\w+\}", english[key])) == set(re.findall(r"\{\w+\}", italian[key])), key
