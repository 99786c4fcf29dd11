"""Turn ``DATABASE_URL`` and ``BROADSHEET_SMTP_URL`` into Django settings."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from .env import SettingError

SQLITE_OPTIONS = {
    # WAL lets the web process read while the worker writes; IMMEDIATE write transactions take
    # the write lock up front so that neither process fails half-way with "database is locked".
    # A page cache of 64 MB and reads through memory mapping (256 MB) keep a large store's
    # indexes in memory; connections are kept between requests (CONN_MAX_AGE below), so these
    # are set once per thread rather than once per request.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                    " PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
}


def sqlite_config(path: Path) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path),
            "CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True, "OPTIONS": dict(SQLITE_OPTIONS)}


def database_config(url: str, home: Path) -> dict:
    """Parse ``sqlite:///path`` or ``postgres://user:pass@host:port/name?opt=v``."""
    if not url:
        return sqlite_config(home / "broadsheet.sqlite3")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        raw_path = unquote(parts.path)
        if raw_path in {"", "/"}:
            raise SettingError(
                f"DATABASE_URL={url!r}: sqlite URL needs a path, e.g. sqlite:///var/db.sqlite3")
        # sqlite:///relative/path and sqlite:////absolute/path, as commonly written.
        path = Path(raw_path[1:])
        return sqlite_config(path if path.is_absolute() else Path.cwd() / path)
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise SettingError(f"DATABASE_URL={url!r}: PostgreSQL URL needs a database name")
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise SettingError(
        f"DATABASE_URL={url!r}: unsupported scheme {scheme!r} (use sqlite or postgres)")


def smtp_config(url: str) -> tuple[str, int, str, str, bool, bool] | None:
    """``smtp://user:pass@host:port`` -> (host, port, user, password, use_tls, use_ssl)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise SettingError(f"BROADSHEET_SMTP_URL={url!r}: expected smtp://HOST:PORT or smtps://")
    ssl = parts.scheme == "smtps"
    starttls = parse_qs(parts.query).get("starttls", ["0"])[-1] in {"1", "true", "yes"}
    return (parts.hostname, parts.port or (465 if ssl else 25), unquote(parts.username or ""),
            unquote(parts.password or ""), starttls, ssl)
