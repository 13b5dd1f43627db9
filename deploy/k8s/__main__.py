"""Write the kustomize base (deploy/k8s/base) from the network's process table, so the two never drift.

Every process of `deploy.network.process_commands` (split bus) becomes a Deployment; the APIs also get
a Service, probes on /health and a HorizontalPodAutoscaler, the Celery workers an autoscaler too; the
web pages a Service and probes, and no secret at all;
beats run one replica; migrations run as a Job. PostgreSQL and Redis are external (see the overlay).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from deploy.network import CONSUMERS, PUBLISHERS, SERVICES, WEB, WORKER_SERVICES, Settings, process_commands

BASE = Path(__file__).parent / "base"
IMAGE = "selling-places"
PORT = 8000

#: (requests, limits) per kind of process
RESOURCES = {
    "api": ({"cpu": "100m", "memory": "128Mi"}, {"cpu": "1", "memory": "256Mi"}),
    "relay": ({"cpu": "50m", "memory": "96Mi"}, {"cpu": "500m", "memory": "192Mi"}),
    "consumer": ({"cpu": "100m", "memory": "128Mi"}, {"cpu": "1", "memory": "256Mi"}),
    "worker": ({"cpu": "100m", "memory": "192Mi"}, {"cpu": "1", "memory": "384Mi"}),
    "beat": ({"cpu": "20m", "memory": "96Mi"}, {"cpu": "200m", "memory": "160Mi"}),
    "web": ({"cpu": "50m", "memory": "96Mi"}, {"cpu": "500m", "memory": "192Mi"}),
}


def _command(name: str, settings: Settings) -> list[str]:
    command = process_commands(settings)[name]
    command = ["python" if part == sys.executable else part for part in command]
    if command[:3] == ["python", "-m", "gunicorn"]:
        command[command.index("--bind") + 1] = f"0.0.0.0:{PORT}"
    if "beat" in command:
        command[command.index("--schedule") + 1] = f"/tmp/{name}-schedule"
    return command


def _env(service: str, *, signing_key: bool = False) -> list[dict]:
    env = [
        {
            "name": f"{service.upper()}_DATABASE_URL",
            "valueFrom": {"secretKeyRef": {"name": "selling-places-databases", "key": service}},
        },
        # the service's own Redis ACL user (see deploy/redis_acl.py): only its streams and keys
        {
            "name": f"{service.upper()}_REDIS_URL",
            "valueFrom": {"secretKeyRef": {"name": "selling-places-redis", "key": service}},
        },
        {"name": "AUTH_PUBLIC_KEY_FILE", "value": "/var/run/selling-places/auth/public-key.pem"},
    ]
    if service == "notifications":
        env.append(
            {
                "name": "NOTIFICATIONS_WEBHOOK_SECRET",
                "valueFrom": {"secretKeyRef": {"name": "selling-places-notifications", "key": "webhook-secret"}},
            }
        )
    if signing_key:
        env.append({"name": "IDENTITY_SIGNING_KEY_FILE", "value": "/var/run/selling-places/signing/signing-key.pem"})
    return env


def _web_env() -> list[dict]:
    """The web pages hold no secret: only where each service's API answers inside the cluster."""
    return [{"name": f"WEB_{service.upper()}_URL", "value": f"http://{service}"} for service in SERVICES]


