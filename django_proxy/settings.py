"""Settings of the Django proxy: every environment variable it reads, in this one place.

| variable | default | meaning |
|---|---|---|
| `CRM_ENV` | `development` | `production` requires a real `DJANGO_SECRET_KEY`, turns on secure cookies |
| `DJANGO_SECRET_KEY` | a dev key (refused in production) | Django's secret |
| `DJANGO_DEBUG` | on in development only | Django's debug pages (never for `/api/*`) |
| `DJANGO_DATABASE_URL` | `sqlite:///<repo>/var/django.sqlite3` | users and sessions (`sqlite:///…`, `postgresql://…`) |
| `DJANGO_ALLOWED_HOSTS` | `127.0.0.1,localhost,[::1]` (+ `DJANGO_HOST`) | comma-separated |
| `DJANGO_CSRF_TRUSTED_ORIGINS` | – | comma-separated origins (e.g. `https://crm.example.com`) |
| `DJANGO_SECURE_COOKIES` | on in production | `Secure` session and CSRF cookies |
| `DJANGO_HOST` / `DJANGO_PORT` | `127.0.0.1` / `8000` | where `python -m django_proxy` listens |
| `AGENT_SERVICE_URL` | `http://AGENT_HOST:AGENT_PORT` | the agent service |
| `AGENT_HOST` / `AGENT_PORT` | `127.0.0.1` / `8001` | where the agent service listens (same variables as the agent's own; `0.0.0.0`/`::` mean this machine) |
| `AGENT_SERVICE_TOKEN` | `dev-agent-token` (refused in production) | its bearer token |
| `AGENT_TIMEOUT_SECONDS` | `10` | read timeout of a forwarded call (connect: 3 s) |
| `CHAT_RATE_LIMIT` | `30` | accepted chat messages per user per minute (0 turns the limit off) |
| `LOGIN_FAILURES_PER_ACCOUNT` / `LOGIN_FAILURES_PER_ADDRESS` | `5` / `30` | failed sign-ins allowed within `LOGIN_LOCKOUT_SECONDS` (`300`) before sign-in is refused for the rest of it |
| `DJANGO_REDIS_URL` | – | `redis://…`: sessions, rate limits and login throttle in Redis (several proxy processes); needs the `redis` package |
| `MAX_MESSAGE_CHARS` | `2000` | longer chat messages are refused with 400 |
| `FRONTEND_DIST` | `<repo>/frontend/dist` | the built React app served at `/` |
| `DEMO_PASSWORD` / `DEMO_PASSWORD_FILE` | generated / `<repo>/var/demo-password` | `ensure_demo_user` |
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
REPO_ROOT = BASE_DIR.parent
DEV_SECRET_KEY = "django-insecure-dev-key-for-local-development-only"
DEV_AGENT_TOKEN = "dev-agent-token"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _flag(name: str, default: bool) -> bool:
    value = _env(name).lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def _number(name: str, default: float, *, minimum: float = 0) -> float:
    raw = _env(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {raw!r}")
    return value


def _list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in _env(name, default).split(",") if part.strip()]


CRM_ENV = _env("CRM_ENV", "development") or "development"
if CRM_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"CRM_ENV must be development, test or production, not {CRM_ENV!r}")
PRODUCTION = CRM_ENV == "production"

SECRET_KEY = _env("DJANGO_SECRET_KEY") or DEV_SECRET_KEY
if PRODUCTION and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a secret of 32+ characters when CRM_ENV=production"
    )
DEBUG = _flag("DJANGO_DEBUG", CRM_ENV == "development")

DJANGO_HOST = _env("DJANGO_HOST", "127.0.0.1") or "127.0.0.1"
DJANGO_PORT = int(_number("DJANGO_PORT", 8000, minimum=1))
ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
if DJANGO_HOST not in ALLOWED_HOSTS and DJANGO_HOST not in {"0.0.0.0", "::"}:
    ALLOWED_HOSTS.append(DJANGO_HOST)
CSRF_TRUSTED_ORIGINS = _list("DJANGO_CSRF_TRUSTED_ORIGINS")

# -- the agent service --------------------------------------------------------------------------
AGENT_HOST = _env("AGENT_HOST", "127.0.0.1") or "127.0.0.1"
AGENT_PORT = int(_number("AGENT_PORT", 8001, minimum=1))


def _agent_url(host: str, port: int) -> str:
    """The URL of an agent service listening on host:port (a wildcard address means here)."""
    if host in {"0.0.0.0", ""}:
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


AGENT_SERVICE_URL = (_env("AGENT_SERVICE_URL") or _agent_url(AGENT_HOST, AGENT_PORT)).rstrip("/")
AGENT_SERVICE_TOKEN = _env("AGENT_SERVICE_TOKEN") or DEV_AGENT_TOKEN
if PRODUCTION and (AGENT_SERVICE_TOKEN == DEV_AGENT_TOKEN or len(AGENT_SERVICE_TOKEN) < 16):
    raise ImproperlyConfigured(
        "AGENT_SERVICE_TOKEN must be set to a secret of 16+ characters when CRM_ENV=production"
    )
AGENT_CONNECT_TIMEOUT = 3.0
AGENT_TIMEOUT_SECONDS = _number("AGENT_TIMEOUT_SECONDS", 10.0, minimum=0.1)
# An idle event stream gets a comment line this often so proxies keep it open.
SSE_KEEPALIVE_SECONDS = _number("SSE_KEEPALIVE_SECONDS", 15.0, minimum=0.1)
CHAT_RATE_LIMIT = int(_number("CHAT_RATE_LIMIT", 30))
CHAT_RATE_WINDOW_SECONDS = 60
LOGIN_FAILURES_PER_ACCOUNT = int(_number("LOGIN_FAILURES_PER_ACCOUNT", 5))
LOGIN_FAILURES_PER_ADDRESS = int(_number("LOGIN_FAILURES_PER_ADDRESS", 30))
LOGIN_LOCKOUT_SECONDS = _number("LOGIN_LOCKOUT_SECONDS", 300, minimum=1)
MAX_MESSAGE_CHARS = int(_number("MAX_MESSAGE_CHARS", 2000, minimum=1))
FRONTEND_DIST = Path(_env("FRONTEND_DIST") or REPO_ROOT / "frontend" / "dist")
# Where `ensure_demo_user` keeps the generated demo password (unless DEMO_PASSWORD is set).
DEMO_PASSWORD_FILE = Path(_env("DEMO_PASSWORD_FILE") or REPO_ROOT / "var" / "demo-password")

# -- Django -------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_proxy.apps.ProxyConfig",
]

# Django's own middleware, in subclasses that run on the event loop under ASGI (middleware.py):
# an API call crosses no thread on its way to the async views.
MIDDLEWARE = [
    "django_proxy.middleware.SecurityMiddleware",
    "django_proxy.static.FrontendWhiteNoise",
    "django_proxy.middleware.SessionMiddleware",
    "django_proxy.middleware.CommonMiddleware",
    "django_proxy.middleware.CsrfViewMiddleware",
    "django_proxy.middleware.AuthenticationMiddleware",
    "django_proxy.middleware.MessageMiddleware",
    "django_proxy.middleware.XFrameOptionsMiddleware",
    # Last: it refuses anonymous API calls before any view-level check (CSRF) runs.
    "django_proxy.errors.ApiMiddleware",
]
AUTHENTICATION_BACKENDS = ["django_proxy.auth.CachedModelBackend"]

ROOT_URLCONF = "django_proxy.urls"
ASGI_APPLICATION = "django_proxy.asgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        _env("DJANGO_DATABASE_URL") or f"sqlite:///{REPO_ROOT / 'var' / 'django.sqlite3'}",
        conn_max_age=0,  # under ASGI, persistent connections are replaced by a pool (below)
    )
}
# The API's hot path touches no database: sessions and users come from process-memory caches
# (auth.py, cache.py); a session is read from the database once per LOCAL_CACHE_SECONDS.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL (switched on once per process, see apps.py: it is kept in the file and costs ~1 ms a
    # connection to ask for) lets readers and a writer overlap; IMMEDIATE avoids failed lock
    # upgrades under load.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sessions: read from this process's memory (written through to the database; other processes
# see a change within LOCAL_CACHE_SECONDS). Rate limits and the login throttle: the "shared"
# cache, the database (its table is made by `migrate`) or Redis, seen by every proxy process.
LOCAL_CACHE_SECONDS = 60
REDIS_URL = _env("DJANGO_REDIS_URL")
if REDIS_URL:
    _redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    CACHES = {"default": _redis, "shared": _redis}
else:
    CACHES = {
        "default": {"BACKEND": "django_proxy.cache.AsyncLocMemCache"},
        "shared": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_proxy_cache",
        },
    }
SHARED_CACHE = "shared"
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 14 * 24 * 3600
CSRF_COOKIE_HTTPONLY = False  # the SPA reads it and sends X-CSRFToken
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "django_proxy.errors.csrf_failure"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _flag("DJANGO_SECURE_COOKIES", PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS in production (sent on HTTPS requests: behind a TLS proxy set DJANGO_BEHIND_HTTPS_PROXY).
SECURE_HSTS_SECONDS = 31_536_000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
if _flag("DJANGO_BEHIND_HTTPS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# The admin's files come straight from the installed apps: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# The built frontend's files (assets/…) at the site root; index.html goes through a view.
# (With autorefresh, as in development, a build made after the start is served at once.)
WHITENOISE_ROOT = FRONTEND_DIST if FRONTEND_DIST.is_dir() or WHITENOISE_AUTOREFRESH else None
# WhiteNoise hands Django file responses with a sync iterator, which Django under ASGI reads
# whole before sending (and says so, once). The assets are small; the event streams (the only
# thing that must not be read whole) use an async iterator.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators", category=Warning
)
# Vite names built assets by content hash (assets/index-gAcL2B1P.js): cache them for good.
WHITENOISE_IMMUTABLE_FILE_TEST = r"^/assets/.+-[A-Za-z0-9_-]{8,}\.\w+$"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.request": {"level": "ERROR"}},
}
