from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from profileviewer.api import views as api_views

urlpatterns = [
    path("", include("profileviewer.observability.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("profileviewer.agents.urls")),
    path("api/v1/", include("profileviewer.api.urls")),
    path("embed/", include("profileviewer.embed.urls")),
    # Anything else under /api is an API client's mistake: the API's JSON error body. Not
    # ".*": a line feed in the path would escape to the viewer's HTML 404.
    re_path(r"^api(?:/(?P<rest>[\s\S]*))?$", api_views.not_found),
    path("", include("profileviewer.viewer.urls")),
]

# The sandbox is a development and test upstream: a production configuration never mounts it.
if settings.SANDBOX:
    urlpatterns.insert(0, path("sandbox/", include("profileviewer.sandbox.urls")))
# The host simulators sign tokens for anyone who asks: only against this machine's sandbox.
if settings.EMBED_DEV_HOSTS:
    from profileviewer.embed import simulators

    urlpatterns[:0] = [
        path("dev/hosts/zendesk/", simulators.zendesk, name="sim-zendesk"),
        path("dev/hosts/pipedrive/", simulators.pipedrive, name="sim-pipedrive"),
        path("dev/hosts/pipedrive/token", simulators.pipedrive_token, name="sim-pipedrive-token"),
    ]
