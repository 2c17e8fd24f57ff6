"""URL routes: the pages, Django's auth views and the `/api/` routes (trailing slash optional)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from django_proxy import api, views
from django_proxy.auth import ThrottledLoginView

ID = r"(?P<{}>[A-Za-z0-9][A-Za-z0-9_.:-]{{0,99}})"  # no "." or ".." path segments

urlpatterns = [
    path("", views.index, name="index"),
    path(
        "accounts/login/",
        ThrottledLoginView.as_view(),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    re_path(r"^api/me/?$", api.me, name="api-me"),
    re_path(r"^api/chat/?$", api.chat, name="api-chat"),
    re_path(
        rf"^api/chat/status/{ID.format('task_id')}/?$", api.chat_status, name="api-chat-status"
    ),
    re_path(
        rf"^api/chat/events/{ID.format('task_id')}/?$", api.chat_events, name="api-chat-events"
    ),
    re_path(r"^api/chat/clear/?$", api.chat_clear, name="api-chat-clear"),
    re_path(r"^api/chat/history/?$", api.chat_history, name="api-chat-history"),
    re_path(r"^api/leads/?$", api.leads, name="api-leads"),
    # Before the lead id route: these names are not lead ids.
    re_path(r"^api/leads/summary/?$", api.leads_summary, name="api-leads-summary"),
    re_path(r"^api/leads/changes/?$", api.leads_changes, name="api-leads-changes"),
    re_path(r"^api/leads/undo/?$", api.leads_undo, name="api-leads-undo"),
    re_path(r"^api/leads/events/?$", api.leads_events, name="api-leads-events"),
    re_path(rf"^api/leads/{ID.format('lead_id')}/?$", api.lead, name="api-lead"),
    re_path(r"^api/pipeline/?$", api.pipeline, name="api-pipeline"),
    path("api/openapi.json", api.openapi, name="api-openapi"),
]