def _deployment(name: str, service: str, kind: str, command: list[str], *, replicas: int = 1) -> dict:
    requests, limits = RESOURCES[kind]
    volumes = []
    mounts = []
    if kind != "web":
        volumes.append(
            {
                "name": "auth",
                "secret": {"secretName": "selling-places-auth", "items": [{"key": "public-key.pem", "path": "public-key.pem"}]},
            }
        )
        mounts.append({"name": "auth", "mountPath": "/var/run/selling-places/auth", "readOnly": True})
    signing = service == "identity" and kind == "api"
    if signing:
        volumes.append(
            {
                "name": "signing",
                "secret": {
                    "secretName": "selling-places-signing",
                    "items": [{"key": "signing-key.pem", "path": "signing-key.pem"}],
                },
            }
        )
        mounts.append({"name": "signing", "mountPath": "/var/run/selling-places/signing", "readOnly": True})
    container = {
        "name": kind,
        "image": IMAGE,
        "command": command,
        "envFrom": [{"configMapRef": {"name": "selling-places-config"}}],
        "env": _web_env() if kind == "web" else _env(service, signing_key=signing),
        "resources": {"requests": requests, "limits": limits},
        "volumeMounts": mounts,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": False,
            "runAsNonRoot": True,
            "runAsUser": 10001,
        },
    }
    if not mounts:
        del container["volumeMounts"]
    if kind in ("api", "web"):
        container["ports"] = [{"name": "http", "containerPort": PORT}]
        container["readinessProbe"] = {
            "httpGet": {"path": "/health/ready", "port": "http"},
            "periodSeconds": 10,
            "timeoutSeconds": 3,
        }
        container["livenessProbe"] = {
            "httpGet": {"path": "/health/live", "port": "http"},
            "initialDelaySeconds": 10,
            "periodSeconds": 20,
            "timeoutSeconds": 3,
        }
    else:
        # No HTTP port: alive while the process runs; Kubernetes restarts it when it exits.
        container["livenessProbe"] = {"exec": {"command": ["python", "-c", "import os; os.kill(1, 0)"]}, "periodSeconds": 30}
    labels = {"app.kubernetes.io/name": "selling-places", "app.kubernetes.io/component": name}
    spec = {
        "replicas": replicas,
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [container], **({"volumes": volumes} if volumes else {})},
        },
    }
    if kind == "beat":
        spec["strategy"] = {"type": "Recreate"}  # never two beats at once during a rollout
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels}, "spec": spec}


def _service(name: str) -> dict:
    labels = {"app.kubernetes.io/name": "selling-places", "app.kubernetes.io/component": name}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name.removesuffix("-api"), "labels": labels},
        "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }


def _autoscaler(name: str, maximum: int) -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": 1,
            "maxReplicas": maximum,
            "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}
            ],
        },
    }


def _migrations() -> dict:
    env = [e for service in SERVICES for e in _env(service)[:2]]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate"},
        "spec": {
            "backoffLimit": 3,
            "template": {
                "spec": {
                    "restartPolicy": "OnFailure",
                    "containers": [
                        {
                            "name": "migrate",
                            "image": IMAGE,
                            "command": ["python", "-m", "deploy.migrate"],
                            "envFrom": [{"configMapRef": {"name": "selling-places-config"}}],
                            "env": env,
                            "resources": {"requests": RESOURCES["relay"][0], "limits": RESOURCES["relay"][1]},
                            "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 10001},
                        }
                    ],
                }
            },
        },
    }


def documents() -> dict[str, list[dict]]:
    """The base manifests, by file name."""
    settings = Settings(redis_url="", database_urls={}, var_dir=Path("/tmp"), split_bus=True)
    apis, services, scalers, workers = [], [], [], []
    for service in SERVICES:
        name = f"{service}-api"
        apis.append(_deployment(name, service, "api", _command(name, settings), replicas=2))
        services.append(_service(name))
        scalers.append(_autoscaler(name, 10))
    for service in PUBLISHERS:
        # several relays are safe (rows are claimed with SKIP LOCKED); two keep publishing through a restart
        workers.append(_deployment(f"{service}-relay", service, "relay", _command(f"{service}-relay", settings), replicas=2))
    for service in CONSUMERS:
        # replicas share the service's consumer group: each event is handled once across them
        workers.append(
            _deployment(f"{service}-consumer", service, "consumer", _command(f"{service}-consumer", settings), replicas=2)
        )
    for service in WORKER_SERVICES:
        workers.append(_deployment(f"{service}-worker", service, "worker", _command(f"{service}-worker", settings), replicas=2))
        scalers.append(_autoscaler(f"{service}-worker", 8))
        workers.append(_deployment(f"{service}-beat", service, "beat", _command(f"{service}-beat", settings), replicas=1))
    # the pages: two replicas (they keep nothing), reached by the browsers through an ingress of the overlay's choice
    apis.append(_deployment(WEB, WEB, "web", _command(WEB, settings), replicas=2))
    services.append(_service(WEB))
    return {
        "apis.yaml": apis + services,
        "workers.yaml": workers,
        "autoscaling.yaml": scalers,
        "migrate-job.yaml": [_migrations()],
    }


def main() -> int:
    BASE.mkdir(parents=True, exist_ok=True)
    header = "# Generated by `python -m deploy.k8s` from deploy/network.py: edit that, then run it again.\n"
    for file_name, docs in documents().items():
        (BASE / file_name).write_text(header + yaml.safe_dump_all(docs, sort_keys=False))
    print(f"wrote {', '.join(documents())} in {BASE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
