"""`AsyncLocMemCache`: the local-memory cache of sessions (and nothing shared).

Django's local-memory cache answers its async methods (`aget`, used by `request.auser()` and
the async session methods) through a thread; this one answers them directly: it is a dict
behind a lock. Every timeout is capped at `LOCAL_CACHE_SECONDS` (60 s): with several proxy
processes, a session ended in one is forgotten by the others within that time (set
`DJANGO_REDIS_URL` to share sessions at once).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache


class AsyncLocMemCache(LocMemCache):
    """Local memory, no thread hop for the async API; timeouts capped (see the module doc)."""

    def get_backend_timeout(self, timeout: Any = DEFAULT_TIMEOUT) -> float | None:
        cap = settings.LOCAL_CACHE_SECONDS
        backend = super().get_backend_timeout(timeout)
        return time.time() + cap if backend is None else min(backend, time.time() + cap)

    async def aget(self, key: str, default: Any = None, version: int | None = None) -> Any:
        return self.get(key, default, version)

    async def aset(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version=None):  # noqa: ANN001, ANN201
        return self.set(key, value, timeout, version)

    async def aadd(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version=None):  # noqa: ANN001, ANN201
        return self.add(key, value, timeout, version)

    async def adelete(self, key: str, version: int | None = None) -> bool:
        return self.delete(key, version)

    async def ahas_key(self, key: str, version: int | None = None) -> bool:
        return self.has_key(key, version)

    async def atouch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version=None):  # noqa: ANN001, ANN201
        return self.touch(key, timeout, version)
