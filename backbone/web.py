"""What every service's Flask app has in common: configuration, API, JSON errors, health, the bus.

A service's `create_app` calls `create_service_app` and registers its own blueprints; nothing here
does I/O until a request, a health check or a CLI command asks for it.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any

import flask_smorest
import redis
import sqlalchemy as sa
import structlog
from apispec import BasePlugin
from flask import Flask, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import Conflict as _conflict
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from backbone import tracing
from backbone.auth import ADMINISTRATOR, InvalidToken, TokenVerifier
from backbone.db import Database
from backbone.fields import ScaledDecimal, scaled_decimal_properties
from backbone.logs import configure_logging

log = structlog.get_logger("backbone.web")


def _refuse_constant(name: str):
    raise json.JSONDecodeError(f"{name} is not a number this API accepts", name, 0)


def loads_exact(data: str | bytes) -> Any:
    """JSON with every number exact: decimals become Decimal, NaN and Infinity are refused."""
    return json.loads(data, parse_float=Decimal, parse_constant=_refuse_constant)


class ExactJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading numbers as exact decimals (money never passes through a float)."""

    def loads(self, s, **kwargs):
        return loads_exact(s)


class NonFinite(str):
    """A NaN or Infinity literal met in a request body, kept so that the field holding it is named when refused."""


def _unstorable(value: str) -> str | None:
    """Why PostgreSQL could not store this text (a NUL, a lone surrogate), or None when it can."""
    if "\x00" in value:
        return "Must not contain the NUL character."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Must be valid Unicode text (no lone surrogates)."
    return None


def _refuse_unstorable_text(data: Any, location: str, path: tuple = ()) -> None:
    """Answer 422 naming the first NaN / Infinity in `data`, or string (key or value) PostgreSQL could not store."""
    if isinstance(data, NonFinite):
        invalid(path or ("_schema",), f"{data} is not a number this API accepts: send a finite decimal.", location=location)
    elif isinstance(data, str):
        problem = _unstorable(data)
        if problem:
            invalid(path or ("_schema",), problem, location=location)
    elif isinstance(data, dict):
        for key, value in data.items():
            where = (*path, "_key" if _unstorable(key) else key)
            _refuse_unstorable_text(key, location, where)
            _refuse_unstorable_text(value, location, where)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _refuse_unstorable_text(value, location, (*path, index))


class ExactParser(FlaskParser):
    """webargs' Flask parser: JSON bodies only, numbers read exactly; NaN / Infinity, text PostgreSQL cannot
    store (NUL, lone surrogates), unknown and repeated query parameters refused with a 422 naming them."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }

    def _raw_load_json(self, req):
        if not is_json_request(req):
            if req.content_length or req.get_data(cache=True):
                flask_smorest.abort(415, message="Send the body as JSON, with 'Content-Type: application/json'.")
            return webargs_core.missing
        data = req.get_data(cache=True)
        if isinstance(data, bytes):
            data = data.decode("utf-8")  # UnicodeDecodeError is answered 400 by webargs
        loaded = json.loads(data, parse_float=Decimal, parse_constant=NonFinite)
        _refuse_unstorable_text(loaded, "json")
        return loaded

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        where = f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "the body is not valid UTF-8"
        flask_smorest.abort(400, message=f"Invalid JSON body: {reason}{where}.", errors={"json": ["Invalid JSON body."]})

    def load_querystring(self, req, schema):
        for name, value in req.args.items(multi=True):
            _refuse_unstorable_text({name: value}, "query")
        proxy = super().load_querystring(req, schema)
        for name in req.args:
            if name not in proxy.multiple_keys and len(req.args.getlist(name)) > 1:
                invalid(name, "Give this parameter once.", location="query")
        return proxy


#: the converter of each parameter in a Flask rule ("" for a plain string)
_PATH_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>")


class ErrorResponses(BasePlugin):
    """Documents, on every operation, each error status it may answer (the fuzz tests hold us to it).

    flask-smorest documents 422 where arguments are parsed; this adds 400 and 415 for a JSON body,
    404 for a path with ids, 401 / 403 / 429 where a token is needed and 409 for writes.
    """

    def __init__(self, app: Flask):
        self.app = app

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        public_blueprint = rule is not None and rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS
        view_class = getattr(self.app.view_functions.get(rule.endpoint), "view_class", None) if rule is not None else None
        for method, operation in (operations or {}).items():
            statuses = []
            if "requestBody" in operation:
                statuses += ["BAD_REQUEST", "REQUEST_ENTITY_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "UNPROCESSABLE_ENTITY"]
            if "{" in (path or ""):
                statuses.append("NOT_FOUND")
            if rule is not None and any(converter not in ("uuid", "int") for converter in _PATH_CONVERTER.findall(rule.rule)):
                statuses.append("UNPROCESSABLE_ENTITY")  # a path parameter the view reads and checks itself
            view = getattr(view_class, method, None)
            if self.app.extensions.get("secured") and not public_blueprint:
                if not getattr(view, "public", False):
                    statuses += ["UNAUTHORIZED", "FORBIDDEN"]
                statuses.append("TOO_MANY_REQUESTS")
            if method in ("post", "put", "patch", "delete") and not public_blueprint:
                statuses.append("CONFLICT")
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(str(HTTPStatus[status].value), status)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with exact JSON parsing: every service's routes use this one."""

    ARGUMENTS_PARSER = ExactParser()


