from django.urls import URLPattern, URLResolver, path, re_path, register_converter

from profileviewer.api import views

app_name = "api"


class AnyTextConverter:
    """Django's ``path``, line feeds included: its ``.+`` stops at one, so ``userId:%0a`` fell
    past every API route to Django's HTML 404 instead of our JSON error."""

    regex = r"[\s\S]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(AnyTextConverter, "any_text")

urlpatterns: list[URLPattern | URLResolver] = [
    path("openapi.json", views.openapi, name="openapi"),
    # One route for a profile and its sub-resources: the view splits the path itself, so an
    # id with a percent-encoded "/" is never mistaken for a sub-resource.
    path("profiles/<any_text:rest>", views.profile_resource, name="profile"),
    re_path(r"^(?P<rest>[\s\S]*)$", views.not_found),
]
