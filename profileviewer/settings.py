"""Django settings, read from the environment (see README.md and .env.example).

Every variable has a safe local default or fails loudly at start with its name.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.utils.csp import CSP

from profileviewer.envconfig import Env
from profileviewer.observability.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

# Every problem below is collected and named at once, one line each, by env.check() at the end.
env = Env(collect=True)
_dotenv = BASE_DIR / ".env"
if _dotenv.exists():
    environ.Env.read_env(_dotenv, overwrite=False)

# --- Mode ---------------------------------------------------------------------------------
# SANDBOX=true mounts the local Profiles API at /sandbox and points the client at it.
SANDBOX = env.bool("SANDBOX", False)
DEBUG = env.bool("DEBUG", False)
PORT = env.int("PORT", 8000, min=1, max=65535)

# Production is neither: every secret and service must be given, and HTTPS is assumed.
_local = SANDBOX or DEBUG
if _local:
    SECRET_KEY = env.str("SECRET_KEY", "insecure-local-only-key-for-sandbox-and-debug-use")
else:
    SECRET_KEY = env.str("SECRET_KEY", required=True)
    # Django's own bar (check --deploy's security.W009).
    if SECRET_KEY and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
        env.problem("SECRET_KEY must be at least 50 characters, of at least 5 different ones")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if _local else [])
if not ALLOWED_HOSTS:
    env.problem("ALLOWED_HOSTS must be set: the host names the app answers to, comma-separated")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "profileviewer.agents.csrf.csrf_failure"

# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before whitenoise's runserver, which its own (on the remembered PORT) wraps.
    "profileviewer.agents",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "profileviewer.sandbox",
    "profileviewer.viewer",
    "profileviewer.api",
    "profileviewer.audit",
    "profileviewer.masking",
]

MIDDLEWARE = [
    # First: the request's id, log line and latency cover everything below it.
    "profileviewer.observability.middleware.RequestObservabilityMiddleware",
    "profileviewer.viewer.middleware.ResponseHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "profileviewer.compression.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "profileviewer.agents.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "profileviewer.agents.sessions.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as axes asks: turns a locked-out sign-in into our page (agents/throttle.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "profileviewer.urls"
WSGI_APPLICATION = "profileviewer.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Storage ------------------------------------------------------------------------------
_database_url = env.url(
    "DATABASE_URL",
    f"sqlite:///{BASE_DIR / 'db.sqlite3'}" if _local else None,
    schemes=("sqlite", "postgres", "postgresql", "pgsql"),
    required=not _local,
)
# The stand-in only lasts until env.check() names the problem.
DATABASES = {"default": environ.Env.db_url_config(_database_url or "sqlite://:memory:")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the sandbox's reads run beside the app's writes under a threaded server.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# Persistent connections, one per server thread: every agent request reads its session and
# user, and the sandbox reads on every call.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", 60, min=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Production needs it: without Redis each worker would keep its own upstream rate limit and cache.
REDIS_URL = env.url("REDIS_URL", None, schemes=("redis", "rediss", "unix"), required=not _local)
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pv",
            "OPTIONS": {
                # Redis down costs speed, not pages: a failed read is a miss, a failed write
                # is skipped, and both are logged.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "profileviewer",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
# This process's own memory, for what every request reads and may be as old in one process as
# in another (the agents' masking policies): read without a round trip to Redis.
CACHES["process"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "profileviewer-process",
    "OPTIONS": {"MAX_ENTRIES": 10_000},
}

# --- The upstream Intilery Profiles API ---------------------------------------------------
SANDBOX_CLIENT_ID = env.str("SANDBOX_CLIENT_ID", "demo")
SANDBOX_ACCOUNT_ID = env.str("SANDBOX_ACCOUNT_ID", "demo")
SANDBOX_BRAND_ID = env.str("SANDBOX_BRAND_ID", "DEMO")
SANDBOX_API_TOKEN = env.str("SANDBOX_API_TOKEN", "sandbox-token")

_api_url = env.url(
    "INTILERY_API_URL",
    f"http://127.0.0.1:{PORT}/sandbox" if SANDBOX else None,
    schemes=("http", "https"),
    required=not SANDBOX,
)
INTILERY_API_URL: str = _api_url or ""
if SANDBOX:
    INTILERY_CLIENT_ID = env.str("INTILERY_CLIENT_ID", SANDBOX_CLIENT_ID)
    INTILERY_ACCOUNT_ID = env.str("INTILERY_ACCOUNT_ID", SANDBOX_ACCOUNT_ID)
    INTILERY_BRAND_ID = env.str("INTILERY_BRAND_ID", SANDBOX_BRAND_ID)
    INTILERY_API_TOKEN = env.str("INTILERY_API_TOKEN", SANDBOX_API_TOKEN)
else:
    INTILERY_CLIENT_ID = env.str("INTILERY_CLIENT_ID", required=True)
    INTILERY_ACCOUNT_ID = env.str("INTILERY_ACCOUNT_ID", required=True)
    INTILERY_BRAND_ID = env.str("INTILERY_BRAND_ID", required=True)
    INTILERY_API_TOKEN = env.str("INTILERY_API_TOKEN", required=True)

INTILERY_CONNECT_TIMEOUT = env.float("INTILERY_CONNECT_TIMEOUT", 2.0, min=0.05, max=60)
INTILERY_READ_TIMEOUT = env.float("INTILERY_READ_TIMEOUT", 5.0, min=0.05, max=300)
# Total time one client call may take, retries and rate-limit waits included.
INTILERY_CALL_BUDGET = env.float("INTILERY_CALL_BUDGET", 3.0, min=0.1, max=600)
INTILERY_MAX_RETRY_AFTER = env.float("INTILERY_MAX_RETRY_AFTER", 2.0, min=0, max=600)
INTILERY_RATE_LIMIT = env.float("INTILERY_RATE_LIMIT", 100.0, min=0.1)
INTILERY_RATE_BURST = env.int("INTILERY_RATE_BURST", 500, min=1)
INTILERY_CACHE_TTL = env.int("INTILERY_CACHE_TTL", 15, min=0)
INTILERY_MAX_RESPONSE_BYTES = env.int("INTILERY_MAX_RESPONSE_BYTES", 10_000_000, min=1024)

# --- The sandbox (only mounted when SANDBOX=true) -----------------------------------------
SANDBOX_RATE_LIMIT_ENABLED = env.bool("SANDBOX_RATE_LIMIT_ENABLED", True)
SANDBOX_RATE_LIMIT = env.float("SANDBOX_RATE_LIMIT", 100.0, min=0.1)
SANDBOX_RATE_BURST = env.int("SANDBOX_RATE_BURST", 500, min=1)
SANDBOX_DEMO_PROFILES = env.int("SANDBOX_DEMO_PROFILES", 300, min=0)
SANDBOX_DEMO_SEED = env.int("SANDBOX_DEMO_SEED", 42)
# Fault injection, off by default (see profileviewer/sandbox/faults.py).
SANDBOX_FAULT_LATENCY_MS = env.float("SANDBOX_FAULT_LATENCY_MS", 0.0, min=0, max=120_000)
SANDBOX_FAULT_JITTER_MS = env.float("SANDBOX_FAULT_JITTER_MS", 0.0, min=0, max=120_000)
SANDBOX_FAULT_ERROR_RATE = env.float("SANDBOX_FAULT_ERROR_RATE", 0.0, min=0, max=1)
SANDBOX_FAULT_RATE_LIMIT_RATE = env.float("SANDBOX_FAULT_RATE_LIMIT_RATE", 0.0, min=0, max=1)
SANDBOX_FAULT_MALFORMED_RATE = env.float("SANDBOX_FAULT_MALFORMED_RATE", 0.0, min=0, max=1)
SANDBOX_FAULT_SLOW_DRIP_MS = env.float("SANDBOX_FAULT_SLOW_DRIP_MS", 0.0, min=0, max=120_000)

# --- The agents' viewer -------------------------------------------------------------------
VIEWER_LIVE_POLL_SECONDS = env.int("VIEWER_LIVE_POLL_SECONDS", 15, min=0)
# Per agent (a signed-in user, or a host's user embedded): requests a second and at once, past
# which a request is answered "slow down" (agents/limits.py). A profile page is 8 requests.
AGENT_RATE = env.float("AGENT_RATE", 10.0, min=0.01, max=1_000_000)
AGENT_BURST = env.int("AGENT_BURST", 60, min=1)
# Of those, the ones that skip the cache (`fresh=1`: a refresh is 8; the live poll): past these
# they are answered from the cache, as the API does per key (API_FRESH_RATE).
AGENT_FRESH_RATE = env.float("AGENT_FRESH_RATE", 0.2, min=0.001, max=1_000_000)
AGENT_FRESH_BURST = env.int("AGENT_FRESH_BURST", 10, min=1)
# Product image URLs come from tracked events: only these origins (and ours) may be loaded,
# by the CSP's img-src and by the viewed-not-bought panel alike, so no event picks a host.
PRODUCT_IMAGE_HOSTS = env.origins("PRODUCT_IMAGE_HOSTS", [])

# --- Embedded in Zendesk and Pipedrive (profileviewer/embed) ------------------------------
# A host is on when its settings are set; in sandbox mode an unset host uses a development
# key pair and secret of its own (embed/devkeys.py), which no other configuration accepts.
ZENDESK_SUBDOMAIN = env.optional_str("ZENDESK_SUBDOMAIN")
ZENDESK_APP_INSTALLATION_ID = env.optional_str("ZENDESK_APP_INSTALLATION_ID")
ZENDESK_APP_PUBLIC_KEY = (env.optional_str("ZENDESK_APP_PUBLIC_KEY") or "").replace("\\n", "\n")
ZENDESK_FRAME_ANCESTORS = env.list("ZENDESK_FRAME_ANCESTORS", [])
# The ZAF SDK the sidebar loads: our copy (static/vendor) unless set, e.g. to Zendesk's CDN.
ZENDESK_SDK_URL = env.optional_str("ZENDESK_SDK_URL")
PIPEDRIVE_JWT_SECRET = env.optional_str("PIPEDRIVE_JWT_SECRET")
PIPEDRIVE_COMPANY_ID = env.optional_str("PIPEDRIVE_COMPANY_ID")
PIPEDRIVE_API_URL = env.str(
    "PIPEDRIVE_API_URL",
    f"http://127.0.0.1:{PORT}/sandbox/pipedrive" if SANDBOX else "https://api.pipedrive.com",
)
PIPEDRIVE_API_TOKEN = env.optional_str("PIPEDRIVE_API_TOKEN")
PIPEDRIVE_API_TIMEOUT = env.float("PIPEDRIVE_API_TIMEOUT", 3.0, min=0.1, max=60)
PIPEDRIVE_FRAME_ANCESTORS = env.list("PIPEDRIVE_FRAME_ANCESTORS", [])  # https://*.pipedrive.com
EMBED_TOKEN_TTL = env.int("EMBED_TOKEN_TTL", 900, min=60, max=86_400)
EMBED_TOKEN_MAX_AGE = env.int("EMBED_TOKEN_MAX_AGE", 12 * 3600, min=60, max=7 * 86_400)
EMBED_DEV_KEYS_FILE = BASE_DIR / ".dev-embed-keys.json"
_zendesk = {
    "ZENDESK_SUBDOMAIN": ZENDESK_SUBDOMAIN,
    "ZENDESK_APP_INSTALLATION_ID": ZENDESK_APP_INSTALLATION_ID,
    "ZENDESK_APP_PUBLIC_KEY": ZENDESK_APP_PUBLIC_KEY,
}
if any(_zendesk.values()) and not all(_zendesk.values()):
    _missing = ", ".join(name for name, value in _zendesk.items() if not value)
    env.problem(f"Zendesk is half configured: set {_missing} too")
if ZENDESK_APP_PUBLIC_KEY and "-----BEGIN PUBLIC KEY-----" not in ZENDESK_APP_PUBLIC_KEY:
    env.problem("ZENDESK_APP_PUBLIC_KEY must be a PEM public key")
# Any company that installs the extension gets tokens signed with its secret: serve ours only.
if PIPEDRIVE_JWT_SECRET and not PIPEDRIVE_COMPANY_ID and not SANDBOX:
    env.problem("PIPEDRIVE_COMPANY_ID must be set with PIPEDRIVE_JWT_SECRET")
# The host simulators and their development keys: only against the sandbox on this machine,
# never when SANDBOX=true is pointed at a real customer database.
EMBED_DEV_HOSTS = SANDBOX and urlsplit(INTILERY_API_URL).hostname in (
    "127.0.0.1",
    "localhost",
    "::1",
)

# --- The personalization API (/api/v1) ----------------------------------------------------
# `Cache-Control: no-cache` is honoured up to this rate per service key (burst API_FRESH_BURST);
# beyond it the answer comes from the cache, so no one key spends the shared upstream budget.
API_FRESH_RATE = env.float("API_FRESH_RATE", 1.0, min=0.001)
API_FRESH_BURST = env.int("API_FRESH_BURST", 10, min=1)

# --- The export (manage.py export_profiles) -----------------------------------------------
# The fraction of the upstream rate budget the export may drain; the rest stays for agents.
EXPORT_RATE_SHARE = env.float("EXPORT_RATE_SHARE", 0.5, min=0.05, max=1)
# Profiles fetched side by side (and as many extra event pages of large profiles): enough to
# keep the upstream busy through its latency; the rate limiter, not this, caps the rate.
EXPORT_CONCURRENCY = env.int("EXPORT_CONCURRENCY", 8, min=1, max=64)

# --- Roles and masking (profileviewer/masking) --------------------------------------------
# Custom traits removed from every answer for a role without the "See the custom traits
# MASKING_RESTRICTED_TRAITS names" permission (sales, and anyone with no role).
MASKING_RESTRICTED_TRAITS = env.list("MASKING_RESTRICTED_TRAITS", ["dateOfBirth"])
# How long an agent's or a host's role is kept in the cache: each request needs it, so a role
# changed in the admin applies within this many seconds (0: read on every request).
MASKING_POLICY_CACHE_SECONDS = env.int("MASKING_POLICY_CACHE_SECONDS", 60, min=0, max=3600)
# Host users have no Django user: the group whose permissions each host's agents take.
ZENDESK_ROLE = env.str("ZENDESK_ROLE", "support")
PIPEDRIVE_ROLE = env.str("PIPEDRIVE_ROLE", "sales")

# --- The audit trail (profileviewer/audit) ------------------------------------------------
# Access records older than this are deleted by `manage.py purge_audit`.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", 365, min=1)
# Records are written by a background thread, off the request's path (off in the tests, which
# flush them into their own database).
AUDIT_BACKGROUND_WRITES = True

# --- Auth, security, i18n -----------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
# Failed sign-ins (agents' and admin's) are counted per account and, separately, per address;
# either reaching the limit refuses sign-in, before any password is hashed (agents/throttle.py).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", 5, min=1, max=1000)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", 15, min=1, max=7 * 24 * 60)
# The number of reverse proxies in front of the app that append to X-Forwarded-For; until it is
# set that header, which any client can write, is never read.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 0, min=0, max=10)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # shared by every process
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "profileviewer.agents.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "profileviewer.agents.throttle.lockout_page"
# A refused attempt is not counted, so the wait the page names holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Reset on success is ours (throttle.forgive_own_failures): axes' would clear the address too.
AXES_RESET_ON_SUCCESS = False
# Failures are kept while they count; no row per successful sign-in, kept for ever.
AXES_DISABLE_ACCESS_LOG = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", *PRODUCT_IMAGE_HOSTS],
    "connect-src": [CSP.SELF],
    "frame-ancestors": env.list("FRAME_ANCESTORS", [CSP.SELF]),
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Every panel request reads the agent's session: from the cache, written through to the DB.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# A sign-in ends after SESSION_IDLE_MINUTES without a request or SESSION_MAX_HOURS in all
# (agents/sessions.py); the cookie lasts no longer than that.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", 30, min=1, max=7 * 24 * 60)
SESSION_MAX_HOURS = env.int("SESSION_MAX_HOURS", 12, min=1, max=14 * 24)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", not _local)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", not _local)
# Framing is governed by the CSP's frame-ancestors (the embeds set their own, and are exempt
# from this header); DENY is for browsers too old to read it.
X_FRAME_OPTIONS = "DENY"

# --- HTTPS --------------------------------------------------------------------------------
# Behind a proxy that ends TLS, the header it sets to "https" (X-Forwarded-Proto). Only set
# it when the proxy always writes that header: any client could write it otherwise.
_proxy_ssl_header = env.optional_str("SECURE_PROXY_SSL_HEADER")
if _proxy_ssl_header and not re.fullmatch(r"[A-Za-z0-9-]+", _proxy_ssl_header):
    env.problem("SECURE_PROXY_SSL_HEADER must be a header name such as X-Forwarded-Proto")
elif _proxy_ssl_header:
    _meta_name = "HTTP_" + _proxy_ssl_header.upper().replace("-", "_")
    SECURE_PROXY_SSL_HEADER = (_meta_name, "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", not _local)
# The load balancer's probes come over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)/?$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 0 if _local else 31_536_000, min=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not _local)
# Preloading commits the whole domain to HTTPS in browsers for months; its owner opts in.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    # The check looks for Django's CSRF middleware by name; ours (agents/csrf.py) subclasses it.
    "security.W003",
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Health, metrics and logs (profileviewer/observability) -------------------------------
# Logs: one line per request and per upstream call; never the auth-token, and customer
# identifiers only at DEBUG. JSON lines unless developing (DEBUG or SANDBOX).
LOG_LEVEL = env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOG_FORMAT = env.choice("LOG_FORMAT", "text" if _local else "json", ("json", "text"))
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, there is no /metrics.
METRICS_TOKEN = env.optional_str("METRICS_TOKEN")
# Set by gunicorn.conf.py: each worker writes its metrics there and /metrics reads them all.
PROMETHEUS_MULTIPROC_DIR = env.optional_str("PROMETHEUS_MULTIPROC_DIR")
if PROMETHEUS_MULTIPROC_DIR:
    # prometheus-client fails at the first metric if the folder is missing, and commands run
    # before gunicorn.conf.py makes it (`manage.py serve`'s checks, an export beside a server).
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
# /readyz's upstream check: one listing call of one profile, given up after this many seconds.
READYZ_UPSTREAM_BUDGET = env.float("READYZ_UPSTREAM_BUDGET", 1.0, min=0.1, max=10)
# ...and made at most once per this many seconds, whoever asks (0: on every probe).
READYZ_UPSTREAM_EVERY = env.float("READYZ_UPSTREAM_EVERY", 5.0, min=0, max=300)

# Last: every missing or bad setting above, named at once, one line each.
env.check()
