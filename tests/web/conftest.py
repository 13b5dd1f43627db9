"""Web tests: the real network plus the web app as processes, driven in Debian's headless Chromium.

Playwright drives the browser the machine has (/usr/bin/chromium): it never downloads one. One
network serves every browser test of the session; each test makes its own villages, shops and keys.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import redis
import requests

from deploy.network import WEB, environment, free_port, process_commands
from tests.conftest import SERVICES, migrations_of
from tests.support import wait_for
from tests.support.network import Network
from tests.web.support import DESKTOP

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


class WebNetwork(Network):
    """The network of tests/support/network.py with the web app as one more process."""

    def start_with_web(self) -> None:
        self.settings.ports[WEB] = free_port()
        self.commands = process_commands(self.settings)
        self.env = environment(self.settings)
        self.start()
        self.wait_ready()
        wait_for(self._web_answers, timeout=60, interval=0.2, message="the web app to answer")

    @property
    def web_url(self) -> str:
        return self.settings.url(WEB)

    def _web_answers(self) -> bool:
        try:
            return self.http.get(f"{self.web_url}/health/live", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def issue_key(self, role: str, **scope) -> str:
        """A new API key for `role`, bound to its selling place, village or producer, as an administrator issues it."""
        response = self.post("identity", "/keys", {"role": role, "label": f"web test {role}", **scope})
        assert response.status_code == 201, response.text
        return response.json()["api_key"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, headless, driven by Playwright (the tests are skipped where it is missing, outside CI)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the web tests: install Debian's chromium (.ci/run does)")
        pytest.skip("Debian's chromium is not installed (apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def web_network(infra, signing_key, tmp_path_factory):
    """The whole network and the web app, started once for the browser tests."""
    prefix = f"w{uuid.uuid4().hex[:10]}:"
    network = WebNetwork.build(
        redis_url=infra.redis_url,
        database_urls={service: infra.database(service, migrations_of(service)) for service in SERVICES},
        prefix=prefix,
        tmp_path=tmp_path_factory.mktemp("web-network"),
        signing_key=signing_key["private"],
    )
    try:
        network.start_with_web()
        network.bootstrap_admin()
        yield network
    finally:
        network.close()
        client = redis.Redis.from_url(infra.redis_url)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def network(web_network, request):
    """The session's network; its logs are printed when the test fails."""
    yield web_network
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        print(web_network.logs())
        print(f"===== web =====\n{web_network.log_tail(WEB, 80)}")


class BrowserErrors(list):
    """What went wrong in the pages: uncaught errors and console errors (a test fails on any)."""


@pytest.fixture
def browser(chromium):
    """Make browser contexts (Italian, Rome time, desktop size unless told); each page's errors are collected."""
    contexts = []
    errors = BrowserErrors()

    def make(**options):
        context = chromium.new_context(**{"viewport": DESKTOP, "locale": "it-IT", "timezone_id": "Europe/Rome", **options})
        context.on("page", lambda page: _watch(page, errors))
        contexts.append(context)
        return context

    make.errors = errors
    yield make
    for context in contexts:
        context.close()


def _watch(page, errors: list) -> None:
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))

    def console(message):
        # a failed request is logged by the browser itself (offline on purpose, a refusal the page shows)
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(f"{page.url}: {message.text}")

    page.on("console", console)
