"""WSGI entry point for gunicorn (`broadsheet web`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.config.settings")
application = get_wsgi_application()