class ServiceApi(flask_smorest.Api):
    """flask-smorest's Api, documenting each error status an operation answers rather than a catch-all default."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _init_spec(self, **kwargs):
        super()._init_spec(**kwargs)
        # exact amounts travel as strings (see backbone.fields): documented as such, with their places
        self.ma_plugin.map_to_openapi_type(ScaledDecimal, "string", None)
        self.ma_plugin.converter.add_attribute_function(scaled_decimal_properties)


class Defaults:
    """Settings every service shares; each can be overridden by `<SERVICE>_<NAME>` in the environment."""

    REDIS_URL = "redis://127.0.0.1:6379/0"
    STREAM_PREFIX = "sp:"
    LOG_LEVEL = "INFO"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    RELAY_BATCH_SIZE = 500
    RELAY_IDLE_SECONDS = 0.05
    STREAM_RETENTION_SECONDS = 7 * 24 * 3600
    CONSUMER_BATCH_SIZE = 100
    CONSUMER_BLOCK_MS = 1000
    CONSUMER_CLAIM_IDLE_MS = 30_000
    CONSUMER_CLAIM_EVERY_SECONDS = 5.0
    CONSUMER_MAX_ATTEMPTS = 5
    CONSUMER_NAME = None
    DB_POOL_SIZE = 5
    #: PEM of the identity service's Ed25519 public key: every token is verified with it
    AUTH_PUBLIC_KEY = None
    #: requests allowed per API key (or per address, before a token): a noisy key slows only itself
    RATE_LIMIT = "1200 per minute"
    API_VERSION = "1.0"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist/"
    API_SPEC_OPTIONS = {"info": {"description": "Part of the selling-places network."}}


def create_service_app(
    service: str,
    import_name: str,
    *,
    title: str,
    defaults: type | None = None,
    config: dict | None = None,
    migrations: Path,
    handlers: dict | None = None,
    publishes: bool = False,
    secured: bool = False,
) -> Flask:
    """Build the common shell of a service app; the caller registers its blueprints with `register_api`."""
    app = Flask(import_name, instance_path=str(Path(os.environ.get("SP_VAR_DIR", "var")).resolve()))
    # First, so its span (continuing the caller's traceparent) is current in every other hook. Only
    # when spans are exported: otherwise the instrumentation costs every request for spans nobody
    # sees, and the trace id still flows (`_bind_request_context` reads it from the headers).
    if tracing.configure(service):
        from opentelemetry.instrumentation.flask import FlaskInstrumentor

        FlaskInstrumentor().instrument_app(app, excluded_urls="health/,metrics,openapi.json,docs")
    app.json = ExactJSONProvider(app)
    app.config.from_object(Defaults)
    app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / (service + '.db')}"
    app.config["API_TITLE"] = title
    if defaults is not None:
        app.config.from_object(defaults)
    for name in ("REDIS_URL", "STREAM_PREFIX", "LOG_LEVEL", "AUTH_PUBLIC_KEY", "AUTH_PUBLIC_KEY_FILE"):
        if name in os.environ:
            app.config[name] = os.environ[name]
    app.config.from_prefixed_env(service.upper())
    if config:
        app.config.update(config)
    # Secrets may come as files (Docker and Kubernetes secrets): NAME_FILE holds the path of NAME.
    for name in [key for key in app.config if key.endswith("_FILE") and app.config[key]]:
        app.config[name.removesuffix("_FILE")] = Path(app.config[name]).read_text()
    # apispec writes the title into its options when it renders: each app its own copy, or the first
    # app's title would be every later app's in the same process
    app.config["API_SPEC_OPTIONS"] = copy.deepcopy(app.config["API_SPEC_OPTIONS"])
    configure_logging(app.config["LOG_LEVEL"])

    app.extensions["service"] = service
    app.extensions["db"] = Database(app.config["DATABASE_URL"], pool_size=app.config["DB_POOL_SIZE"])
    app.extensions["migrations"] = migrations
    app.extensions["handlers"] = handlers or {}
    app.extensions["publishes"] = publishes

    app.extensions["secured"] = secured
    api = ServiceApi(app, spec_kwargs={"extra_plugins": [ErrorResponses(app)]})
    app.extensions["api"] = api
    api.register_blueprint(health)
    app.register_error_handler(Exception, _unexpected_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.before_request(_bind_request_context)
    if secured:
        app.config.setdefault("AUTH_AUDIENCE", service)
        api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
        app.before_request(_authenticate)
        _limit_rates(app)  # after authentication: limits count per API key
        from backbone.audit import blp as audit_blp

        api.register_blueprint(audit_blp)
    app.after_request(_expose_trace_id)
    app.teardown_request(_unbind_request_context)

    from backbone.cli import bus_cli, db_cli
    from backbone.metrics import init_metrics

    init_metrics(app)

    app.cli.add_command(bus_cli)
    app.cli.add_command(db_cli)
    return app


def register_api(app: Flask, *blueprints: flask_smorest.Blueprint) -> None:
    """Add a service's blueprints to its API (and to its OpenAPI document)."""
    for blueprint in blueprints:
        app.extensions["api"].register_blueprint(blueprint)


