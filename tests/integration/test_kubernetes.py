"""The Kubernetes manifests: rendered offline with kustomize, every document valid against the API schema."""

import os
import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from deploy.k8s.__main__ import BASE, documents
from deploy.network import Settings, process_commands
from tests.conftest import ROOT

KUBERNETES_VERSION = "1.30.0"


def _render(path) -> list[dict]:
    if shutil.which("kubectl") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must render the manifests: kubectl (with its built-in kustomize) is needed")
        pytest.skip("kubectl is not installed: the Kubernetes manifests are not rendered here")
    result = subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def production():
    return _render(ROOT / "deploy" / "k8s" / "overlays" / "production")


def test_the_base_is_what_the_generator_writes_from_the_process_table():
    for file_name, docs in documents().items():
        on_disk = [doc for doc in yaml.safe_load_all((BASE / file_name).read_text()) if doc]
        assert on_disk == docs, f"{file_name} is stale: run `python -m deploy.k8s`"


def test_every_rendered_document_is_valid_kubernetes(production):
    for doc in production:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_every_process_of_the_network_has_a_deployment_and_apis_are_probed(production):
    deployments = {d["metadata"]["name"]: d for d in production if d["kind"] == "Deployment"}
    processes = set(process_commands(Settings(redis_url="", database_urls={}, var_dir=ROOT, split_bus=True)))
    assert set(deployments) == processes
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"]["requests"] and container["resources"]["limits"], name
        assert container["image"].startswith("registry.example.org/selling-places:"), name
        if name.endswith("-api"):
            assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
            assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        if name.endswith("-beat"):
            assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"]["type"] == "Recreate"


def test_apis_and_celery_workers_scale_and_migrations_run_as_a_job(production):
    scaled = {d["spec"]["scaleTargetRef"]["name"] for d in production if d["kind"] == "HorizontalPodAutoscaler"}
    assert scaled == {
        n for n in (d["metadata"]["name"] for d in production if d["kind"] == "Deployment") if n.endswith(("-api", "-worker"))
    }
    (job,) = [d for d in production if d["kind"] == "Job"]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["python", "-m", "deploy.migrate"]
    assert all(d["metadata"].get("namespace") == "selling-places" for d in production if d["kind"] != "Namespace")


def test_only_the_identity_api_can_read_the_signing_key(production):
    for doc in production:
        if doc["kind"] != "Deployment":
            continue
        volumes = {v["name"] for v in doc["spec"]["template"]["spec"].get("volumes", [])}
        assert ("signing" in volumes) == (doc["metadata"]["name"] == "identity-api")
