from django.urls import URLPattern, path

from profileviewer.embed import views

app_name = "embed"

urlpatterns: list[URLPattern] = [
    path("zendesk/", views.zendesk_entry, name="zendesk"),
    path("pipedrive/", views.pipedrive_entry, name="pipedrive"),
    path("sidebar", views.sidebar, name="sidebar"),
    path("reply-text", views.reply_text, name="reply-text"),
    path("token", views.renew_token, name="token"),
]