def invalid(path: str | tuple, message: str, *, location: str = "json"):
    """Answer 422 naming the offending field, in the same shape as marshmallow's own errors.

    `path` is a field name or a tuple such as ("lines", 0, "product_id").
    """
    path = (path,) if isinstance(path, str) else path
    errors: Any = [message]
    for part in reversed(path):
        errors = {str(part) if isinstance(part, str) else part: errors}
    flask_smorest.abort(422, errors={location: errors})


def get_db() -> Database:
    """The current service's database."""
    return current_app.extensions["db"]


def get_redis(app: Flask | None = None) -> redis.Redis:
    """The current service's Redis client (created on first use, shared by threads)."""
    app = app or current_app
    client = app.extensions.get("redis")
    if client is None:
        client = redis.Redis.from_url(
            app.config["REDIS_URL"],
            decode_responses=True,
            # an entry that is not UTF-8 must reach the consumer (to be dead-lettered, byte for byte), not crash it
            encoding_errors="surrogateescape",
            socket_connect_timeout=2,
            socket_timeout=max(10, app.config["CONSUMER_BLOCK_MS"] / 1000 + 5),
            health_check_interval=30,
        )
        app.extensions["redis"] = client
    return client


# -- request context: trace id in, trace id out -------------------------------------------------


def _trace_id_from_headers() -> str | None:
    traceparent = request.headers.get("traceparent", "")
    parts = traceparent.split("-")
    if len(parts) == 4 and len(parts[1]) == 32:
        return parts[1]
    given = request.headers.get("X-Trace-Id", "")
    if 0 < len(given) <= 64 and given.isalnum():
        return given
    return None


def _bind_request_context():
    trace_id = tracing.current_trace_id() or _trace_id_from_headers() or tracing.new_trace_id()
    g.trace_token = tracing.bind_trace_id(trace_id)
    structlog.contextvars.bind_contextvars(trace_id=trace_id, path=request.path, method=request.method)


def _expose_trace_id(response):
    response.headers["X-Trace-Id"] = tracing.current_trace_id() or ""
    return response


def _unbind_request_context(_exc):
    token = g.pop("trace_token", None)
    if token is not None:
        tracing.reset_trace_id(token)
    structlog.contextvars.clear_contextvars()


def _too_large(error: RequestEntityTooLarge):
    error.data = {"message": f"The body is larger than the {current_app.config['MAX_CONTENT_LENGTH']:,} bytes this API accepts."}
    return current_app.extensions["api"].handle_http_exception(error)


def _unexpected_error(error: Exception):
    # HTTP errors (4xx, and the 500 Flask makes of an unhandled error) are already JSON through
    # flask-smorest; anything else is logged with its trace and answered without it.
    if isinstance(error, HTTPException):
        return current_app.extensions["api"].handle_http_exception(error)
    if isinstance(error, sa.exc.IntegrityError):
        # A concurrent request won a uniqueness race the use case had checked for: nothing was written.
        log.warning("integrity conflict", error=str(error.orig)[:200])
        return current_app.extensions["api"].handle_http_exception(
            _conflict("This conflicts with data recorded meanwhile; read it again and retry.")
        )
    log.exception("unhandled error")
    return current_app.extensions["api"].handle_http_exception(InternalServerError())


