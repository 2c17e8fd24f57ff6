"""Pages: the built React app at `/` for signed-in users (anonymous visits go to the login page)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET


@require_GET
@login_required
@ensure_csrf_cookie
def index(request: HttpRequest) -> HttpResponse:
    """The SPA's index.html (its assets/… are served by WhiteNoise), with the CSRF cookie set."""
    try:
        html = (settings.FRONTEND_DIST / "index.html").read_bytes()
    except FileNotFoundError:
        return render(request, "django_proxy/frontend_missing.html", status=503)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # a new build is picked up at once
    return response
