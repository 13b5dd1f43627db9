"""Identity's HTTP API: exchange a key for a token; administrators manage keys."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort

from backbone.auth import TokenSigner
from backbone.web import Blueprint, allow, current_principal, get_db, invalid, public
from services.identity import schemas, service

blp = Blueprint("identity", __name__, description="API keys and tokens")


def _signer() -> TokenSigner:
    signer = current_app.extensions.get("token_signer")
    if signer is None:
        from datetime import timedelta

        signer = TokenSigner(current_app.config["SIGNING_KEY"], ttl=timedelta(seconds=current_app.config["TOKEN_TTL_SECONDS"]))
        current_app.extensions["token_signer"] = signer
    return signer


@blp.route("/auth/token")
class Token(MethodView):
    @public
    @blp.arguments(schemas.TokenRequest)
    @blp.response(200, schemas.TokenOut)
    @blp.alt_response(401, description="The API key is unknown, expired or revoked")
    @blp.doc(security=[])
    def post(self, body):
        """Exchange an API key for a short-lived token for one service."""
        try:
            with get_db().transaction() as session:
                token, expires = service.exchange(
                    session=session, signer=_signer(), api_key=body["api_key"], audience=body["audience"]
                )
        except service.KeyRefused:
            abort(401, message="This API key is not valid (unknown, expired or revoked).")
        return {"access_token": token, "token_type": "Bearer", "audience": body["audience"], "expires_at": expires}


@blp.route("/keys")
class Keys(MethodView):
    @allow()
    @blp.response(200, schemas.KeyOut(many=True))
    def get(self):
        """Every API key (never their secrets)."""
        with get_db().transaction() as session:
            return service.keys(session=session)

    @allow()
    @blp.arguments(schemas.KeyIn)
    @blp.response(201, schemas.IssuedKeyOut)
    def post(self, body):
        """Issue a key bound to one role and scope; the secret is in this answer only."""
        try:
            with get_db().transaction() as session:
                row, secret = service.issue_key(session=session, created_by=current_principal().key_id, **body)
        except service.ScopeMissing as error:
            invalid(error.field, "This role acts for one of these: give its id.")
        return {**{column.key: getattr(row, column.key) for column in row.__table__.columns}, "api_key": secret}


@blp.route("/keys/<key_id>/revoke")
class Revoke(MethodView):
    @allow()
    @blp.response(200, schemas.KeyOut)
    def post(self, key_id):
        """Revoke a key at once (tokens already given out lapse within minutes)."""
        with get_db().transaction() as session:
            row = service.revoke(session=session, key_id=key_id)
        if row is None:
            abort(404, message="No such key.")
        return row
