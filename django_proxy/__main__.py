"""`python -m django_proxy`: serve the proxy under ASGI with uvicorn on DJANGO_HOST:DJANGO_PORT.

ASGI so that event streams pass through as they happen. Run `django_proxy/manage.py migrate`
first (`make run` does).
"""

from __future__ import annotations

import os

import uvicorn


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_proxy.settings")
    from django.conf import settings

    from django_proxy.asgi import application

    uvicorn.run(
        application,
        host=settings.DJANGO_HOST,
        port=settings.DJANGO_PORT,
        lifespan="off",  # Django has no lifespan protocol
        log_level="info",
        timeout_graceful_shutdown=5,  # open event streams must not hold up a restart
    )


if __name__ == "__main__":
    main()
