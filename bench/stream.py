"""5. Run end → reply on screen: the run's event stream vs polling every second.

Real stack on loopback (agent service with the offline model behind the Django proxy), driven
in headless Debian Chromium through Playwright. With the built frontend (frontend/dist) the
user's path is the real one: sign in, open the chat widget, type, press Enter. The widget
follows the run's event stream; for the polling figure the page is loaded without
`EventSource`, so the same widget polls `/api/chat/status/<id>/` every second (its fallback).
Without a build, a small page of our own (served at the proxy's origin through Playwright's
routing) does the same with `EventSource` vs `setInterval` polling.

The chat model is GPT-4.1's stand-in: the local OpenAI-compatible test server
(tests/utils/fake_openai.py) answers each turn's tool call after a random 0.3–1.3 s, so runs end
at a random moment between two polls, as they do with a real model (with the instant offline
model, the widget's first poll right after posting would usually find the run finished already).

"Run end" is when the agent service recorded the run as succeeded (`chat_runs.updated_at`);
"on screen" is the frontend's `crm:reply-shown:<task id>` mark (after the reply was committed
and a frame painted) — both on this machine's clock.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import servers
from bench.load import PASSWORD, create_users
from bench.studio import lead_name, seed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STAGES = ("Contacted", "Meeting booked")
MODEL_SECONDS = (0.3, 1.3)
NO_EVENTSOURCE = "delete globalThis.EventSource;"

STATIC_PAGE = """<!doctype html><meta charset="utf-8"><title>stream bench</title>
<div id="log" role="log"></div>
<script>
const csrf = () => (document.cookie.match(/csrftoken=([^;]+)/) || [])[1];
function viaEvents(id) {
  return new Promise((resolve, reject) => {
    const source = new EventSource(`/api/chat/events/${id}/`);
    source.addEventListener('result', (e) => { source.close(); resolve(JSON.parse(e.data)); });
    source.addEventListener('error', (e) => { source.close(); reject(new Error('stream: ' + e.data)); });
  });
}
function viaPolling(id) {
  return new Promise((resolve, reject) => {
    const timer = setInterval(async () => {
      const run = await (await fetch(`/api/chat/status/${id}/`)).json();
      if (run.status === 'succeeded') { clearInterval(timer); resolve(run); }
      if (run.status === 'failed') { clearInterval(timer); reject(new Error(run.error.message)); }
    }, 1000);
  });
}
window.benchSend = async (text, mode) => {
  const posted = await fetch('/api/chat/', {method: 'POST', body: JSON.stringify({message: text}),
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf()}});
  const {task_id} = await posted.json();
  const run = await (mode === 'events' ? viaEvents(task_id) : viaPolling(task_id));
  const line = document.createElement('p');
  line.textContent = run.result.reply;
  document.getElementById('log').append(line);
  await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  return {task_id, shown: performance.timeOrigin + performance.now()};
};
</script>"""


def frontend_built() -> bool:
    return (servers.ROOT / "frontend" / "dist" / "index.html").exists()


def run_end_ms(runs_db: Path, run_id: str) -> float:
    """When the agent service recorded the run as finished (epoch ms)."""
    with sqlite3.connect(runs_db) as conn:
        row = conn.execute(
            "SELECT status, updated_at FROM chat_runs WHERE run_id = ?", (run_id,)
        ).fetchone()
    if row is None or row[0] != "succeeded":
        raise RuntimeError(f"run {run_id} is not recorded as succeeded: {row}")
    return datetime.fromisoformat(row[1]).timestamp() * 1000


def sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "bench0")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login" not in url, timeout=30_000)


def frontend_samples(page: Any, base: str, samples: int, offset: int) -> list[tuple[str, float]]:
    """(task id, reply shown epoch ms) for `samples` turns typed into the real chat widget."""
    page.goto(f"{base}/")
    page.get_by_role("button", name="Open chat").click()
    box = page.get_by_role("textbox", name="Message")
    name = lead_name(0)
    out = []
    for i in range(samples):
        stage = STAGES[(offset + i) % 2]
        box.fill(f"Move {name} to {stage}")
        if box.input_value() != f"Move {name} to {stage}":
            raise RuntimeError("the chat box did not take the message")
        seen = page.evaluate(
            "() => performance.getEntriesByType('mark')"
            ".filter(m => m.name.startsWith('crm:reply-shown:')).length"
        )
        # The button waits (Playwright's actionability check) until the widget is ready to
        # send again; Enter pressed while the previous reply is still settling would be lost.
        page.get_by_role("button", name="Send message").click()
        page.wait_for_function(
            "n => performance.getEntriesByType('mark')"
            ".filter(m => m.name.startsWith('crm:reply-shown:')).length > n",
            arg=seen,
            timeout=30_000,
        )
        mark = page.evaluate(
            "() => { const m = performance.getEntriesByType('mark')"
            ".filter(m => m.name.startsWith('crm:reply-shown:')).pop();"
            " return [m.name.slice('crm:reply-shown:'.length), performance.timeOrigin + m.startTime]; }"
        )
        reply = f"Lead '{name}' status updated to '{stage}'."
        page.get_by_role("log", name="Conversation").get_by_text(reply).last.wait_for()
        out.append((mark[0], mark[1]))
    return out


def static_samples(
    page: Any, base: str, mode: str, samples: int, offset: int
) -> list[tuple[str, float]]:
    page.route(
        f"{base}/bench-stream.html",
        lambda route: route.fulfill(status=200, content_type="text/html", body=STATIC_PAGE),
    )
    page.goto(f"{base}/bench-stream.html")
    name = lead_name(0)
    out = []
    for i in range(samples):
        stage = STAGES[(offset + i) % 2]
        shown = page.evaluate(
            "([t, m]) => window.benchSend(t, m)", [f"Move {name} to {stage}", mode]
        )
        out.append((shown["task_id"], shown["shown"]))
    return out


def run(samples: int = 15, model_seconds: tuple[float, float] = MODEL_SECONDS) -> dict[str, Any]:
    """Median run end → reply on screen, event stream vs 1-second polling."""
    from playwright.sync_api import sync_playwright

    ui = "built frontend (frontend/dist)" if frontend_built() else "static test page"
    if not servers.django_available():
        raise RuntimeError("needs django_proxy/ (the page talks to the proxy with a session)")
    from tests.utils.fake_openai import fake_openai

    turns = 2 * (samples + 1)
    rng = random.Random(5)
    script = [
        {
            "sleep": rng.uniform(*model_seconds),
            "tool_calls": [
                ("change_status", json.dumps({"lead": lead_name(0), "status": STAGES[t % 2]}))
            ],
        }
        for t in range(turns)
    ]
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as tmp, fake_openai(script) as model:
        folder = Path(tmp)
        seed(folder / "crm.sqlite3", 1)
        runs_db = folder / "checkpoints-runs.sqlite3"
        delays: dict[str, list[float]] = {}
        model_env = {
            "CRM_MODEL": "openai",
            "OPENAI_BASE_URL": model.url,
            "OPENAI_API_KEY": "bench-not-a-key",
            "OPENAI_MAX_RETRIES": "0",
        }
        with servers.agent_service(folder, **model_env) as agent_url:
            servers.manage(folder, agent_url, "migrate", "--noinput", "-v", "0")
            create_users(folder, agent_url, 1)
            with (
                servers.django_proxy(folder, agent_url, CHAT_RATE_LIMIT="0") as base,
                sync_playwright() as pw,
            ):
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                try:
                    for index, mode in enumerate(("events", "polling")):
                        context = browser.new_context()
                        if mode == "polling" and frontend_built():
                            context.add_init_script(NO_EVENTSOURCE)
                        page = context.new_page()
                        sign_in(page, base)
                        offset = index * (samples + 1)  # stages keep alternating
                        if frontend_built():
                            got = frontend_samples(page, base, samples + 1, offset)
                        else:
                            got = static_samples(page, base, mode, samples + 1, offset)
                        delays[mode] = [
                            shown - run_end_ms(runs_db, task) for task, shown in got[1:]
                        ]
                        context.close()
                finally:
                    browser.close()
        if len(model.requests) != turns:
            raise RuntimeError(
                f"the model was called {len(model.requests)} times for {turns} turns"
            )

    events, polling = statistics.median(delays["events"]), statistics.median(delays["polling"])
    rows = [
        ["event stream (EventSource)", events, min(delays["events"]), max(delays["events"])],
        ["polling every 1 s", polling, min(delays["polling"]), max(delays["polling"])],
    ]
    return {
        "title": "5. Run end → reply on screen (headless Chromium, real stack)",
        "columns": ["how the page learns the result", "median ms", "min ms", "max ms"],
        "rows": rows,
        "targets": [
            {
                "target": "(no target in the issue; check) event stream beats 1-second polling",
                "measured": f"median {events:.0f} ms vs {polling:.0f} ms",
                "met": events < polling,
            }
        ],
        "notes": [
            f"Page: {ui}; {samples} turns per mode after one warm-up turn, through the Django "
            "proxy to the agent service; model answers after a random "
            f"{model_seconds[0]}–{model_seconds[1]} s (local OpenAI-compatible test server).",
            "Polling asks once right after the POST (too early for a run in flight), then every "
            "second; a run that ends just after a poll waits almost a full second.",
            f"Event stream is {polling / max(events, 0.001):.0f}× faster here (median).",
        ],
        "data": {"delays_ms": delays, "page": ui},
    }
