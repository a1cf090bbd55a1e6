from django.urls import URLPattern, URLResolver, path

from profileviewer.viewer import views

app_name = "viewer"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.search, name="search"),
    path("lookup", views.lookup, name="lookup"),
    path("profile", views.profile, name="profile"),
    path("profile/header", views.profile_header, name="header"),
    path("profile/traits", views.traits_panel, name="traits"),
    path("profile/meta", views.meta_panel, name="meta"),
    path("profile/timeline", views.timeline_panel, name="timeline"),
    path("profile/event", views.event_json, name="event"),
    path("profile/activity", views.activity_panel, name="activity"),
    path("profile/viewed-not-bought", views.viewed_not_bought_panel, name="viewed-not-bought"),
    path("profile/summary", views.summary_panel, name="summary"),
]
