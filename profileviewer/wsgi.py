"""The WSGI application that gunicorn serves (`make run`, production)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "profileviewer.settings")

application = get_wsgi_application()

# What is loaded by now (Django, the apps, the settings) lives as long as the worker. Frozen,
# it is out of the cyclic collector's reach: a full collection, which came about once per few
# hundred panel requests, no longer walks its ~85,000 objects (58 ms in the middle of a
# request on this project's benchmark machine; 0.6 ms frozen). What is already garbage is
# collected first, not kept for good.
gc.collect()
gc.freeze()

# A panel request allocates thousands of short-lived objects (an events page read, its rows,
# their HTML); at the default threshold (700) that started several young-generation
# collections each. One per 10,000 allocations: a timeline page ~0.1 ms faster in process,
# 0.1-0.4 ms under bench-viewer; the few cycles left wait a little longer for collection.
gc.set_threshold(10_000, 10, 10)
