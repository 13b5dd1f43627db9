"""Identity's use cases: issue, list and revoke API keys; exchange a key for a token."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from backbone.auth import SCOPE_OF_ROLE, Principal, TokenSigner
from backbone.db import utcnow
from services.identity.models import ApiKey

PREFIX = "sp_"
_hasher = PasswordHasher()
#: verified against when the key id is unknown, so a wrong id costs as much time as a wrong secret
_DUMMY_HASH = _hasher.hash("not-a-key")


class KeyRefused(Exception):
    """The key is unknown, wrong, expired or revoked (deliberately not saying which)."""


class ScopeMissing(Exception):
    """The role needs a scope (selling place, village or producer) that was not given."""

    def __init__(self, field: str):
        super().__init__(f"a key of this role needs {field}")
        self.field = field


def issue_key(
    *,
    session: Session,
    role: str,
    label: str,
    valid_days: int,
    selling_place_id: uuid.UUID | None = None,
    village_id: uuid.UUID | None = None,
    producer_id: uuid.UUID | None = None,
    created_by: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the secret key text, which is never stored nor shown again."""
    scope = SCOPE_OF_ROLE[role]
    given = {"selling_place_id": selling_place_id, "village_id": village_id, "producer_id": producer_id}
    if scope and given[scope] is None:
        raise ScopeMissing(scope)
    # A key acts for its one scope only: drop any other id the caller may have sent.
    scoped = {name: (value if name == scope else None) for name, value in given.items()}
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    row = ApiKey(
        id=key_id,
        secret_hash=_hasher.hash(secret),
        role=role,
        label=label,
        created_by=created_by,
        expires_at=utcnow() + timedelta(days=valid_days),
        **scoped,
    )
    session.add(row)
    session.flush()
    return row, f"{PREFIX}{key_id}.{secret}"


def authenticate(*, session: Session, api_key: str, now: datetime | None = None) -> Principal:
    """The principal of a valid, unexpired, unrevoked key; KeyRefused otherwise."""
    now = now or utcnow()
    key_id, _, secret = api_key.removeprefix(PREFIX).partition(".")
    row = session.get(ApiKey, key_id) if key_id and secret else None
    try:
        _hasher.verify(row.secret_hash if row else _DUMMY_HASH, secret or "-")
    except (VerificationError, InvalidHashError):
        raise KeyRefused() from None
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise KeyRefused()
    row.last_used_at = now
    return Principal(
        key_id=row.id,
        role=row.role,
        selling_place_id=row.selling_place_id,
        village_id=row.village_id,
        producer_id=row.producer_id,
    )


def exchange(*, session: Session, signer: TokenSigner, api_key: str, audience: str) -> tuple[str, datetime]:
    """A short-lived token for `audience` in exchange for a valid API key."""
    return signer.sign(authenticate(session=session, api_key=api_key), audience)


def keys(*, session: Session) -> list[ApiKey]:
    """Every key, newest first (without secrets: only hashes are stored)."""
    return list(session.scalars(sa.select(ApiKey).order_by(ApiKey.created_at.desc())))


def revoke(*, session: Session, key_id: str) -> ApiKey | None:
    """Revoke a key at once: it cannot be exchanged for tokens any more."""
    row = session.get(ApiKey, key_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
    return row
