"""Across every service: no route answers without a token, and every route says which roles may call it."""

import uuid

import pytest

from backbone.web import PUBLIC_BLUEPRINTS
from tests.conftest import SERVICES

ID_NAMES = ("id", "_id")


def _url(template: str) -> str:
    parts = []
    for part in template.split("/"):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            parts.append(str(uuid.uuid4()) if name.endswith(ID_NAMES) else ("2026-07-14" if "date" in name else "x"))
        else:
            parts.append(part)
    return "/".join(parts)


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_but_probes_and_the_api_description_answers_401_without_a_token(make_app, service):
    app = make_app(service)
    client = app.test_client()
    document = client.get("/openapi.json").get_json()
    checked = 0
    for path, methods in document["paths"].items():
        for method in methods:
            if method == "parameters":
                continue
            response = client.open(_url(path), method=method.upper(), json={}, headers={"Authorization": ""})
            public = path.startswith("/health") or (service == "identity" and path == "/auth/token")
            if public:
                assert response.status_code != 401, (method, path)
            else:
                assert response.status_code == 401, (method, path, response.status_code)
                assert response.get_json()["message"].startswith("Authentication required"), (method, path)
                checked += 1
    assert checked >= 3


@pytest.mark.parametrize("service", SERVICES)
def test_every_protected_view_declares_the_roles_that_may_call_it(make_app, service):
    app = make_app(service)
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS or rule.endpoint in ("static", "metrics"):
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            handler = getattr(view_class, method.lower(), None) if view_class else view
            if not (getattr(handler, "allowed_roles", None) or getattr(handler, "public", False)):
                undeclared.append(f"{method} {rule.rule}")
    assert undeclared == []
