"""Notifications' HTTP API: alerts and how their delivery went, preferences, templates, digests."""

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import abort

from backbone.auth import CLERK, MANAGER, PRODUCER, VILLAGE_OPERATOR
from backbone.db import after_commit
from backbone.web import Blueprint, allow, current_principal, get_db, invalid
from services.notifications import access, messages, recipients, schemas, service, tasks
from services.notifications.models import Alert, Delivery, Digest, Recipient, Template

blp = Blueprint("notifications", __name__, description="Alerts to producers and selling places")


@blp.route("/alerts")
class Alerts(MethodView):
    @allow(PRODUCER, CLERK, MANAGER, VILLAGE_OPERATOR)
    @blp.arguments(schemas.AlertQuery, location="query")
    @blp.response(200, schemas.AlertOut(many=True))
    def get(self, query):
        """Alerts, newest first, with the status of each delivery."""
        with get_db().transaction() as session:
            return service.alerts_of(
                session=session,
                producer_id=query["producer_id"],
                selling_place_id=query["selling_place_id"],
                limit=query["limit"],
                visible=access.alerts(current_principal()),
            )


@blp.route("/alerts/<uuid:alert_id>")
class AlertById(MethodView):
    @allow(PRODUCER, CLERK, MANAGER, VILLAGE_OPERATOR)
    @blp.response(200, schemas.AlertOut)
    def get(self, alert_id):
        """One alert with its deliveries."""
        with get_db().transaction() as session:
            alert = session.scalar(sa.select(Alert).where(Alert.id == alert_id, access.alerts(current_principal())))
        if alert is None:
            abort(404, message="No such alert.")
        return alert


@blp.route("/alerts/<uuid:alert_id>/acknowledge")
class Acknowledge(MethodView):
    @allow(PRODUCER, MANAGER, VILLAGE_OPERATOR)
    @blp.response(200, schemas.AlertOut)
    def post(self, alert_id):
        """Mark an alert as seen (it leaves the "running low" list of the digest)."""
        with get_db().transaction() as session:
            alert = service.acknowledge(session=session, alert_id=alert_id, visible=access.alerts(current_principal()))
        if alert is None:
            abort(404, message="No such alert.")
        return alert


# -- deliveries ----------------------------------------------------------------------------------


@blp.route("/deliveries")
class Deliveries(MethodView):
    @allow(VILLAGE_OPERATOR)
    @blp.arguments(schemas.DeliveryQuery, location="query")
    @blp.response(200, schemas.DeliveryOut(many=True))
    def get(self, query):
        """Deliveries, newest first: `status=failed` lists those an operator may send again."""
        with get_db().transaction() as session:
            return service.deliveries(
                session=session,
                status=query["status"],
                recipient_id=query["recipient_id"],
                limit=query["limit"],
                visible=access.deliveries(current_principal()),
            )


@blp.route("/deliveries/<uuid:delivery_id>")
class DeliveryById(MethodView):
    @allow(VILLAGE_OPERATOR)
    @blp.response(200, schemas.DeliveryOut)
    def get(self, delivery_id):
        """One delivery: what was sent, where, and how it went."""
        with get_db().transaction() as session:
            delivery = session.scalar(
                sa.select(Delivery).where(Delivery.id == delivery_id, access.deliveries(current_principal()))
            )
        if delivery is None:
            abort(404, message="No such delivery.")
        return delivery


@blp.route("/deliveries/<uuid:delivery_id>/resend")
class Resend(MethodView):
    @allow(VILLAGE_OPERATOR)
    @blp.response(200, schemas.DeliveryOut)
    @blp.alt_response(409, description="The delivery has not failed")
    def post(self, delivery_id):
        """Send a failed delivery again, with a fresh round of retries."""
        try:
            with get_db().transaction() as session:
                visible = session.scalar(
                    sa.select(Delivery.id).where(Delivery.id == delivery_id, access.deliveries(current_principal()))
                )
                delivery = service.resend(session=session, delivery_id=delivery_id) if visible else None
                if delivery is not None:
                    after_commit(session, lambda: tasks.enqueue_delivery(delivery_id))
        except service.NotResendable as error:
            abort(409, message=str(error))
        if delivery is None:
            abort(404, message="No such delivery.")
        return delivery


# -- digests -------------------------------------------------------------------------------------


@blp.route("/digests")
class Digests(MethodView):
    @allow(PRODUCER, VILLAGE_OPERATOR)
    @blp.arguments(schemas.DigestQuery, location="query")
    @blp.response(200, schemas.DigestOut(many=True))
    def get(self, query):
        """Daily digests, newest first, with their deliveries."""
        with get_db().transaction() as session:
            statement = (
                sa.select(Digest)
                .where(access.digests(current_principal()))
                .order_by(Digest.period.desc(), Digest.id)
                .limit(query["limit"])
            )
            if query["producer_id"] is not None:
                statement = statement.where(Digest.recipient_id == query["producer_id"])
            return list(session.scalars(statement))


