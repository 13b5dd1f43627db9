"""The web app: the pages, their service worker, and the pass-through to the services' APIs."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from flask import Flask, Response, abort, current_app, render_template, url_for

from backbone.logs import configure_logging
from web import proxy
from web.config import SERVICES, Defaults

HERE = Path(__file__).resolve().parent
#: page path -> its template
PAGES = {
    "till": "till.html",
    "producer": "producer.html",
    "village": "village.html",
    "province": "province.html",
}
#: static files the browser never needs offline
NOT_CACHED = (".map", ".md", "LICENSE")

SECURITY_HEADERS = {
    # Everything comes from this origin: no inline script, no third party, no framing.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}


def create_app(config: dict | None = None) -> Flask:
    """Build the web app (no I/O until a request asks for it)."""
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.from_object(Defaults)
    if "LOG_LEVEL" in os.environ:  # the level the whole network logs at
        app.config["LOG_LEVEL"] = os.environ["LOG_LEVEL"]
    app.config.from_prefixed_env("WEB")
    if config:
        app.config.update(config)
    configure_logging(app.config["LOG_LEVEL"])
    app.extensions["shell"] = _shell_files(app)
    app.register_blueprint(proxy.bp)
    _register_pages(app)
    app.after_request(_secure)
    return app


def _shell_files(app: Flask) -> tuple[str, list[str]]:
    """The static files the pages need offline, and a version that changes whenever one of them does."""
    digest = hashlib.sha256()
    files = []
    roots = [(HERE / "static", "static"), (HERE / "templates", None)]
    for root, prefix in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(path.relative_to(HERE).as_posix().encode())
            digest.update(path.read_bytes())
            if prefix and not path.name.endswith(NOT_CACHED):
                files.append(f"/{prefix}/{path.relative_to(root).as_posix()}")
    return digest.hexdigest()[:16], files


def _register_pages(app: Flask) -> None:
    @app.get("/")
    def index():
        """Sign in with an API key; the pages for the key's role."""
        return render_template("index.html", page="index")

    @app.get("/<page>")
    def page(page: str):
        """One of the pages: till, producer, village, province."""
        if page not in PAGES:
            abort(404)
        return render_template(PAGES[page], page=page)

    @app.get("/sw.js")
    def service_worker():
        """The service worker: keeps the pages and their files for offline use (the till's receipts stay in IndexedDB)."""
        version, files = current_app.extensions["shell"]
        shell = ["/", *(f"/{name}" for name in PAGES), url_for("manifest"), *files]
        body = render_template("sw.js", version=version, shell=shell)
        return Response(body, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})

    @app.get("/manifest.webmanifest")
    def manifest():
        """What makes the till installable on a tablet's home screen."""
        return Response(render_template("manifest.webmanifest"), mimetype="application/manifest+json")

    @app.get("/health/live")
    def live():
        """The process answers."""
        return {"status": "ok", "checks": {}}

    @app.get("/health/ready")
    def ready():
        """Ready to serve pages (always, once up); says which services answer, which the pages cope without."""
        urls = {service: f"{current_app.config[f'{service.upper()}_URL'].rstrip('/')}/health/live" for service in SERVICES}
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            checks = dict(zip(urls, pool.map(_answers, urls.values()), strict=True))
        return {"status": "ok", "checks": checks}


def _answers(url: str) -> str:
    try:
        return "ok" if requests.get(url, timeout=0.5).status_code == 200 else "unavailable"
    except requests.RequestException as error:
        return f"unavailable: {type(error).__name__}"


def _secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
