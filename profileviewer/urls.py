from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("profileviewer.agents.urls")),
    path("api/v1/", include("profileviewer.api.urls")),
    path("", include("profileviewer.viewer.urls")),
]

# The sandbox is a development and test upstream: a production configuration never mounts it.
if settings.SANDBOX:
    urlpatterns.insert(0, path("sandbox/", include("profileviewer.sandbox.urls")))
