"""The sandbox's URLs, mounted at /sandbox/ only when SANDBOX=true (profileviewer/urls.py).

A profile reference is one percent-encoded path segment (PAPI-2), but WSGI servers decode
PATH_INFO before Django sees it, so `userId:acct%2F00042` arrives as `userId:acct/00042`.
Each endpoint is therefore the last segment and the reference is everything between
`profiles/` and it, slashes included (the `profile_ref` converter, which also accepts an empty
reference so that it gets the 400 of PAPI-2 rather than a 404).
"""

from django.urls import URLPattern, URLResolver, path, re_path, register_converter

from profileviewer.sandbox import pipedrive, views


class ProfileRefConverter:
    # [\s\S], not ".", so a percent-encoded newline in an id still reaches the view.
    regex = r"[\s\S]*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ProfileRefConverter, "profile_ref")

TENANT = "<str:client_id>/<str:account_id>/<str:brand_id>/v1/profiles"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="sandbox-index"),
    path("openapi.json", views.openapi_document, name="sandbox-openapi"),
    path("products/<str:product_id>.svg", views.product_image, name="sandbox-product-image"),
    path(TENANT, views.profile_list, name="sandbox-profiles"),
    path(f"{TENANT}/<profile_ref:ref>/traits", views.traits, name="sandbox-traits"),
    path(f"{TENANT}/<profile_ref:ref>/meta", views.meta, name="sandbox-meta"),
    path(f"{TENANT}/<profile_ref:ref>/events", views.events, name="sandbox-events"),
    path(
        f"{TENANT}/<profile_ref:ref>/external_ids", views.external_ids, name="sandbox-external-ids"
    ),
    path("pipedrive/v1/persons/<int:person_id>", pipedrive.person, name="sandbox-pipedrive-person"),
    path("pipedrive/v1/deals/<int:deal_id>", pipedrive.deal, name="sandbox-pipedrive-deal"),
    # Before the sandbox's own catch-all, so a Pipedrive client always gets Pipedrive's 404.
    re_path(
        r"^pipedrive/(?P<path>[\s\S]*)$", pipedrive.unknown_path, name="sandbox-pipedrive-unknown"
    ),
    re_path(r"^(?P<path>[\s\S]*)$", views.unknown_path, name="sandbox-unknown"),
]
