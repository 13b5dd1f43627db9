"""The web pages in every way the network is run: the process table, docker compose, Kubernetes."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.k8s.__main__ import documents
from deploy.network import SERVICES, WEB, Settings, environment, process_commands
from tests.conftest import ROOT


def test_the_local_run_starts_the_web_app_pointed_at_every_service():
    settings = Settings(
        redis_url="redis://127.0.0.1:6379/0", database_urls=dict.fromkeys(SERVICES, "sqlite://"), var_dir=Path("/tmp")
    )
    command = process_commands(settings)[WEB]
    assert command[-1] == "web.app:create_app()" and f"127.0.0.1:{settings.ports[WEB]}" in command
    env = environment(settings)
    assert {env[f"WEB_{service.upper()}_URL"] for service in SERVICES} == {settings.url(service) for service in SERVICES}


def test_the_web_container_owns_no_data_and_holds_no_secret():
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed")
    rendered = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    web = yaml.safe_load(rendered)["services"]["web"]
    assert not web.get("secrets")
    assert not [name for name in web["environment"] if name.endswith(("_DATABASE_URL", "_REDIS_URL", "_KEY", "_PASSWORD"))]
    assert {web["environment"][f"WEB_{service.upper()}_URL"] for service in SERVICES} == {
        f"http://{service}-api:8000" for service in SERVICES
    }


def test_in_kubernetes_the_web_pages_mount_no_secret_and_reach_the_services_by_name():
    apis = documents()["apis.yaml"]
    (deployment,) = [doc for doc in apis if doc["kind"] == "Deployment" and doc["metadata"]["name"] == WEB]
    spec = deployment["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert "volumes" not in spec and "volumeMounts" not in container
    assert not [entry for entry in container["env"] if "valueFrom" in entry]
    assert {entry["value"] for entry in container["env"]} == {f"http://{service}" for service in SERVICES}
    assert [doc["metadata"]["name"] for doc in apis if doc["kind"] == "Service"][-1] == WEB
