"""The proxy's settings come from the environment, and production refuses placeholder secrets."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.proxy.stack import PYTHON, ROOT, _base_env, manage

SHOW = (
    "import json; from django.conf import settings as s; db = s.DATABASES['default']; "
    "print(json.dumps({'debug': s.DEBUG, 'secure': [s.SESSION_COOKIE_SECURE, "
    "s.CSRF_COOKIE_SECURE], 'engine': db['ENGINE'], 'name': db['NAME'], 'host': db.get('HOST'), "
    "'pool': db.get('OPTIONS', {}).get('pool'), 'hosts': s.ALLOWED_HOSTS, "
    "'agent': s.AGENT_SERVICE_URL, 'limit': s.CHAT_RATE_LIMIT, 'chars': s.MAX_MESSAGE_CHARS}))"
)


def settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "django_proxy/manage.py", "shell", "-v", "0", "-c", SHOW],
        cwd=ROOT,
        env=_base_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_the_development_secret_key() -> None:
    result = settings_with(CRM_ENV="production", AGENT_SERVICE_TOKEN="a-real-token-0123456789")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set to a secret of 32+ characters" in result.stderr


def test_production_settings_from_the_environment() -> None:
    result = settings_with(
        CRM_ENV="production",
        DJANGO_SECRET_KEY="k" * 50,
        AGENT_SERVICE_TOKEN="a-real-token-0123456789",
        AGENT_SERVICE_URL="http://agent:8001/",
        DJANGO_DATABASE_URL="postgresql://crm:secret@db.example:5432/crm",
        DJANGO_ALLOWED_HOSTS="crm.example.com, 127.0.0.1",
        CHAT_RATE_LIMIT="10",
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["debug"] is False
    assert shown["secure"] == [True, True]
    assert shown["engine"] == "django.db.backends.postgresql"
    assert (shown["name"], shown["host"], shown["pool"]) == ("crm", "db.example", True)
    assert shown["hosts"] == ["crm.example.com", "127.0.0.1"]
    assert shown["agent"] == "http://agent:8001"
    assert (shown["limit"], shown["chars"]) == (10, 2000)


def test_development_defaults() -> None:
    result = settings_with(CRM_ENV="development")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["debug"] is True and shown["secure"] == [False, False]
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["name"] == str(ROOT / "var" / "django.sqlite3")
    assert shown["agent"] == "http://127.0.0.1:8001"
    assert (shown["limit"], shown["chars"]) == (30, 2000)


def test_the_commands_make_run_and_the_docs_use(tmp_path: Path) -> None:
    password_file = tmp_path / "demo-password"
    env = {
        "CRM_ENV": "development",
        "DJANGO_DATABASE_URL": f"sqlite:///{tmp_path / 'django.sqlite3'}",
        "DEMO_PASSWORD_FILE": str(password_file),
    }
    manage(_base_env(**env), "migrate", "--noinput", "-v", "0")
    created = manage(
        _base_env(**env),
        "createsuperuser",
        "--noinput",
        extra_env={
            "DJANGO_SUPERUSER_USERNAME": "admin",
            "DJANGO_SUPERUSER_PASSWORD": "admin-pass-6021",
            "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
        },
    )
    assert "Superuser created successfully." in created

    first = manage(_base_env(**env), "ensure_demo_user").strip()
    match = re.fullmatch(r"Demo login: demo / (\S{12,})", first)
    assert match, first
    assert password_file.read_text().strip() == match.group(1)
    assert password_file.stat().st_mode & 0o777 == 0o600
    assert manage(_base_env(**env), "ensure_demo_user").strip() == first  # kept across runs

    given = manage(_base_env(**env), "ensure_demo_user", extra_env={"DEMO_PASSWORD": "given-7788"})
    assert given.strip() == "Demo login: demo / given-7788"
    check = (
        "from django.contrib.auth import authenticate as a; "
        "print(a(username='demo', password='given-7788') is not None, "
        "a(username='admin', password='admin-pass-6021').is_superuser)"
    )
    assert manage(_base_env(**env), "shell", "-v", "0", "-c", check).strip() == "True True"


def test_the_agent_address_follows_agent_host_and_port() -> None:
    # Setting only the ports (as a second copy of the app on one machine would) is enough.
    result = settings_with(DJANGO_PORT="9100", AGENT_PORT="9101")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["agent"] == "http://127.0.0.1:9101"
    result = settings_with(AGENT_HOST="0.0.0.0", AGENT_PORT="9102")  # listening everywhere
    assert json.loads(result.stdout.strip().splitlines()[-1])["agent"] == "http://127.0.0.1:9102"
    result = settings_with(AGENT_HOST="agent.internal", AGENT_PORT="9103")
    assert (
        json.loads(result.stdout.strip().splitlines()[-1])["agent"] == "http://agent.internal:9103"
    )
    # An explicit AGENT_SERVICE_URL still wins.
    result = settings_with(AGENT_PORT="9104", AGENT_SERVICE_URL="http://elsewhere:8001")
    assert json.loads(result.stdout.strip().splitlines()[-1])["agent"] == "http://elsewhere:8001"


HEADERS = (
    "from django.test import Client; import json; "
    "r = Client().get('/accounts/login/', HTTP_HOST='localhost', "
    "HTTP_X_FORWARDED_PROTO='https'); "
    "print(json.dumps({'status': r.status_code, 'hsts': r.headers.get('Strict-Transport-Security'), "
    "'csp': r.headers.get('Content-Security-Policy')}))"
)


def headers_with(tmp_path: Path, **env: str) -> dict:
    env = {
        "DJANGO_DATABASE_URL": f"sqlite:///{tmp_path / 'django.sqlite3'}",
        "DJANGO_BEHIND_HTTPS_PROXY": "1",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        **env,
    }
    manage(_base_env(**env), "migrate", "-v", "0")
    result = subprocess.run(
        [PYTHON, "django_proxy/manage.py", "shell", "-v", "0", "-c", HEADERS],
        cwd=ROOT,
        env=_base_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_hsts_in_production_only_and_a_strict_csp_everywhere(tmp_path: Path) -> None:
    production = headers_with(
        tmp_path,
        CRM_ENV="production",
        DJANGO_SECRET_KEY="k" * 50,
        AGENT_SERVICE_TOKEN="a-real-token-0123456789",
    )
    assert production["status"] == 200
    assert production["hsts"] == "max-age=31536000"
    development = headers_with(tmp_path, CRM_ENV="development")
    assert development["status"] == 200 and development["hsts"] is None
    for csp in (production["csp"], development["csp"]):
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
