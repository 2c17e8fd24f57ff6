"""compose.yaml is valid for Compose and wires health-gated services with required secrets.

No Docker engine runs here, so the file is validated with the Compose client (`config`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "POSTGRES_PASSWORD": "pw",
    "AGENT_SERVICE_TOKEN": "0123456789abcdef0123",
    "DJANGO_SECRET_KEY": "k" * 40,
}


def compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    probe = (
        subprocess.run(["docker", "compose", "version"], capture_output=True)
        if shutil.which("docker")
        else None
    )
    if probe is not None and probe.returncode == 0:
        return ["docker", "compose"]
    pytest.fail("No Compose client: install docker-compose (.ci/run does)")


def config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run(
        [*compose_command(), "-f", str(ROOT / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=ROOT,
    )


def test_compose_config_is_valid_with_the_secrets() -> None:
    result = config(SECRETS)
    assert result.returncode == 0, result.stderr
    rendered = yaml.safe_load(result.stdout)
    assert set(rendered["services"]) == {"postgres", "agent", "proxy"}
    assert (
        "0123456789abcdef0123"
        in rendered["services"]["agent"]["environment"]["AGENT_SERVICE_TOKEN"]
    )


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_each_secret_is_required(missing: str) -> None:
    result = config({k: v for k, v in SECRETS.items() if k != missing})
    assert result.returncode != 0
    assert missing in result.stderr


def test_services_are_health_gated() -> None:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    for name, service in services.items():
        assert "healthcheck" in service, name
    assert services["agent"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["proxy"]["depends_on"]["agent"]["condition"] == "service_healthy"
    for name in ("agent", "proxy"):
        assert (ROOT / services[name]["build"]["dockerfile"]).is_file()
