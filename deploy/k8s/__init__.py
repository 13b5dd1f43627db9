"""Kubernetes manifests for a region: `python -m deploy.k8s` writes deploy/k8s/base from the process table."""
