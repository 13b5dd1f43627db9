"""/api/<service>/<path>: the browser's calls, passed to the service with the caller's own token.

The pages and the APIs then share one origin: the till's service worker, the Content-Security-Policy
(`connect-src 'self'`) and the browser see a single site, and the services need no CORS and need not
be reachable from the browser at all. The proxy adds no credential of its own and decides nothing:
each service checks the token the user sent, exactly as if it were called directly.
"""

from __future__ import annotations

import threading

import requests
import structlog
from flask import Blueprint, Response, current_app, jsonify, request

from web.config import SERVICES

log = structlog.get_logger("web.proxy")

bp = Blueprint("proxy", __name__)

#: what the browser may tell a service (never its cookies)
REQUEST_HEADERS = ("Authorization", "Content-Type", "Accept", "Accept-Language", "traceparent", "X-Trace-Id")
#: what a service may tell the browser (the body is re-chunked, so no length or transfer encoding)
RESPONSE_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Retry-After",
    "WWW-Authenticate",
    "X-Trace-Id",
    "X-Skipped-Producers",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

_local = threading.local()


def _session() -> requests.Session:
    """A connection pool per thread: requests' Session is not meant to be shared by threads."""
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        session.trust_env = False  # a proxy configured in the environment must not see users' tokens
    return session


def _problem(status: int, message: str):
    response = jsonify(
        {"code": status, "status": {502: "Bad Gateway", 504: "Gateway Timeout"}.get(status, "Not Found"), "message": message}
    )
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/api/<service>/<path:path>", methods=METHODS)
def forward(service: str, path: str):
    """Pass one call to a service and its answer back, streamed (reports and PDFs can be large)."""
    if service not in SERVICES:
        return _problem(404, f"No service called {service!r}; the services are {', '.join(SERVICES)}.")
    url = f"{current_app.config[f'{service.upper()}_URL'].rstrip('/')}/{path}"
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    headers = {name: request.headers[name] for name in REQUEST_HEADERS if name in request.headers}
    timeout = (current_app.config["PROXY_CONNECT_TIMEOUT_SECONDS"], current_app.config["PROXY_READ_TIMEOUT_SECONDS"])
    try:
        upstream = _session().request(
            request.method, url, headers=headers, data=request.get_data(), stream=True, timeout=timeout, allow_redirects=False
        )
    except requests.Timeout:
        log.warning("service did not answer in time", service=service, method=request.method, path=path)
        return _problem(504, f"The {service} service did not answer in time; try again shortly.")
    except requests.RequestException as error:
        log.warning("service unreachable", service=service, error=type(error).__name__)
        return _problem(502, f"The {service} service does not answer; try again shortly.")
    response = Response(
        upstream.iter_content(chunk_size=64 * 1024),
        status=upstream.status_code,
        headers={name: upstream.headers[name] for name in RESPONSE_HEADERS if name in upstream.headers},
    )
    response.headers["Cache-Control"] = "no-store"  # users' figures never stay in a shared cache
    response.call_on_close(upstream.close)
    return response
