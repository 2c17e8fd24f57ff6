"""The /leads and /pipeline routes over real HTTP: happy paths, bad input, auth, concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from agent_service.main import create_app
from agent_service.settings import DEFAULT_STAGES
from tests.api.conftest import TOKEN, make_settings
from tests.utils.servers import serve


def test_healthz_needs_no_auth(agent_url: str) -> None:
    response = httpx.get(f"{agent_url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "runs": "ok"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ],
    ids=["no-token", "wrong-token", "wrong-scheme", "no-scheme"],
)
def test_token_is_required(agent_url: str, headers: dict[str, str]) -> None:
    response = httpx.get(f"{agent_url}/leads", headers={**headers, "X-CRM-User": "u"})
    assert response.status_code == 401
    assert response.json()["type"] == "unauthorized"


def test_user_header_is_required(agent_url: str) -> None:
    response = httpx.get(f"{agent_url}/leads", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400
    assert "X-CRM-User" in response.json()["detail"]


def test_pipeline_lists_default_stages(client: httpx.Client) -> None:
    assert client.get("/pipeline").json() == {"statuses": list(DEFAULT_STAGES)}


def test_create_get_list_update_delete(client: httpx.Client) -> None:
    created = client.post(
        "/leads",
        json={"name": " John Smith ", "company": "Acme", "email": "john@acme.com", "value": 1200},
    )
    assert created.status_code == 201
    lead = created.json()
    assert lead["name"] == "John Smith"
    assert lead["status"] == "New"
    assert lead["version"] == 1
    assert client.get(f"/leads/{lead['id']}").json() == lead

    moved = client.patch(f"/leads/{lead['id']}", json={"status": "meeting booked", "version": 1})
    assert moved.status_code == 200
    assert moved.json()["status"] == "Meeting booked"
    assert moved.json()["version"] == 2

    assert [item["id"] for item in client.get("/leads").json()["leads"]] == [lead["id"]]
    assert (
        client.get("/leads", params={"status": "Meeting booked"}).json()["leads"][0]["id"]
        == lead["id"]
    )
    assert client.get("/leads", params={"status": "Won"}).json()["leads"] == []
    assert client.get("/leads", params={"q": "acme"}).json()["leads"][0]["id"] == lead["id"]

    assert client.delete(f"/leads/{lead['id']}").status_code == 204
    gone = client.get(f"/leads/{lead['id']}")
    assert gone.status_code == 404
    assert gone.json()["type"] == "not_found"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"company": "Acme"}, "name"),
        ({"name": "Ann", "email": "not-an-email"}, "email"),
        ({"name": "Ann", "value": "lots"}, "value"),
        ({"name": "Ann", "value": -5}, "value"),
        ({"name": "Ann", "value": True}, "value"),
        ({"name": "Ann", "phone": "call me maybe"}, "phone"),
        ({"name": "Ann", "colour": "red"}, "colour"),
    ],
)
def test_create_rejects_bad_fields(client: httpx.Client, body: dict, needle: str) -> None:
    response = client.post("/leads", json=body)
    assert response.status_code == 422
    assert response.json()["type"] == "invalid_input"
    assert needle in response.json()["detail"]
    assert client.get("/leads").json()["leads"] == []


def test_unknown_stage_lists_valid_stages(client: httpx.Client) -> None:
    response = client.post("/leads", json={"name": "Ann", "status": "Negotiation"})
    assert response.status_code == 422
    body = response.json()
    assert "Negotiation" in body["detail"]
    assert body["stages"] == list(DEFAULT_STAGES)
    assert "Meeting booked" in body["detail"]
    lead = client.post("/leads", json={"name": "Ann"}).json()
    assert client.patch(f"/leads/{lead['id']}", json={"status": "Limbo"}).status_code == 422
    assert client.get("/leads", params={"status": "Limbo"}).status_code == 422
    assert client.get(f"/leads/{lead['id']}").json()["status"] == "New"


def test_garbage_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/leads", content=b"{name: oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body is not valid JSON.",
        "type": "invalid_input",
    }


def test_unknown_id_is_404(client: httpx.Client) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        kwargs = {"json": {"name": "x"}} if method == "PATCH" else {}
        response = client.request(method, "/leads/nope", **kwargs)
        assert response.status_code == 404, method
        assert "nope" in response.json()["detail"]


def test_stale_version_is_409_and_changes_nothing(client: httpx.Client) -> None:
    lead = client.post("/leads", json={"name": "Ann", "company": "Initech"}).json()
    assert (
        client.patch(f"/leads/{lead['id']}", json={"company": "Globex", "version": 1}).status_code
        == 200
    )
    stale = client.patch(f"/leads/{lead['id']}", json={"company": "Hooli", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["type"] == "conflict"
    assert client.get(f"/leads/{lead['id']}").json()["company"] == "Globex"


def test_patch_clears_a_field_with_null_but_never_the_name(client: httpx.Client) -> None:
    lead = client.post("/leads", json={"name": "Ann", "phone": "555-0100"}).json()
    cleared = client.patch(f"/leads/{lead['id']}", json={"phone": None})
    assert cleared.json()["phone"] is None
    assert client.patch(f"/leads/{lead['id']}", json={"name": None}).status_code == 422


def test_fifty_parallel_patches_one_wins(client: httpx.Client) -> None:
    lead = client.post("/leads", json={"name": "Race Condition"}).json()

    def patch(i: int) -> int:
        return client.patch(
            f"/leads/{lead['id']}", json={"notes": f"writer {i}", "version": 1}
        ).status_code

    with ThreadPoolExecutor(max_workers=25) as pool:
        codes = list(pool.map(patch, range(50)))
    assert codes.count(200) == 1
    assert codes.count(409) == 49
    final = client.get(f"/leads/{lead['id']}").json()
    assert final["version"] == 2
    assert final["notes"].startswith("writer ")


def test_database_unavailable_is_503(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    settings = make_settings(tmp_path, crm_database_url=f"sqlite:///{blocker}/crm.sqlite3")
    headers = {"Authorization": f"Bearer {TOKEN}", "X-CRM-User": "u"}
    with serve(create_app(settings)) as url:
        for method, path in [("GET", "/leads"), ("POST", "/leads"), ("GET", "/leads/x")]:
            response = httpx.request(method, url + path, headers=headers, json={"name": "Ann"})
            assert response.status_code == 503, (method, path, response.text)
            assert response.json()["type"] == "database_unavailable"
            assert "Traceback" not in response.text
        assert httpx.get(f"{url}/healthz").json()["database"] == "unavailable"
