"""The one-machine deployment: docker-compose.yml is valid and runs the same processes as the local run."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from deploy.network import Settings, process_commands
from tests.conftest import ROOT


def _compose() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


@pytest.fixture
def compose():
    command = _compose()
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("CI must validate docker-compose.yml: install docker-compose (.ci/run does)")
        pytest.skip("neither docker-compose nor the docker compose plugin is installed")
    return command


def _config(compose, *args) -> str:
    result = subprocess.run(
        [*compose, "-f", str(ROOT / "docker-compose.yml"), "config", *args], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_compose_file_is_valid(compose):
    _config(compose, "--quiet")


def test_compose_runs_every_process_of_the_network_plus_its_infrastructure(compose):
    services = set(_config(compose, "--services").split())
    processes = set(process_commands(Settings(redis_url="", database_urls={}, var_dir=Path("/tmp"), split_bus=True)))
    assert processes <= services, processes - services
    assert {"redis", "postgres", "migrate"} <= services


def test_redis_keeps_every_event_on_disk_and_never_evicts():
    text = (ROOT / "docker-compose.yml").read_text()
    assert '"--appendonly", "yes"' in text and '"--maxmemory-policy", "noeviction"' in text


def test_each_container_gets_only_its_own_services_credentials(compose):
    import yaml

    services = yaml.safe_load(_config(compose))["services"]
    for name, definition in services.items():
        if name in ("migrate", "redis", "postgres", "demo-seed", "web"):  # web owns no data: see tests/web/test_deploy_web.py
            continue
        owner = name.split("-")[0].upper()
        credentials = [key for key in definition.get("environment", {}) if key.endswith(("_DATABASE_URL", "_REDIS_URL"))]
        assert credentials and all(key.startswith(f"{owner}_") for key in credentials), (name, credentials)


def test_the_development_override_example_is_valid_with_the_compose_file(compose):
    result = subprocess.run(
        [
            *compose,
            "-f",
            str(ROOT / "docker-compose.yml"),
            "-f",
            str(ROOT / "docker-compose.override.example.yml"),
            "config",
            "-q",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
