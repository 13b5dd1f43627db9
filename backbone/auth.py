"""Who is calling: short-lived signed tokens, verified by every service without calling any other.

The identity service exchanges an API key for a token signed with its Ed25519 private key; every
service verifies tokens with the public key alone. The algorithm is pinned (a token that says
`alg: none`, or HS256 with the public key as secret, is refused), and `exp`, `iss` and the
service's own `aud` are required. The selling place, village and producer a caller acts for come
from the token, never from the request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ISSUER = "selling-places"
ALGORITHM = "EdDSA"

CLERK = "clerk"
MANAGER = "manager"
PRODUCER = "producer"
VILLAGE_OPERATOR = "village_operator"
PROVINCE_ANALYST = "province_analyst"
ADMINISTRATOR = "administrator"
ROLES = (CLERK, MANAGER, PRODUCER, VILLAGE_OPERATOR, PROVINCE_ANALYST, ADMINISTRATOR)
#: the scope each role is bound to: the token must name it
SCOPE_OF_ROLE = {
    CLERK: "selling_place_id",
    MANAGER: "selling_place_id",
    PRODUCER: "producer_id",
    VILLAGE_OPERATOR: "village_id",
    PROVINCE_ANALYST: None,
    ADMINISTRATOR: None,
}


class InvalidToken(Exception):
    """The token is missing, malformed, expired, wrongly signed or meant for another service."""


@dataclass(frozen=True)
class Principal:
    """The caller: which key, which role, and the one selling place, village or producer it acts for."""

    key_id: str
    role: str
    selling_place_id: uuid.UUID | None = None
    village_id: uuid.UUID | None = None
    producer_id: uuid.UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMINISTRATOR

    def claims(self) -> dict:
        return {
            "sub": self.key_id,
            "role": self.role,
            "sp": str(self.selling_place_id) if self.selling_place_id else None,
            "vil": str(self.village_id) if self.village_id else None,
            "prod": str(self.producer_id) if self.producer_id else None,
        }


def generate_private_key_pem() -> str:
    """A new Ed25519 signing key, PEM (PKCS#8)."""
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def public_key_pem(private_pem: str) -> str:
    """The PEM public key that verifies what `private_pem` signs."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class TokenSigner:
    """Signs tokens (only the identity service holds the private key)."""

    def __init__(self, private_pem: str, *, ttl: timedelta = timedelta(minutes=15), issuer: str = ISSUER):
        self.key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        self.ttl = ttl
        self.issuer = issuer

    def sign(self, principal: Principal, audience: str, *, now: datetime | None = None) -> tuple[str, datetime]:
        """A token for `principal` valid at the service `audience` until the returned expiry."""
        now = now or datetime.now(timezone.utc)
        expires = now + self.ttl
        claims = {
            **{k: v for k, v in principal.claims().items() if v is not None},
            "iss": self.issuer,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": expires,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHM), expires


class TokenVerifier:
    """Verifies tokens for one service (its audience) with the public key."""

    def __init__(self, public_pem: str, *, audience: str, issuer: str = ISSUER, leeway: int = 5):
        self.key = serialization.load_pem_public_key(public_pem.encode())
        self.audience = audience
        self.issuer = issuer
        self.leeway = leeway

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; InvalidToken otherwise (the reason is logged, never shown)."""
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
            role = claims.get("role")
            if role not in ROLES:
                raise InvalidToken("unknown role")
            principal = Principal(
                key_id=str(claims["sub"]),
                role=role,
                selling_place_id=_uuid(claims.get("sp")),
                village_id=_uuid(claims.get("vil")),
                producer_id=_uuid(claims.get("prod")),
            )
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise InvalidToken(str(error)) from error
        scope = SCOPE_OF_ROLE[role]
        if scope and getattr(principal, scope) is None:
            raise InvalidToken(f"a {role} token must name its {scope}")
        return principal


def _uuid(value) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None
