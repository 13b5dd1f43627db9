"""Steps the browser tests share: a shop to sell in, signing in, screenshots at phone and desktop width."""

from __future__ import annotations

import random
import uuid

from stdnum import ean

from tests.conftest import ROOT
from tests.e2e.flows import created
from tests.support import wait_for

SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def barcode() -> str:
    """A fresh EAN-13 barcode with its check digit (Italian prefix 80)."""
    digits = "80" + "".join(random.choices("0123456789", k=10))
    return digits + ean.calc_check_digit(digits)


def village(network, name: str, population: int = 347) -> dict:
    """A village of the network."""
    body = {"name": name, "istat_code": f"{uuid.uuid4().int % 10**6:06d}", "province": "SO", "population": population}
    return created(network.post("inventory", "/villages", body))


def shop(network, *, village_name: str = "Dazio", place_name: str = "Bottega di Dazio", products: list[dict]) -> dict:
    """A village with one selling place and one producer per sector named in `products`, each product with a barcode."""
    home = village(network, village_name)
    place = created(
        network.post("inventory", "/selling-places", {"village_id": home["id"], "name": place_name, "commission_rate": "15"})
    )
    producers, made = {}, []
    for wanted in products:
        sector = wanted.get("sector", "agri-food")
        if sector not in producers:
            producers[sector] = created(
                network.post(
                    "inventory",
                    "/producers",
                    {"name": wanted.get("producer", f"Produttore {sector}"), "sector": sector, "home_village_id": home["id"]},
                )
            )
        body = {
            "producer_id": producers[sector]["id"],
            "name": wanted["name"],
            "price": wanted["price"],
            "vat_rate": wanted.get("vat_rate", "10"),
            "unit": wanted.get("unit", "piece"),
            "reorder_threshold": wanted.get("threshold", "0"),
            "barcode": barcode(),
        }
        made.append(created(network.post("inventory", "/products", body)))
    for product in made:
        wait_for(
            lambda product=product: network.get("sales", f"/products/{product['id']}").status_code == 200,
            timeout=30,
            message="sales to learn the products",
        )
    return {"village": home, "place": place, "producers": producers, "products": made}


def restock(network, shop: dict, quantities: dict[str, str]) -> None:
    """Deliver goods to the shop: product name -> quantity."""
    by_name = {product["name"]: product["id"] for product in shop["products"]}
    lines = [{"product_id": by_name[name], "quantity": quantity} for name, quantity in quantities.items()]
    created(network.post("inventory", f"/selling-places/{shop['place']['id']}/restocks", {"lines": lines}))


def until(page, expression: str, *, arg=None, timeout: float = 30, message: str | None = None):
    """Wait until `expression` (a JavaScript function) is truthy in the page; its value.

    Polled with page.evaluate: Playwright's wait_for_function evaluates strings, which the pages'
    Content-Security-Policy (no 'unsafe-eval') rightly refuses, and the tests keep that policy on.
    """
    return wait_for(lambda: page.evaluate(expression, arg), timeout=timeout, interval=0.1, message=message or expression)


def sign_in(network, page, api_key: str, path: str) -> None:
    """Open a page, sign in on the front page it sends us to, and wait until the page is ready."""
    page.goto(f"{network.web_url}{path}")
    page.wait_for_url("**/?next=*")
    page.fill("#api-key", api_key)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{path}")
    page.wait_for_selector("body[data-ready='true']", timeout=30_000)


#: form controls nobody can name: no <label>, no aria-label(ledby), no text of their own
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter((control) => control.offsetParent !== null)
  .filter((control) => !(control.labels && control.labels.length) && !control.getAttribute('aria-label')
    && !control.getAttribute('aria-labelledby') && !control.textContent.trim())
  .map((control) => control.outerHTML.slice(0, 120))"""


def assert_labelled(page) -> None:
    """Every visible control has an accessible name (what a screen reader or voice control calls it)."""
    unlabelled = page.evaluate(UNLABELLED)
    assert not unlabelled, unlabelled


#: the outermost elements that stick out of the window on the right, outside scrolling boxes (what makes a page scroll sideways)
WIDEST = """() => {
  const out = (element) => element.getBoundingClientRect().right > window.innerWidth + 0.5;
  return [...document.querySelectorAll('body *')]
    .filter((element) => out(element) && !out(element.parentElement) && !element.parentElement.closest('.scroll'))
    .slice(0, 5).map((element) => `${element.tagName.toLowerCase()}#${element.id}.${element.className}: ${element.textContent.slice(0, 60)}`);
}"""


FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def screenshots(page, name: str) -> None:
    """The page at phone and desktop width, under tests/artifacts/screenshots; at phone width it never scrolls sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for kind, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        # charts follow a new width a frame or two later (ResizeObserver): wait for the page to fit, briefly
        try:
            wait_for(lambda: page.evaluate(FITS), timeout=3, interval=0.1, message="the page to fit")
        except AssertionError:
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            raise AssertionError(f"{name} at {kind} width scrolls sideways by {overflow}px: {page.evaluate(WIDEST)}") from None
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{kind}.png"), full_page=True)
    page.set_viewport_size(size)
