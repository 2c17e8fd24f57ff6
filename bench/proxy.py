"""The proxy hop: latency of `GET /api/leads/` through Django vs straight to the agent service,
the proxy's CPU per chat turn, and the CPU per request of the HTTP clients it could use.

Both servers are real processes on loopback started here (agent service with the offline model
on SQLite, the Django proxy under uvicorn in front of it), with 50 seeded leads. After a
warm-up, the two paths are called alternately (so drifting machine load hits both alike), one
request at a time, each over a kept-alive connection; the difference of the percentiles is
what the proxy adds (session lookup, auth, forwarding, the second HTTP hop).

The CPU per turn is the proxy process's own (user + system from /proc) over N chat turns sent
one after another (`POST /api/chat/`, then its event stream to the result), divided by N.

    python -m bench.proxy            # 500 requests each, 200 turns
    python -m bench.proxy --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import requests

from bench import servers
from bench.clients import compare_http_clients, follow

USERNAME = "bench-proxy"
PASSWORD = "bench-proxy-password-4711"
LEADS = 50
WARMUP = 50
TURNS = 200
CPU_TARGET_MS = 3.0


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(samples_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples_ms), 2),
        "p90_ms": round(_percentile(samples_ms, 0.90), 2),
        "p99_ms": round(_percentile(samples_ms, 0.99), 2),
        "mean_ms": round(statistics.fmean(samples_ms), 2),
        "requests": len(samples_ms),
    }


def _signed_in(proxy_url: str) -> requests.Session:
    """A browser-like session signed in through the login form."""
    browser = requests.Session()
    browser.trust_env = False
    form = browser.get(f"{proxy_url}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    if not token:
        raise RuntimeError("the login page has no CSRF token")
    done = browser.post(
        f"{proxy_url}/accounts/login/",
        data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        allow_redirects=False,
        timeout=10,
    )
    if done.status_code != 302:
        raise RuntimeError(f"login failed ({done.status_code})")
    return browser


def _timed_get(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    response = session.get(url, timeout=10)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200 or len(response.json()["leads"]) != LEADS:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {response.text[:200]}")
    return elapsed


def measure(proxy_url: str, agent_url: str, requests_each: int) -> dict[str, Any]:
    """Alternate direct and proxied calls; the percentiles of each path."""
    direct = requests.Session()
    direct.trust_env = False
    direct.headers.update({"Authorization": f"Bearer {servers.TOKEN}", "X-CRM-User": "1"})
    browser = _signed_in(proxy_url)
    via_agent, via_proxy = f"{agent_url}/leads", f"{proxy_url}/api/leads/"
    for _ in range(WARMUP):
        _timed_get(direct, via_agent)
        _timed_get(browser, via_proxy)
    samples: dict[str, list[float]] = {"direct": [], "proxy": []}
    for i in range(requests_each):
        order = (("direct", direct, via_agent), ("proxy", browser, via_proxy))
        for name, session, url in order if i % 2 else reversed(order):
            samples[name].append(_timed_get(session, url))
    return {name: _summary(values) for name, values in samples.items()}


async def _turns(proxy_url: str, cookies: requests.cookies.RequestsCookieJar, turns: int) -> int:
    """`turns` chat turns one after another through the proxy; the number that succeeded."""
    ok = 0
    async with httpx.AsyncClient(
        base_url=proxy_url, cookies=dict(cookies), timeout=30, trust_env=False
    ) as http:
        http.headers["X-CSRFToken"] = cookies["csrftoken"]
        for n in range(turns):
            created = await http.post("/api/chat/", json={"message": f"who is in New? ({n})"})
            if created.status_code != 202:
                raise RuntimeError(f"POST /api/chat/: {created.status_code} {created.text[:200]}")
            run = await follow(http, f"/api/chat/events/{created.json()['task_id']}/")
            ok += run.get("status") == "succeeded"
    return ok


def proxy_cpu_per_turn(proxy_url: str, turns: int = TURNS) -> dict[str, Any]:
    """The proxy process's CPU per chat turn (ms) over `turns` sequential turns (after 10)."""
    browser = _signed_in(proxy_url)
    browser.get(f"{proxy_url}/api/me/", timeout=10)  # the CSRF cookie
    pid = servers.PIDS[proxy_url]
    asyncio.run(_turns(proxy_url, browser.cookies, 10))  # warm-up
    before, started = servers.cpu_seconds(pid), time.perf_counter()
    ok = asyncio.run(_turns(proxy_url, browser.cookies, turns))
    cpu, wall = servers.cpu_seconds(pid) - before, time.perf_counter() - started
    return {
        "turns": turns,
        "succeeded": ok,
        "proxy_cpu_ms_per_turn": round(cpu / turns * 1000, 2),
        "wall_ms_per_turn": round(wall / turns * 1000, 2),
    }


