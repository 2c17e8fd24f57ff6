"""Client side of the benchmarks: one chat turn against our service, latency statistics."""

from __future__ import annotations

import json
import statistics
from collections.abc import AsyncIterator
from typing import Any

import httpx

from bench.servers import TOKEN


def agent_headers(user: str = "bench") -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", "X-CRM-User": user}


async def sse(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) pairs of a server-sent event stream."""
    event, data = "message", []
    async for line in response.aiter_lines():
        if not line:
            if data:
                text = "\n".join(data)
                try:
                    yield event, json.loads(text)
                except ValueError:
                    yield event, text
            event, data = "message", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())


class TurnFailed(RuntimeError):
    """A chat turn ended with an error event, a bad status or no result."""


async def follow(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    """Follow an event stream until its `result` (the run) or `error` event."""
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            await response.aread()
            raise TurnFailed(f"GET {url}: {response.status_code} {response.text[:200]}")
        async for event, data in sse(response):
            if event == "result":
                return data
            if event == "error":
                raise TurnFailed(f"run failed: {data}")
    raise TurnFailed(f"{url}: the stream ended without a result")


async def agent_turn(client: httpx.AsyncClient, thread: str, message: str) -> dict[str, Any]:
    """One turn on our agent service: POST the run, follow its events; the finished run."""
    created = await client.post(f"/threads/{thread}/runs", json={"message": message})
    if created.status_code != 202:
        raise TurnFailed(f"POST /threads/{thread}/runs: {created.status_code} {created.text[:200]}")
    return await follow(client, f"/runs/{created.json()['run_id']}/events")


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0–100), nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def summary(values_ms: list[float]) -> dict[str, float | None]:
    return {
        "n": len(values_ms),
        "p50": statistics.median(values_ms) if values_ms else None,
        "p95": percentile(values_ms, 95),
        "p99": percentile(values_ms, 99),
        "mean": statistics.fmean(values_ms) if values_ms else None,
    }


# -- HTTP clients for the proxy's hop: CPU per request ---------------------------------------

CLIENT_SERVER = """
import sys, uvicorn
BODY = b'{"leads": [], "total": 0}'
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": BODY})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            timeout_keep_alive=30)
"""


def _requests_round(url: str, n: int) -> None:
    import requests

    with requests.Session() as http:
        http.trust_env = False
        for _ in range(n):
            http.get(url, headers={"X-CRM-User": "1"}, timeout=5).content  # noqa: B018


def _httpx_sync_round(url: str, n: int) -> None:
    with httpx.Client(trust_env=False) as http:
        for _ in range(n):
            http.get(url, headers={"X-CRM-User": "1"}, timeout=5).content  # noqa: B018


async def _httpx_async_round(url: str, n: int) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        for _ in range(n):
            (await http.get(url, headers={"X-CRM-User": "1"}, timeout=5)).content  # noqa: B018


async def _aiohttp_round(url: str, n: int) -> None:
    import aiohttp

    async with aiohttp.ClientSession(trust_env=False) as http:
        for _ in range(n):
            async with http.get(url, headers={"X-CRM-User": "1"}) as response:
                await response.read()


def compare_http_clients(requests_each: int = 1000, rounds: int = 3) -> dict[str, Any]:
    """Client CPU per request (µs) of requests, httpx (sync and async) and aiohttp, each doing
    `requests_each` sequential GETs over one kept-alive connection to the same tiny uvicorn
    server (another process), in `rounds` interleaved rounds; min/median/max over rounds.

    The CPU is this process's (user + system, `os.times`), so the server's work is not in it.
    """
    import asyncio
    import os
    import subprocess
    import sys
    import time

    from bench.servers import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}/leads"
    server = subprocess.Popen([sys.executable, "-c", CLIENT_SERVER, str(port)])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url, timeout=1, trust_env=False)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the client bench server did not start") from None
                time.sleep(0.1)
        clients = {
            "requests": lambda n: _requests_round(url, n),
            "httpx (sync)": lambda n: _httpx_sync_round(url, n),
            "httpx (async)": lambda n: asyncio.run(_httpx_async_round(url, n)),
            "aiohttp": lambda n: asyncio.run(_aiohttp_round(url, n)),
        }
        for run in clients.values():  # warm-up: imports, first connections
            run(50)
        samples: dict[str, list[float]] = {name: [] for name in clients}
        for _ in range(rounds):
            for name, run in clients.items():
                before = os.times()
                run(requests_each)
                after = os.times()
                cpu = (after.user - before.user) + (after.system - before.system)
                samples[name].append(cpu / requests_each * 1e6)
    finally:
        server.terminate()
        server.wait(timeout=10)
    figures = {
        name: {
            "min_us": round(min(values), 1),
            "median_us": round(statistics.median(values), 1),
            "max_us": round(max(values), 1),
        }
        for name, values in samples.items()
    }
    return {"requests_each": requests_each, "rounds": rounds, "cpu_per_request": figures}


if __name__ == "__main__":
    print(json.dumps(compare_http_clients(), indent=2))
