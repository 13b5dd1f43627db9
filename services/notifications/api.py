"""Notifications' HTTP API: alerts and how their delivery went."""

from flask.views import MethodView
from flask_smorest import abort

from backbone.web import Blueprint, get_db
from services.notifications import schemas, service
from services.notifications.models import Alert

blp = Blueprint("notifications", __name__, description="Alerts to producers and selling places")


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.arguments(schemas.AlertQuery, location="query")
    @blp.response(200, schemas.AlertOut(many=True))
    def get(self, query):
        """Alerts, newest first, with the status of each delivery."""
        with get_db().transaction() as session:
            return service.alerts_of(session=session, producer_id=query["producer_id"], limit=query["limit"])


@blp.route("/alerts/<uuid:alert_id>")
class AlertById(MethodView):
    @blp.response(200, schemas.AlertOut)
    def get(self, alert_id):
        """One alert with its deliveries."""
        with get_db().transaction() as session:
            alert = session.get(Alert, alert_id)
        if alert is None:
            abort(404, message="No such alert.")
        return alert


@blp.route("/alerts/<uuid:alert_id>/acknowledge")
class Acknowledge(MethodView):
    @blp.response(200, schemas.AlertOut)
    def post(self, alert_id):
        """Mark an alert as seen."""
        with get_db().transaction() as session:
            alert = service.acknowledge(session=session, alert_id=alert_id)
        if alert is None:
            abort(404, message="No such alert.")
        return alert
