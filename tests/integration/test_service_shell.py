"""What every service shares: OpenAPI, JSON errors, health probes, migrations in step with the models."""

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from backbone.db import migrate
from backbone.web import allow
from tests.conftest import ROOT, SERVICES, migrations_of


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_documents_its_api_and_answers_errors_in_json(make_app, service):
    client = make_app(service).test_client()
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/health/ready" in spec["paths"] and len(spec["paths"]) > 2
    assert client.get("/docs").status_code == 200  # Swagger UI
    for response in (client.get("/no-such-page"), client.delete("/health/live")):
        body = response.get_json()
        assert response.status_code in (404, 405) and body["code"] == response.status_code and "status" in body
    assert client.get("/health/live").get_json() == {"status": "ok", "checks": {}}


@pytest.mark.parametrize("service", SERVICES)
def test_ready_means_its_database_and_redis_answer(make_app, service):
    from deploy.network import free_port

    assert make_app(service).test_client().get("/health/ready").status_code == 200
    broken = make_app(service, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client().get("/health/ready")
    assert broken.status_code == 503
    assert broken.get_json()["checks"] == {"database": "ok", "redis": "unavailable: ConnectionError"}


def test_an_unexpected_error_is_a_json_500_without_a_trace(make_app):
    app = make_app("reporting")

    @app.get("/boom")
    @allow()  # reporting is secured: the test client is an administrator
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.get_json() == {"code": 500, "status": "Internal Server Error"}
    assert b"secret internals" not in response.data and b"Traceback" not in response.data


def test_the_trace_id_is_taken_from_the_request_or_made_and_returned(make_app):
    client = make_app("inventory").test_client()
    given = "0af7651916cd43dd8448eb211c80319c"
    response = client.get("/health/live", headers={"traceparent": f"00-{given}-b7ad6b7169203331-01"})
    assert response.headers["X-Trace-Id"] == given
    assert len(client.get("/health/live").headers["X-Trace-Id"]) == 32


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrations_create_exactly_what_the_models_describe(infra, service):
    url = infra.database(service, migrations_of(service))
    config = Config()
    config.set_main_option("script_location", str(migrations_of(service)))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = url
    command.check(config)  # raises if autogenerate would find any difference


@pytest.mark.parametrize("service", SERVICES)
def test_the_zero_setup_sqlite_database_migrates_up_and_down(tmp_path, service):
    url = f"sqlite:///{tmp_path / (service + '.db')}"
    migrate(url, migrations_of(service))
    engine = sa.create_engine(url)
    try:
        assert {"outbox", "processed_event"} <= set(sa.inspect(engine).get_table_names())
        config = Config()
        config.set_main_option("script_location", str(migrations_of(service)))
        config.set_main_option("path_separator", "os")
        config.attributes["database_url"] = url
        command.downgrade(config, "base")
        assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    finally:
        engine.dispose()


def test_services_never_import_each_other():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_the_grafana_dashboard_charts_only_metrics_the_services_expose(make_app):
    import json
    import re

    exposed = set()
    for service in SERVICES:
        text = make_app(service).test_client().get("/metrics").get_data(as_text=True)
        exposed |= {name for name, _kind in re.findall(r"^# TYPE (\w+) (\w+)", text, re.M)}
    names = set()
    for name in exposed:  # a histogram or counter family is queried through its suffixed series
        names |= {name, f"{name}_bucket", f"{name}_count", f"{name}_sum", f"{name}_total"}
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "selling-places.json").read_text())
    charted = {
        m for panel in dashboard["panels"] for target in panel["targets"] for m in re.findall(r"\b(sp_\w+)", target["expr"])
    }
    assert charted and charted <= names, charted - names
