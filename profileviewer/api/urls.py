from django.urls import URLPattern, URLResolver, path, re_path

from profileviewer.api import views

app_name = "api"

urlpatterns: list[URLPattern | URLResolver] = [
    path("openapi.json", views.openapi, name="openapi"),
    # One route for a profile and its sub-resources: the view splits the path itself, so an
    # id with a percent-encoded "/" is never mistaken for a sub-resource.
    path("profiles/<path:rest>", views.profile_resource, name="profile"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
