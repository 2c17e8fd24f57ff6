"""The ASGI application (`python -m django_proxy` serves it with uvicorn)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_proxy.settings")
application = get_asgi_application()
