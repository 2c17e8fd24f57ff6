"""`make run`'s third process: once both services answer, print where to sign in.

It waits for the agent's `/healthz` and the proxy's login page, prints the URL and the demo
login last (so it does not scroll away behind start-up logs), then idles: honcho stops every
process as soon as one exits.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return response.status < 500
    except Exception:
        return False


def main() -> None:
    agent_host = os.environ.get("AGENT_HOST", "127.0.0.1")
    agent_port = os.environ.get("AGENT_PORT", "8001")
    host = os.environ.get("DJANGO_HOST", "127.0.0.1")
    port = os.environ.get("DJANGO_PORT", "8000")
    agent = f"http://{agent_host}:{agent_port}/healthz"
    proxy = f"http://{host}:{port}/accounts/login/"
    deadline = time.monotonic() + 120
    while not (_answers(agent) and _answers(proxy)):
        if time.monotonic() > deadline:
            print(f"The services did not answer within 2 minutes ({agent}, {proxy}).", flush=True)
            break
        time.sleep(0.5)
    else:
        password = os.environ.get("DEMO_PASSWORD") or _read(
            Path(os.environ.get("DEMO_PASSWORD_FILE") or ROOT / "var" / "demo-password")
        )
        print(
            "\n"
            "  ┌──────────────────────────────────────────────\n"
            f"  │ CRM ready: open http://{host}:{port}/\n"
            f"  │ Sign in as: demo / {password or '(see DEMO_PASSWORD)'}\n"
            "  └──────────────────────────────────────────────\n",
            flush=True,
        )
    signal.pause()


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


if __name__ == "__main__":
    main()
