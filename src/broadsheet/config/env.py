"""The one typed table of environment settings.

Every setting Broadsheet reads from the environment is declared here, with its type, default and a
one-line description; ``docs/settings.md`` documents each (a test keeps the two in step).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SettingError(ValueError):
    """An environment variable holds a value Broadsheet cannot use."""


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingError(f"expected a boolean (1/0, true/false), got {raw!r}")


def _days(raw: str) -> int:
    """A whole number of days, 0 or more (a negative age would trim everything at once)."""
    value = int(raw)
    if value < 0:
        raise ValueError("expected a number of days, 0 or more")
    return value


def _count(raw: str) -> int:
    """A whole number, 1 or more (a limit of 0 would shut the door on everyone)."""
    value = int(raw)
    if value < 1:
        raise ValueError("expected a whole number, 1 or more")
    return value


def _fraction(raw: str) -> float:
    """A share between 0 and 1 (0.7 is 70%)."""
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError("expected a share between 0 and 1, e.g. 0.7 for 70%")
    return value


def _currency(raw: str) -> str:
    """An ISO 4217 code, stored upper-case as Stripe's lower-case codes are."""
    value = raw.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("expected a three-letter ISO 4217 currency code, e.g. GBP")
    return value


def _per_minute(raw: str) -> int:
    """Requests a minute, 0 or more (0 turns the limit off)."""
    value = int(raw)
    if value < 0:
        raise ValueError("expected requests a minute, 0 or more (0 turns the limit off)")
    return value


def _seconds(raw: str) -> int:
    """A whole number of seconds, 0 or more."""
    value = int(raw)
    if value < 0:
        raise ValueError("expected a number of seconds, 0 or more")
    return value


def _log_format(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"plain", "json"}:
        raise ValueError("expected `plain` or `json`")
    return value


def _list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: str
    help: str

    def read(self, environ: dict[str, str] | os._Environ[str] | None = None) -> Any:
        environ = os.environ if environ is None else environ
        raw = environ.get(self.name, self.default)
        try:
            return self.parse(raw)
        except (ValueError, TypeError) as exc:
            raise SettingError(f"{self.name}={raw!r}: {exc}") from exc


