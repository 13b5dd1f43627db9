"""Celery entry point: `celery -A services.notifications.worker worker -B`."""

from services.notifications.app import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
