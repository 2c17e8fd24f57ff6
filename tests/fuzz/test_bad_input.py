"""Hand-written fuzz of every JSON route of the agent service (SQLite and PostgreSQL): lone
surrogates, NUL bytes, deep nesting, NaN/Infinity/1e999, huge bodies, multipart, odd ids.
Each gets a 4xx with the usual `{"detail", "type"}` body, and nothing is written: no lead, no
lead change, no thread claimed, no run."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import agent_url, client  # noqa: F401  (fixtures)

NAN_LIKE = [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999"]
BAD_STRINGS = [b'"\\ud800"', b'"a\\udfffb"', b'"\\u0000"', b'"x\\u0000y"']


def bodies(template: bytes) -> list[tuple[str, bytes]]:
    """`template` with `@` replaced by each bad value, plus shape attacks."""
    cases = [(f"value={v.decode()}", template.replace(b"@", v)) for v in NAN_LIKE]
    cases += [(f"string={s.decode()}", template.replace(b"@", s)) for s in BAD_STRINGS]
    cases += [
        ("deep-array", b"[" * 50_000 + b"]" * 50_000),
        ("deep-object", b'{"a":' * 5_000 + b"1" + b"}" * 5_000),
        ("deep-inside", template.replace(b"@", b"[" * 100 + b"]" * 100)),
        ("huge", template.replace(b"@", b'"' + b"x" * 2_000_000 + b'"')),
        ("big-int", template.replace(b"@", b"9" * 5000)),
        ("not-json", b"{oops"),
        ("invalid-utf8", template.replace(b"@", b'"\xff\xfe"')),
        ("surrogate-key", b'{"\\ud800": 1}'),
    ]
    return cases


def snapshot(http: httpx.Client) -> tuple:
    leads = http.get("/leads", params={"limit": 1000}).json()
    changes = http.get("/leads/changes").json()
    return leads["total"], changes["last_seq"]


ROUTES = [
    ("POST", "/leads", b'{"name": "Fuzz", "value": @}'),
    ("POST", "/leads", b'{"name": @}'),
    ("PATCH", "/leads/{lead}", b'{"value": @}'),
    ("PATCH", "/leads/{lead}", b'{"notes": @}'),
    ("POST", "/threads/fz/runs", b'{"message": @}'),
    ("POST", "/threads/fz/runs", b'{"message": "hi", "client_message_id": @}'),
    ("POST", "/leads/undo", b'{"seq": @}'),
]


@pytest.mark.parametrize(("method", "path", "template"), ROUTES)
def test_bad_bodies_are_4xx_and_write_nothing(
    client: httpx.Client,  # noqa: F811
    method: str,
    path: str,
    template: bytes,
) -> None:
    lead = client.post("/leads", json={"name": "Fixed Point", "value": 1}).json()
    before = snapshot(client)
    target = path.format(lead=lead["id"])
    for label, body in bodies(template):
        for content_type in ("application/json", "multipart/form-data; boundary=x"):
            answer = client.request(
                method, target, content=body, headers={"Content-Type": content_type}
            )
            assert 400 <= answer.status_code < 500, (label, content_type, answer.text[:300])
            error = answer.json()
            assert set(error) >= {"detail", "type"} and error["type"] == "invalid_input", label
    assert snapshot(client) == before
    assert client.get(f"/leads/{lead['id']}").json() == lead
    assert client.get("/threads/fz").status_code == 404  # never claimed


ODD_IDS = [
    "%00",
    "a%00b",
    "%ED%A0%80",
    "%FF",
    "..",
    "x" * 5000,
    "%F0%9F%98%80",
    "' OR 1=1 --",
    "%0A",
]


@pytest.mark.parametrize("odd", ODD_IDS)
def test_odd_ids_are_4xx(client: httpx.Client, odd: str) -> None:  # noqa: F811
    before = snapshot(client)
    for method, path, body in (
        ("GET", "/leads/{id}", None),
        ("PATCH", "/leads/{id}", {"notes": "x"}),
        ("DELETE", "/leads/{id}", None),
        ("GET", "/runs/{id}", None),
        ("GET", "/threads/{id}", None),
        ("POST", "/threads/{id}/runs", {"message": "hello"}),
        ("DELETE", "/threads/{id}", None),
    ):
        url = str(client.base_url).rstrip("/") + path.replace("{id}", odd)
        answer = client.request(method, httpx.URL(url), json=body)
        if method == "DELETE" and path.startswith("/threads") and answer.status_code == 204:
            continue  # clearing an unknown (valid) thread id is a no-op
        assert 400 <= answer.status_code < 500, (method, path, odd, answer.text[:200])
        assert answer.json()["type"] in {"invalid_input", "not_found"}
    assert snapshot(client) == before


@pytest.mark.parametrize(
    "query",
    [
        b"q=%00",
        b"status=New%00",
        b"q=%ED%A0%80",  # a lone surrogate, UTF-8-encoded
        b"q=%FF",
        b"limit=NaN",
        b"offset=-1",
        b"limit=1e999",
        b"after=99999999999999999999999",
    ],
)
def test_odd_queries_are_4xx(client: httpx.Client, query: bytes) -> None:  # noqa: F811
    path = "/leads/changes" if query.startswith(b"after") else "/leads"
    answer = client.get(httpx.URL(str(client.base_url) + path).copy_with(query=query))
    assert 400 <= answer.status_code < 500, (path, query, answer.text[:200])
    assert answer.json()["type"] == "invalid_input"


def test_bad_user_name_headers_are_4xx(client: httpx.Client) -> None:  # noqa: F811
    before = snapshot(client)
    for name in ("%00", "%ED%A0%80", "%FF", "x" * 300):
        answer = client.post("/leads", json={"name": "Hdr"}, headers={"X-CRM-User-Name": name})
        assert 400 <= answer.status_code < 500, (name, answer.text)
        assert answer.json()["type"] == "invalid_input"
    assert snapshot(client) == before