SETTINGS: tuple[Setting, ...] = (
    Setting("BROADSHEET_HOME", str, "./var",
            "Directory for the SQLite database, Huey's queue, the secret key and media."),
    Setting("DATABASE_URL", str, "",
            "Database to use; empty means SQLite at $BROADSHEET_HOME/broadsheet.sqlite3. "
            "Accepts sqlite:///PATH and postgres://USER:PASS@HOST:PORT/NAME."),
    Setting("REDIS_URL", str, "",
            "Redis for Huey's queue and the cache; empty means Huey's SQLite storage and a cache "
            "in files under $BROADSHEET_HOME/cache, shared by the processes of one machine."),
    Setting("BROADSHEET_SECRET_KEY", str, "",
            "Django secret key; empty means one generated once and kept in $BROADSHEET_HOME."),
    Setting("BROADSHEET_DEBUG", _bool, "0", "Django debug mode. Never on in production."),
    Setting("BROADSHEET_ALLOWED_HOSTS", _list, "127.0.0.1,localhost",
            "Comma-separated host names the web server answers to."),
    Setting("BROADSHEET_CSRF_TRUSTED_ORIGINS", _list, "",
            "Comma-separated origins (https://example.com) trusted for CSRF behind a proxy."),
    Setting("BROADSHEET_BEHIND_PROXY", _bool, "0",
            "Set to 1 behind a reverse proxy that sets X-Forwarded-Proto and appends the client's "
            "address to X-Forwarded-For: requests it marks https count as secure (secure "
            "cookies), and the last X-Forwarded-For address is the client's for the API's rate "
            "limits and the sign-in and sign-up limits. Leave 0 when clients reach Broadsheet "
            "directly, or they could claim https, or another address, themselves."),
    Setting("BROADSHEET_RATE_LIMIT_ANONYMOUS", _per_minute, "120",
            "Requests a minute the JSON API (/api/v1/) answers from one client address without "
            "a token or session; more get 429 with Retry-After. 0 turns the limit off."),
    Setting("BROADSHEET_RATE_LIMIT_TOKEN", _per_minute, "600",
            "Requests a minute the JSON API answers per personal token (and per signed-in "
            "browser session's reader). 0 turns the limit off."),
    Setting("BROADSHEET_HSTS_SECONDS", int, "31536000",
            "Behind a proxy (BROADSHEET_BEHIND_PROXY=1), answers to requests that came over "
            "HTTPS carry Strict-Transport-Security with this max-age, so browsers never use "
            "plain HTTP for the site again; 0 sends none."),
    Setting("BROADSHEET_TIME_ZONE", str, "UTC",
            "Default time zone for showing times; times are always stored in UTC."),
    Setting("BROADSHEET_FETCH_ALLOW_PRIVATE", _bool, "0",
            "Allow fetching loopback, private, link-local and multicast addresses "
            "(tests and the offline demo)."),
    Setting("BROADSHEET_FETCH_USER_AGENT", str, "",
            "User-Agent sent with every request; empty means one that names the site and a "
            "contact: Broadsheet/0.1 (+BROADSHEET_SITE_URL; contact: BROADSHEET_FETCH_CONTACT)."),
    Setting("BROADSHEET_FETCH_CONTACT", str, "",
            "Address publishers can write to about Broadsheet's fetching, named in the "
            "User-Agent; empty means the address of BROADSHEET_EMAIL_FROM."),
    Setting("BROADSHEET_FETCH_CONNECT_TIMEOUT", float, "10", "Seconds to wait for a connection."),
    Setting("BROADSHEET_FETCH_READ_TIMEOUT", float, "20", "Seconds to wait between bytes."),
    Setting("BROADSHEET_FETCH_TOTAL_TIMEOUT", float, "60", "Seconds one whole fetch may take."),
    Setting("BROADSHEET_FETCH_MAX_BYTES", int, str(10 * 1024 * 1024),
            "Largest response body accepted, after decompression."),
    Setting("BROADSHEET_FETCH_MAX_REDIRECTS", int, "5", "Redirects followed before giving up."),
    Setting("BROADSHEET_FETCH_CONCURRENCY", int, "50", "Requests in flight at once, overall."),
    Setting("BROADSHEET_FETCH_PER_HOST", int, "2", "Requests in flight at once to one host."),
    Setting("BROADSHEET_FETCH_HOST_DELAY", float, "1.0",
            "Seconds between the start of two requests to the same host (politeness)."),
    Setting("BROADSHEET_FETCH_MAX_ITEMS", _count, "300",
            "New items taken from one source per fetch, newest first; the rest are taken on "
            "the next fetches."),
    Setting("BROADSHEET_IMAGE_MAX_BYTES", _count, str(5 * 1024 * 1024),
            "Largest image the site's image proxy (/img/) fetches from a publisher; larger "
            "ones are refused (HTTP 502)."),
    Setting("BROADSHEET_IMAGE_KEEP_DAYS", _days, "90",
            "Days a kept picture stays on disk after its last view through the site (checked "
            "once a day on each machine); 0 keeps every picture."),
    Setting("BROADSHEET_IMAGE_ALLOW_LOOPBACK", _bool, "0",
            "Let the image proxy fetch from this machine (127.0.0.1, ::1, localhost): tests and "
            "the offline demo. Private and link-local addresses stay refused."),
    Setting("BROADSHEET_SCHEDULE_MIN_INTERVAL", int, "300",
            "Shortest time between two checks of a source, in seconds."),
    Setting("BROADSHEET_SCHEDULE_MAX_INTERVAL", int, "86400",
            "Longest time between two checks of a source, in seconds."),
    Setting("BROADSHEET_SCHEDULE_FAILING_AFTER", int, "5",
            "Consecutive errors after which a source is marked failing."),
    Setting("BROADSHEET_SCHEDULE_LEASE", _count, "900",
            "Seconds a worker holds the sources it claimed; a worker that dies holding them "
            "gives them back when this ends, and a check recorded after it is dropped."),
    Setting("BROADSHEET_EXTRACT_WORKERS", int, "0",
            "Processes used to extract article pages; 0 means one per CPU core."),
    Setting("BROADSHEET_WORKERS", int, "2", "Huey worker threads in `broadsheet worker`/`run`."),
    Setting("BROADSHEET_WEB_WORKERS", int, "0",
            "Web server processes in `broadsheet web`/`run`, each serving one request at a "
            "time; 0 means two per CPU core."),
    Setting("BROADSHEET_WEB_TIMEOUT", int, "30",
            "Seconds one request may take before its web server process is restarted."),
    Setting("BROADSHEET_METRICS_TOKEN", str, "",
            "Bearer token that opens /metrics to clients other than this machine "
            "(`Authorization: Bearer TOKEN`); empty means /metrics answers loopback clients "
            "only."),
    Setting("BROADSHEET_LOG_FORMAT", _log_format, "plain",
            "`plain` log lines for people, or `json`: every line a command writes to standard "
            "error is one JSON object (timestamp, level, logger, message, extra fields), "
            "gunicorn's own and access lines included."),
    Setting("BROADSHEET_WORKER_HEARTBEAT_MAX_AGE", _seconds, "180",
            "/readyz fails when the worker's last heartbeat (written every 30 seconds) is "
            "older than this many seconds; 0 leaves the worker out of readiness."),
    Setting("BROADSHEET_KEEP_TEXT_DAYS", _days, "0",
            "Days an article's full text is kept; older articles keep their headline, teaser, "
            "links and reads, and leave the search index's body part. 0 keeps full text "
            "forever."),
    Setting("BROADSHEET_LOAD_PUBLISHERS", _bool, "1",
            "Load the bundled publisher list on first start of `broadsheet run`."),
    Setting("BROADSHEET_SITE_URL", str, "http://127.0.0.1:8000",
            "The address readers use, for links in emails and feeds."),
    Setting("BROADSHEET_SMTP_URL", str, "",
            "Mail server, smtp://USER:PASS@HOST:PORT (smtps:// for TLS, ?starttls=1 for "
            "STARTTLS); empty means emails are written to $BROADSHEET_HOME/mail/."),
    Setting("BROADSHEET_EMAIL_FROM", str, "Broadsheet <news@localhost>",
            "Sender of password-reset, membership and daily briefing emails."),
    Setting("BROADSHEET_READ_MIN_SECONDS", int, "30",
            "Seconds on an article (or reaching its end) for a member's read to count in the "
            "publishers' statements."),
    Setting("BROADSHEET_PUBLISHER_SHARE", _fraction, "0.7",
            "Share of a month's subscription revenue (paid Stripe invoices) paid out to "
            "publishers in their statements: 0.7 is 70%."),
    Setting("BROADSHEET_CURRENCY", _currency, "GBP",
            "Currency of the publishers' statements (ISO 4217, with two decimals); revenue in "
            "other currencies is left out of a statement's pool."),
    Setting("BROADSHEET_TRIAL_DAYS", int, "14", "Length of the free trial that sign-up starts."),
    Setting("BROADSHEET_SIGNIN_FREE_FAILURES", _count, "5",
            "Wrong passwords for one account from one client address before each further "
            "attempt waits (2, 4, 8 ... seconds after the last failure)."),
    Setting("BROADSHEET_SIGNIN_MAX_DELAY", _count, "900",
            "Longest wait, in seconds, between attempts at one account from one address."),
    Setting("BROADSHEET_SIGNIN_FAILURES_PER_ADDRESS", _count, "20",
            "Wrong passwords from one client address, whatever the accounts, in any 15 "
            "minutes; then that address waits (credential stuffing)."),
    Setting("BROADSHEET_SIGNUPS_PER_ADDRESS", _count, "5",
            "New accounts from one client address in a day; more are refused (HTTP 429)."),
    Setting("BROADSHEET_INSTANT_TRIALS_PER_ADDRESS", _count, "1",
            "Free trials from one client address in a day that start at once; later ones "
            "start when the reader opens the emailed confirmation link."),
    Setting("BROADSHEET_EMAILS_PER_ADDRESS", _count, "3",
            "Account emails (welcome, confirmation, password reset) to one email address in "
            "an hour."),
    Setting("BROADSHEET_CONFIRM_LINK_DAYS", _count, "7",
            "Days an emailed address-confirmation link works."),
    Setting("BROADSHEET_BILLING", str, "none",
            "`stripe` to take payments with Stripe Checkout; `none` runs without payments "
            "(members are made by an admin or `broadsheet users create --member`)."),
    Setting("BROADSHEET_STRIPE_SECRET_KEY", str, "", "Stripe API secret key (sk_...)."),
    Setting("BROADSHEET_STRIPE_WEBHOOK_SECRET", str, "",
            "Signing secret of the Stripe webhook endpoint (whsec_...)."),
    Setting("BROADSHEET_STRIPE_PRICE_ID", str, "",
            "Stripe Price of the monthly membership (price_...)."),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


def env(name: str) -> Any:
    """Read one declared setting from the environment, parsed to its type."""
    return _BY_NAME[name].read()


def home() -> Path:
    path = Path(env("BROADSHEET_HOME")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
