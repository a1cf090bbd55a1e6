from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from profileviewer.agents import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
