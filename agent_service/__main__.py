"""`python -m agent_service`: serve the agent service with uvicorn (AGENT_HOST/AGENT_PORT)."""

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
    )


if __name__ == "__main__":
    main()
