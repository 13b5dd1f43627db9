"""Fingerprints of what a till sent: the same content, however it was written, has the same one."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal


def _canonical(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return str(value) if isinstance(value, uuid.UUID) else value


def content_hash(content: dict) -> str:
    """A fingerprint of what the till sent, equal for equal content however it was written."""
    return hashlib.sha256(json.dumps(_canonical(content), sort_keys=True).encode()).hexdigest()