# -- preferences ---------------------------------------------------------------------------------


def _preferences(kind: str, recipient_id, changes: dict | None = None):
    try:
        with get_db().transaction() as session:
            known = session.get(Recipient, recipient_id)
            if known is None or known.kind != kind or not access.may_manage(current_principal(), known):
                recipient = None
            elif changes is None:
                recipient = recipients.get(session=session, recipient_id=recipient_id, kind=kind)
            else:
                recipient = recipients.update_preferences(session=session, recipient_id=recipient_id, kind=kind, changes=changes)
    except recipients.PreferenceError as error:  # raised inside the transaction: nothing was written
        invalid(error.field, str(error))
    if recipient is None:
        abort(404, message=f"No such {kind.replace('_', ' ')} here (its registration may not have arrived yet).")
    return recipient


@blp.route("/producers/<uuid:producer_id>/preferences")
class ProducerPreferences(MethodView):
    @allow(PRODUCER, VILLAGE_OPERATOR)
    @blp.response(200, schemas.PreferencesOut)
    def get(self, producer_id):
        """A producer's channels, language, quiet hours, immediate alerts or daily digest, and contacts."""
        return _preferences("producer", producer_id)

    @allow(PRODUCER, VILLAGE_OPERATOR)
    @blp.arguments(schemas.ProducerPreferencesIn)
    @blp.response(200, schemas.PreferencesOut)
    def patch(self, changes, producer_id):
        """Change a producer's preferences: only the fields given; later catalogue events do not undo them."""
        return _preferences("producer", producer_id, changes)


@blp.route("/selling-places/<uuid:selling_place_id>/preferences")
class SellingPlacePreferences(MethodView):
    @allow(CLERK, MANAGER, VILLAGE_OPERATOR)
    @blp.response(200, schemas.PreferencesOut)
    def get(self, selling_place_id):
        """A selling place's contacts and preferences (it is told when a stocktake is due)."""
        return _preferences("selling_place", selling_place_id)

    @allow(MANAGER, VILLAGE_OPERATOR)
    @blp.arguments(schemas.SellingPlacePreferencesIn)
    @blp.response(200, schemas.PreferencesOut)
    def patch(self, changes, selling_place_id):
        """Change a selling place's contacts and preferences: only the fields given."""
        return _preferences("selling_place", selling_place_id, changes)


# -- templates -----------------------------------------------------------------------------------


def _template_out(session, kind: str, language: str) -> dict:
    wording = messages.wording(session=session, kind=kind, language=language)
    customised = session.get(Template, (kind, language)) is not None
    return {"kind": kind, "language": language, "subject": wording.subject, "body": wording.body, "customised": customised}


def _known(kind: str, language: str) -> None:
    if kind not in messages.KINDS or language not in messages.LANGUAGES:
        abort(404, message=f"Templates exist for kinds {', '.join(messages.KINDS)} in {', '.join(messages.LANGUAGES)}.")


@blp.route("/templates")
class Templates(MethodView):
    @allow(VILLAGE_OPERATOR)
    @blp.response(200, schemas.TemplateOut(many=True))
    def get(self):
        """Every message template in use, the operator's where one was saved, else the default."""
        with get_db().transaction() as session:
            return [_template_out(session, kind, language) for kind in messages.KINDS for language in messages.LANGUAGES]


@blp.route("/templates/<kind>/<language>")
class TemplateByKind(MethodView):
    @allow(VILLAGE_OPERATOR)
    @blp.response(200, schemas.TemplateOut)
    def get(self, kind, language):
        """One template (Jinja: {{ product }}, {{ place }}, {{ on_hand }}, {{ days_of_cover }}, {{ suggested }} ...)."""
        _known(kind, language)
        with get_db().transaction() as session:
            return _template_out(session, kind, language)

    @allow()
    @blp.arguments(schemas.TemplateIn)
    @blp.response(200, schemas.TemplateOut)
    def put(self, wording, kind, language):
        """Change the wording of a kind of message in a language (checked on a sample message first)."""
        _known(kind, language)
        try:
            with get_db().transaction() as session:
                messages.store(session=session, kind=kind, language=language, **wording)
        except messages.TemplateInvalid as error:
            invalid(error.field, str(error))
        with get_db().transaction() as session:
            return _template_out(session, kind, language)

    @allow()
    @blp.response(200, schemas.TemplateOut)
    def delete(self, kind, language):
        """Go back to the default wording."""
        _known(kind, language)
        with get_db().transaction() as session:
            messages.reset(session=session, kind=kind, language=language)
        with get_db().transaction() as session:
            return _template_out(session, kind, language)
