"""WhiteNoise for the built frontend's files, except `index.html`: that page is only for
signed-in users and goes through `views.index` (which also sets the CSRF cookie).

WhiteNoise is sync-only middleware, which under ASGI would put every request through a thread.
`FrontendWhiteNoise` is async-capable: the lookup (a dict, or a stat in development) runs on
the event loop, only serving a file goes to a thread, and `/api/` paths skip it.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

PRIVATE = "/index.html"


class FrontendWhiteNoise(WhiteNoiseMiddleware):
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any = None, settings: Any = django_settings) -> None:
        super().__init__(get_response, settings)
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith("/api/"):
            static_file = self.find_file(path) if self.autorefresh else self.files.get(path)
            if static_file is not None:
                return await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
        return await self.get_response(request)

    def add_file_to_dictionary(self, url: str, path: str, stat_cache=None) -> None:  # noqa: ANN001
        if url != PRIVATE:
            super().add_file_to_dictionary(url, path, stat_cache=stat_cache)

    def find_file(self, url: str):  # noqa: ANN201 - autorefresh (development) looks files up live
        return None if url == PRIVATE else super().find_file(url)
