"""Django settings, all read from the typed environment table in :mod:`broadsheet.config.env`."""

from __future__ import annotations

import secrets
from email.utils import parseaddr
from pathlib import Path

from broadsheet import __version__, logs

from .cache import cache_config
from .database import database_config, smtp_config
from .env import env, home

BASE_DIR = Path(__file__).resolve().parent.parent
HOME = home()


def _secret_key() -> str:
    configured = env("BROADSHEET_SECRET_KEY")
    if configured:
        return configured
    key_file = HOME / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env("BROADSHEET_DEBUG")
ALLOWED_HOSTS = env("BROADSHEET_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("BROADSHEET_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "huey.contrib.djhuey",
    "broadsheet.readers",
    "broadsheet.sources",
    "broadsheet.curation",
    "broadsheet.stories",
    "broadsheet.articles",
    "broadsheet.audit",
    "broadsheet.publishers",
    "broadsheet.web",
    "broadsheet.api",
    "broadsheet.poll",
]

MIDDLEWARE = [
    "broadsheet.ops.middleware.OperationsMiddleware",  # /healthz, /readyz, /metrics
    "broadsheet.ops.middleware.PageTimingMiddleware",
    "broadsheet.web.malformed.MalformedRequestMiddleware",  # a NUL in the address: 400
    "django.middleware.security.SecurityMiddleware",
    "broadsheet.web.security.SecurityHeadersMiddleware",
    "broadsheet.readers.middleware.SecureCookiesOverHttpsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "broadsheet.api.ratelimit.RateLimitMiddleware",
    "broadsheet.web.middleware.ReaderTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "broadsheet.config.urls"
WSGI_APPLICATION = "broadsheet.config.wsgi.application"

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
                "broadsheet.web.context_processors.navigation",
                "broadsheet.web.context_processors.editor",
            ],
        },
    },
]

