"""The agents' sign-in page."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from django.contrib.auth import views as auth_views
from django.http import HttpRequest


class LoginView(auth_views.LoginView):
    template_name = "agents/login.html"
    redirect_authenticated_user = True

    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        url = super().get_redirect_url(request)
        # A `next` back to this page would send a signed-in agent round in a loop (Django
        # refuses with a 500): they get the default page instead.
        if url and urlsplit(urljoin(self.request.path, url)).path == self.request.path:
            return ""
        return url
