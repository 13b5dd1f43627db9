"""Identity: API keys stored hashed, exchanged for tokens that every service verifies on its own."""

from datetime import datetime, timedelta, timezone

import jwt
import pytest
import sqlalchemy as sa

from backbone.auth import (
    ISSUER,
    Principal,
    TokenSigner,
    TokenVerifier,
    generate_private_key_pem,
)
from services.identity.models import ApiKey


@pytest.fixture
def app(make_app):
    return make_app("identity")


@pytest.fixture
def admin_key(app):
    result = app.test_cli_runner().invoke(args=["keys", "create-admin", "--label", "test admin"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def _token(app, api_key, audience="identity"):
    return app.test_client().post("/auth/token", json={"api_key": api_key, "audience": audience})


def test_the_first_administrator_key_is_printed_once_and_only_its_hash_is_kept(app, admin_key):
    assert admin_key.startswith("sp_")
    with app.extensions["db"].transaction() as session:
        (row,) = session.scalars(sa.select(ApiKey)).all()
    assert row.role == "administrator" and admin_key.split(".")[1] not in row.secret_hash
    assert row.secret_hash.startswith("$argon2")


def test_a_key_is_exchanged_for_a_short_lived_token_bound_to_one_service(app, admin_key, signing_key):
    answer = _token(app, admin_key, "sales").get_json()
    assert answer["token_type"] == "Bearer" and answer["audience"] == "sales"
    expires = datetime.fromisoformat(answer["expires_at"])
    assert timedelta(minutes=14) < expires - datetime.now(timezone.utc) <= timedelta(minutes=15)
    principal = TokenVerifier(signing_key["public"], audience="sales").verify(answer["access_token"])
    assert principal.role == "administrator"


def test_administrators_issue_scoped_keys_shown_once(app, admin_key):
    token = _token(app, admin_key).get_json()["access_token"]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    place = "7d0f0c8e-4b7e-4a43-9a55-2f7f1d3f8d11"
    issued = client.post(
        "/keys", json={"role": "clerk", "label": "till 1", "selling_place_id": place, "producer_id": place}, headers=headers
    )
    assert issued.status_code == 201
    body = issued.get_json()
    assert body["api_key"].startswith("sp_") and body["selling_place_id"] == place and body["producer_id"] is None
    listed = client.get("/keys", headers=headers).get_json()
    assert {k["id"] for k in listed} >= {body["id"]} and all("api_key" not in k for k in listed)
    missing_scope = client.post("/keys", json={"role": "producer", "label": "x"}, headers=headers)
    assert missing_scope.status_code == 422 and "producer_id" in missing_scope.get_json()["errors"]["json"]


def test_a_revoked_an_expired_a_wrong_or_an_unknown_key_is_refused_alike(app, admin_key):
    token = _token(app, admin_key).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    issued = client.post("/keys", json={"role": "province_analyst", "label": "analyst"}, headers=headers).get_json()
    assert _token(app, issued["api_key"]).status_code == 200
    assert client.post(f"/keys/{issued['id']}/revoke", headers=headers).status_code == 200
    with app.extensions["db"].transaction() as session:
        session.get(ApiKey, admin_key.removeprefix("sp_").split(".")[0]).expires_at = datetime.now(timezone.utc) - timedelta(
            seconds=1
        )
    wrong_secret = issued["api_key"].split(".")[0] + ".not-the-secret"
    answers = [_token(app, key) for key in (issued["api_key"], admin_key, wrong_secret, "sp_000000000000.whatever")]
    assert {a.status_code for a in answers} == {401}
    assert len({a.get_json()["message"] for a in answers}) == 1


def test_key_management_needs_an_administrator_token(app, token_for):
    client = app.test_client()
    anonymous = client.get("/keys", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    clerk = token_for("clerk", "identity", selling_place_id="7d0f0c8e-4b7e-4a43-9a55-2f7f1d3f8d11")
    assert client.get("/keys", headers={"Authorization": f"Bearer {clerk}"}).status_code == 403
    assert client.get("/keys", headers={"Authorization": f"Bearer {token_for(audience='identity')}"}).status_code == 200


def _bad_tokens(signing_key):
    now = datetime.now(timezone.utc)
    claims = {
        "sub": "k",
        "role": "administrator",
        "iss": ISSUER,
        "aud": "identity",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    other = TokenSigner(generate_private_key_pem())
    return {
        "expired": TokenSigner(signing_key["private"]).sign(
            Principal("k", "administrator"), "identity", now=now - timedelta(hours=1)
        )[0],
        "wrongly signed": other.sign(Principal("k", "administrator"), "identity")[0],
        "wrong audience": TokenSigner(signing_key["private"]).sign(Principal("k", "administrator"), "sales")[0],
        "alg none": jwt.encode(claims, None, algorithm="none"),
        # PyJWT itself refuses to sign HS256 with a PEM key, so the forgery is made by hand
        "HS256 with the public key": _hs256_forgery(claims, signing_key["public"]),
        "not a token": "abc.def.ghi",
        "clerk without a selling place": TokenSigner(signing_key["private"]).sign(Principal("k", "clerk"), "identity")[0],
    }


def _hs256_forgery(claims, public_pem):
    import base64
    import hashlib
    import hmac
    import json

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    payload = {**claims, "iat": int(claims["iat"].timestamp()), "exp": int(claims["exp"].timestamp())}
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(payload).encode())
    return head + "." + b64(hmac.new(public_pem.encode(), head.encode(), hashlib.sha256).digest())


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "wrongly signed",
        "wrong audience",
        "alg none",
        "HS256 with the public key",
        "not a token",
        "clerk without a selling place",
    ],
)
def test_every_bad_token_is_a_401_that_says_nothing_more(app, signing_key, case):
    token = _bad_tokens(signing_key)[case]
    response = app.test_client().get("/keys", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json()["message"] == "Invalid or expired token."


def test_a_noisy_key_is_slowed_down_alone_and_told_when_to_retry(make_app, token_for):
    app = make_app("identity", RATE_LIMIT="5 per minute")
    client = app.test_client()
    noisy = {"Authorization": f"Bearer {token_for(audience='identity', key_id='noisy')}"}
    quiet = {"Authorization": f"Bearer {token_for(audience='identity', key_id='quiet')}"}
    statuses = [client.get("/keys", headers=noisy).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    limited = client.get("/keys", headers=noisy)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["code"] == 429
    assert client.get("/keys", headers=quiet).status_code == 200
    assert client.get("/health/live").status_code == 200  # probes are never limited


def test_an_oversized_body_is_refused_with_413(app):
    response = app.test_client().post("/auth/token", data="x" * (3 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413 and response.get_json()["code"] == 413