DATABASES = {"default": database_config(env("DATABASE_URL"), HOME)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "readers.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "en"
TIME_ZONE = env("BROADSHEET_TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Trust X-Forwarded-Proto (and the client address the proxy appends to X-Forwarded-For) only
# behind a reverse proxy that sets them.
BEHIND_PROXY = env("BROADSHEET_BEHIND_PROXY")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Strict-Transport-Security on answers to requests that came over HTTPS (SecurityMiddleware).
    SECURE_HSTS_SECONDS = max(0, env("BROADSHEET_HSTS_SECONDS"))

# JSON API rate limits, requests a minute (0: off); counted in the cache, so in Redis when set.
RATE_LIMIT_ANONYMOUS = env("BROADSHEET_RATE_LIMIT_ANONYMOUS")
RATE_LIMIT_TOKEN = env("BROADSHEET_RATE_LIMIT_TOKEN")

REDIS_URL = env("REDIS_URL")
CACHES = cache_config(REDIS_URL, HOME)
if REDIS_URL:
    HUEY = {"huey_class": "huey.RedisHuey", "name": "broadsheet", "url": REDIS_URL,
            "immediate": False}
else:
    HUEY = {"huey_class": "huey.SqliteHuey", "name": "broadsheet",
            "filename": str(HOME / "huey.sqlite3"), "immediate": False}
HUEY["consumer"] = {"workers": env("BROADSHEET_WORKERS"), "worker_type": "thread"}

# One line per event on stderr, plain or JSON (broadsheet.logs); Huey's loggers included.
LOG_FORMAT = env("BROADSHEET_LOG_FORMAT")
LOGGING = logs.config(LOG_FORMAT)
METRICS_TOKEN = env("BROADSHEET_METRICS_TOKEN")
WORKER_HEARTBEAT_MAX_AGE = env("BROADSHEET_WORKER_HEARTBEAT_MAX_AGE")


def _fetch_user_agent() -> str:
    """Who is fetching, for what site and how to reach them (robots.txt token: Broadsheet)."""
    configured = env("BROADSHEET_FETCH_USER_AGENT")
    if configured:
        return configured
    contact = env("BROADSHEET_FETCH_CONTACT") or parseaddr(env("BROADSHEET_EMAIL_FROM"))[1]
    version = ".".join(__version__.split(".")[:2])
    return f"Broadsheet/{version} (+{env('BROADSHEET_SITE_URL').rstrip('/')}; contact: {contact})"


# Fetch policy (read by broadsheet.ingest.fetch through FetchPolicy.from_settings()).
FETCH = {
    "allow_private": env("BROADSHEET_FETCH_ALLOW_PRIVATE"),
    "user_agent": _fetch_user_agent(),
    "connect_timeout": env("BROADSHEET_FETCH_CONNECT_TIMEOUT"),
    "read_timeout": env("BROADSHEET_FETCH_READ_TIMEOUT"),
    "total_timeout": env("BROADSHEET_FETCH_TOTAL_TIMEOUT"),
    "max_bytes": env("BROADSHEET_FETCH_MAX_BYTES"),
    "max_redirects": env("BROADSHEET_FETCH_MAX_REDIRECTS"),
    "concurrency": env("BROADSHEET_FETCH_CONCURRENCY"),
    "per_host": env("BROADSHEET_FETCH_PER_HOST"),
    "host_delay": env("BROADSHEET_FETCH_HOST_DELAY"),
    "max_items": env("BROADSHEET_FETCH_MAX_ITEMS"),
}
IMAGES = {
    "max_bytes": env("BROADSHEET_IMAGE_MAX_BYTES"),
    "allow_loopback": env("BROADSHEET_IMAGE_ALLOW_LOOPBACK"),
    "keep_days": env("BROADSHEET_IMAGE_KEEP_DAYS"),
}
SCHEDULE = {
    "min_interval": env("BROADSHEET_SCHEDULE_MIN_INTERVAL"),
    "max_interval": env("BROADSHEET_SCHEDULE_MAX_INTERVAL"),
    "failing_after": env("BROADSHEET_SCHEDULE_FAILING_AFTER"),
}
SCHEDULE_LEASE = env("BROADSHEET_SCHEDULE_LEASE")
EXTRACT_WORKERS = env("BROADSHEET_EXTRACT_WORKERS")
WEB = {"workers": env("BROADSHEET_WEB_WORKERS"), "timeout": env("BROADSHEET_WEB_TIMEOUT")}
KEEP_TEXT_DAYS = env("BROADSHEET_KEEP_TEXT_DAYS")
LOAD_PUBLISHERS = env("BROADSHEET_LOAD_PUBLISHERS")

SITE_URL = env("BROADSHEET_SITE_URL").rstrip("/")
TRIAL_DAYS = env("BROADSHEET_TRIAL_DAYS")
# Sign-in and sign-up limits (read by broadsheet.readers.throttle and .signups).
SIGNIN_LIMITS = {
    "free_failures": env("BROADSHEET_SIGNIN_FREE_FAILURES"),
    "max_delay": env("BROADSHEET_SIGNIN_MAX_DELAY"),
    "per_address": env("BROADSHEET_SIGNIN_FAILURES_PER_ADDRESS"),
    "signups_per_address": env("BROADSHEET_SIGNUPS_PER_ADDRESS"),
    "instant_trials_per_address": env("BROADSHEET_INSTANT_TRIALS_PER_ADDRESS"),
    "emails_per_address": env("BROADSHEET_EMAILS_PER_ADDRESS"),
    "confirm_link_days": env("BROADSHEET_CONFIRM_LINK_DAYS"),
}
READ_MIN_SECONDS = env("BROADSHEET_READ_MIN_SECONDS")
PUBLISHER_SHARE = env("BROADSHEET_PUBLISHER_SHARE")
CURRENCY = env("BROADSHEET_CURRENCY")
BILLING = env("BROADSHEET_BILLING")
STRIPE = {
    "secret_key": env("BROADSHEET_STRIPE_SECRET_KEY"),
    "webhook_secret": env("BROADSHEET_STRIPE_WEBHOOK_SECRET"),
    "price_id": env("BROADSHEET_STRIPE_PRICE_ID"),
}
DEFAULT_FROM_EMAIL = env("BROADSHEET_EMAIL_FROM")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_smtp = smtp_config(env("BROADSHEET_SMTP_URL"))
if _smtp:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS,
     EMAIL_USE_SSL) = _smtp
    EMAIL_TIMEOUT = 10  # seconds; the welcome email is sent in the background
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = HOME / "mail"

LOGIN_URL = "signin"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
