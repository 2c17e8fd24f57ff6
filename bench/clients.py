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