# -- who may call what --------------------------------------------------------------------------

#: blueprints anyone may call: probes and the API description
PUBLIC_BLUEPRINTS = {"health", "api-docs"}


def allow(*roles: str):
    """Declare the roles that may call a view method (administrators always may); others get 403."""

    def decorate(method):
        method.allowed_roles = frozenset(roles) | {ADMINISTRATOR}
        return method

    return decorate


def public(method):
    """Declare a view method anyone may call without a token (the token exchange itself)."""
    method.public = True
    return method


def current_principal():
    """The authenticated caller of this request."""
    return g.principal


def _view_method(endpoint: str):
    view = current_app.view_functions[endpoint]
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return view
    method = request.method.lower()
    return getattr(view_class, "get" if method == "head" else method, None)


def _verifier() -> TokenVerifier | None:
    verifier = current_app.extensions.get("auth_verifier")
    if verifier is None and current_app.config.get("AUTH_PUBLIC_KEY"):
        verifier = TokenVerifier(current_app.config["AUTH_PUBLIC_KEY"], audience=current_app.config["AUTH_AUDIENCE"])
        current_app.extensions["auth_verifier"] = verifier
    return verifier


def _unauthorized(message: str):
    flask_smorest.abort(401, message=message, headers={"WWW-Authenticate": 'Bearer realm="selling-places"'})


def _authenticate():
    endpoint = request.endpoint
    if endpoint is None or request.method == "OPTIONS" or endpoint.split(".")[0] in PUBLIC_BLUEPRINTS:
        return None
    method = _view_method(endpoint)
    if getattr(method, "public", False):
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        _unauthorized("Authentication required: send 'Authorization: Bearer <token>'.")
    verifier = _verifier()
    if verifier is None:
        log.error("AUTH_PUBLIC_KEY is not configured: every protected request is refused")
        _unauthorized("This service cannot verify tokens right now.")
    try:
        principal = verifier.verify(token.strip())
    except InvalidToken as error:
        log.info("token refused", reason=str(error))
        _unauthorized("Invalid or expired token.")
    g.principal = principal
    structlog.contextvars.bind_contextvars(key_id=principal.key_id, role=principal.role)
    roles = getattr(method, "allowed_roles", None)
    if roles is None or principal.role not in roles:
        flask_smorest.abort(403, message="Your role may not do this.")
    return None


def _limit_key() -> str:
    principal = g.get("principal")
    return f"key:{principal.key_id}" if principal else f"addr:{request.remote_addr}"


def _limit_rates(app: Flask) -> None:
    from flask_limiter import Limiter

    def exempt() -> bool:
        return request.endpoint is None or request.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS or request.endpoint == "metrics"

    # No X-RateLimit-* headers on every answer: they cost two more Redis round trips per request
    # (the window's count and expiry, after the hit); a refused request still says when to retry.
    limiter = Limiter(
        key_func=_limit_key,
        app=app,
        default_limits=[app.config["RATE_LIMIT"]],
        default_limits_exempt_when=exempt,
        headers_enabled=False,
        storage_uri=app.config["REDIS_URL"],
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1},
        key_prefix=f"{app.config['STREAM_PREFIX']}ratelimit",
        # Redis down must never stop a shop from recording sales: count in memory meanwhile.
        swallow_errors=True,
        in_memory_fallback_enabled=True,
    )
    app.extensions["limiter"] = limiter

    def retry_after(response):
        limit = limiter.current_limit
        if response.status_code == 429 and limit is not None and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(max(1, int(limit.reset_at - time.time())))
        return response

    app.after_request(retry_after)


# -- health -------------------------------------------------------------------------------------

health = Blueprint("health", __name__, url_prefix="/health", description="Liveness and readiness probes")


class HealthSchema(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.String())


@health.route("/live")
class Live(MethodView):
    @health.response(200, HealthSchema)
    def get(self):
        """The process answers."""
        return {"status": "ok", "checks": {}}


@health.route("/ready")
class Ready(MethodView):
    @health.response(200, HealthSchema)
    @health.alt_response(503, schema=HealthSchema, description="A dependency does not answer")
    def get(self):
        """The service's database and Redis both answer."""
        checks = {}
        try:
            get_db().ping()
            checks["database"] = "ok"
        except Exception as error:
            checks["database"] = f"unavailable: {type(error).__name__}"
        try:
            get_redis().ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"unavailable: {type(error).__name__}"
        ready = all(value == "ok" for value in checks.values())
        return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
