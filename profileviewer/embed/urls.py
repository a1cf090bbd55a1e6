from django.urls import URLPattern, path, register_converter

from profileviewer.embed import views

app_name = "embed"


class HostConverter:
    regex = "zendesk|pipedrive"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(HostConverter, "embed_host")

urlpatterns: list[URLPattern] = [
    path("zendesk/", views.zendesk_entry, name="zendesk"),
    path("pipedrive/", views.pipedrive_entry, name="pipedrive"),
    # Each host's own: our token from one host is refused on the other's.
    path("<embed_host:host>/sidebar", views.sidebar, name="sidebar"),
    path("<embed_host:host>/token", views.renew_token, name="token"),
    path("zendesk/reply-text", views.reply_text, {"host": "zendesk"}, name="reply-text"),
]
