"""The proxy hop: latency of `GET /api/leads/` through Django vs straight to the agent service.

Both servers are real processes on loopback started here (agent service with the offline model
on SQLite, the Django proxy under uvicorn in front of it), with 50 seeded leads. After a
warm-up, the two paths are called alternately (so drifting machine load hits both alike), one
request at a time, each over a kept-alive connection; the difference of the percentiles is
what the proxy adds (session lookup, auth, forwarding, the second HTTP hop).

    python -m bench.proxy            # 500 requests each
    python -m bench.proxy --requests 2000
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench import servers

USERNAME = "bench-proxy"
PASSWORD = "bench-proxy-password-4711"
LEADS = 50
WARMUP = 50


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


def run(requests_each: int = 500, quick: bool = False) -> dict[str, Any]:
    """Start both servers, seed, measure; a bench section (see bench/report.py)."""
    if quick:
        requests_each = min(requests_each, 100)
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
            with servers.django_proxy(folder, agent_url, DJANGO_DEBUG="0") as proxy_url:
                figures = measure(proxy_url, agent_url, requests_each)
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
    return {
        "title": "Proxy hop: GET /api/leads/ through Django vs direct",
        "columns": ["path", "p50 ms", "p90 ms", "p99 ms", "mean ms"],
        "rows": rows,
        "targets": [],
        "notes": [
            f"{requests_each} requests per path after {WARMUP} warm-up each, alternating, one at "
            f"a time over kept-alive connections; {LEADS} leads in each answer.",
            "Through Django: session lookup, login check, forwarding over one pooled "
            "`requests.Session`, and the second loopback HTTP hop.",
        ],
        "data": {"direct": direct, "proxy": proxy, "added": added},
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
