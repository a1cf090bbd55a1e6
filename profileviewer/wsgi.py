"""The WSGI application that gunicorn serves (`make run`, production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "profileviewer.settings")

application = get_wsgi_application()
