"""Property-based fuzzing of every service's API against its own OpenAPI document (schemathesis).

Each service's app runs in-process on a fresh database seeded with a few real rows; an administrator's
token takes every request past authentication, and path ids are either generated or those of real rows.
Every response must be a non-5xx, with a documented status, content type and schema.
"""

from __future__ import annotations

import importlib

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import FUZZ_REQUESTS, SERVICES

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES_PER_OPERATION = 25


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 8,
            "generation": {"mode": "all", "deterministic": True, "max-examples": EXAMPLES_PER_OPERATION},
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        }
    )


def _document(service: str) -> schemathesis.BaseSchema:
    """A service's OpenAPI document, read from an app built without any I/O (only the routes matter)."""
    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "LOG_LEVEL": "WARNING"})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=_config())

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        known = KNOWN.get(service, {})
        real = {name: st.sampled_from(known[name]) for name in path_parameters or () if known.get(name)}
        if not real:
            return st.just(path_parameters)
        return st.one_of(st.just(path_parameters), st.fixed_dictionaries(real).map(lambda ids: {**path_parameters, **ids}))

    return schema


#: the real ids of each service's seeded rows, by path parameter name (filled as each app is built)
KNOWN: dict[str, dict[str, list[str]]] = {}


@pytest.fixture(scope="module")
def apps(fuzz_app):
    """Each service's seeded app, built on first use and kept for the module."""
    built = {}

    def get(service: str):
        if service not in built:
            built[service] = fuzz_app(service)
            KNOWN[service] = built[service].known
        return built[service]

    return get


@schemathesis.pytest.parametrize(**{service: _document(service) for service in SERVICES})
@hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_every_operation_answers_as_documented(case, apps):
    service = case.operation.schema.raw_schema["info"]["title"].lower()
    app = apps(service)
    response = case.call(app=app, headers={"Authorization": f"Bearer {app.token}"})
    FUZZ_REQUESTS[service, f"{response.status_code // 100}xx"] += 1
    case.validate_response(response, checks=CHECKS)
