"""Celery entry point: `celery -A services.reporting.worker worker -B`."""

from services.reporting.app import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
