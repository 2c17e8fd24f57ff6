"""`python -m agent_service`: serve the agent service with uvicorn (AGENT_HOST/AGENT_PORT).

Idle keep-alive connections are kept `KEEP_ALIVE_SECONDS` (default 75 s), longer than the
proxy's connection pool keeps them idle, so the proxy never reuses a connection that uvicorn
is closing (the cause of the 503s under load with uvicorn's default of 5 s).
"""

from __future__ import annotations

import logging

import uvicorn

from agent_service.main import create_app
from agent_service.settings import get_settings


def main() -> None:
    settings = get_settings()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(
        create_app(settings),
        host=settings.agent_host,
        port=settings.agent_port,
        log_level="info",
        proxy_headers=False,
        timeout_keep_alive=settings.keep_alive_seconds,
    )


if __name__ == "__main__":
    main()