def run(requests_each: int = 500, quick: bool = False, turns: int = TURNS) -> dict[str, Any]:
    """Start both servers, seed, measure; a bench section (see bench/report.py)."""
    if quick:
        requests_each, turns = min(requests_each, 100), min(turns, 50)
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as tmp:
        folder = Path(tmp)
        with servers.agent_service(folder) as agent_url:
            servers.manage(folder, agent_url, "migrate", "--noinput", "-v", "0")
            servers.manage(
                folder,
                agent_url,
                "shell",
                "-c",
                "from django.contrib.auth import get_user_model as g; "
                f"g().objects.create_user({USERNAME!r}, password={PASSWORD!r})",
            )
            seeding = requests.Session()
            seeding.headers.update({"Authorization": f"Bearer {servers.TOKEN}", "X-CRM-User": "1"})
            for n in range(LEADS):
                created = seeding.post(
                    f"{agent_url}/leads",
                    json={"name": f"Lead {n:02d}", "company": f"Company {n % 7}"},
                    timeout=10,
                )
                created.raise_for_status()
            with servers.django_proxy(
                folder, agent_url, DJANGO_DEBUG="0", CHAT_RATE_LIMIT="0"
            ) as proxy_url:
                figures = measure(proxy_url, agent_url, requests_each)
                cpu = proxy_cpu_per_turn(proxy_url, turns)
    clients = compare_http_clients(requests_each=300 if quick else 1000)
    direct, proxy = figures["direct"], figures["proxy"]
    added = {
        "p50_ms": round(proxy["p50_ms"] - direct["p50_ms"], 2),
        "p99_ms": round(proxy["p99_ms"] - direct["p99_ms"], 2),
    }
    rows = [
        [
            "direct to the agent service",
            direct["p50_ms"],
            direct["p90_ms"],
            direct["p99_ms"],
            direct["mean_ms"],
        ],
        [
            "through the Django proxy",
            proxy["p50_ms"],
            proxy["p90_ms"],
            proxy["p99_ms"],
            proxy["mean_ms"],
        ],
        [
            "added by the proxy hop",
            added["p50_ms"],
            None,
            added["p99_ms"],
            round(proxy["mean_ms"] - direct["mean_ms"], 2),
        ],
    ]
    rows.append(["proxy CPU per chat turn (ms)", cpu["proxy_cpu_ms_per_turn"], None, None, None])
    for name, figure in clients["cpu_per_request"].items():
        rows.append(
            [f"HTTP client CPU per request (µs): {name}", figure["median_us"], None, None, None]
        )
    return {
        "title": "Proxy hop: GET /api/leads/ through Django vs direct; proxy CPU per turn",
        "columns": ["path", "p50 ms", "p90 ms", "p99 ms", "mean ms"],
        "rows": rows,
        "targets": [
            {
                "target": f"proxy CPU per chat turn <= {CPU_TARGET_MS} ms",
                "measured": f"{cpu['proxy_cpu_ms_per_turn']} ms",
                "met": cpu["proxy_cpu_ms_per_turn"] <= CPU_TARGET_MS,
            }
        ],
        "notes": [
            f"{requests_each} requests per path after {WARMUP} warm-up each, alternating, one at "
            f"a time over kept-alive connections; {LEADS} leads in each answer.",
            "Through Django: session and user from process-memory caches, async views, "
            "forwarding over one pooled aiohttp session, and the second loopback HTTP hop.",
            f"Proxy CPU per turn: {turns} sequential chat turns (POST + event stream to the "
            "result), the proxy process's user + system CPU from /proc divided by the turns.",
            "HTTP clients: median client CPU per request over "
            f"{clients['rounds']} interleaved rounds of {clients['requests_each']} GETs each "
            "(one kept-alive connection, a tiny uvicorn server in another process); the proxy "
            "uses the cheapest (aiohttp).",
        ],
        "data": {
            "direct": direct,
            "proxy": proxy,
            "added": added,
            "cpu_per_turn": cpu,
            "http_clients": clients,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.proxy", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--requests", type=int, default=500, help="requests per path")
    args = parser.parse_args(argv)
    result = run(requests_each=args.requests)
    print(json.dumps(result["data"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
