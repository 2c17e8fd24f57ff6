"""WhiteNoise for the built frontend's files, except `index.html`: that page is only for
signed-in users and goes through `views.index` (which also sets the CSRF cookie)."""

from __future__ import annotations

from whitenoise.middleware import WhiteNoiseMiddleware

PRIVATE = "/index.html"


class FrontendWhiteNoise(WhiteNoiseMiddleware):
    def add_file_to_dictionary(self, url: str, path: str, stat_cache=None) -> None:  # noqa: ANN001
        if url != PRIVATE:
            super().add_file_to_dictionary(url, path, stat_cache=stat_cache)

    def find_file(self, url: str):  # noqa: ANN201 - autorefresh (development) looks files up live
        return None if url == PRIVATE else super().find_file(url)
