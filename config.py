"""Configuration: every setting read from the environment in one place, with safe defaults.

`load_config()` reads the environment when called (never at import), so tests and embedding pass
`overrides` to `create_app` instead of mutating anything global.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105 - refused in production


class ConfigError(RuntimeError):
    """The configuration cannot be used (e.g. production with the development secret key)."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "y"}


def _int(value: str | None, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"expected an integer, got {value!r}") from exc


def _list(value: str | None) -> list[str]:
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_chain_keys(value: Any) -> list[tuple[str, str]]:
    """AUDIT_CHAIN_KEYS, `id:secret,id:secret,…` (or a list of `id:secret`), as (id, secret) pairs: the first
    key signs new history rows and checkpoints, the others only verify what they signed (docs/audit.md)."""
    if not value:
        return []
    items = _list(value) if isinstance(value, str) else [str(item).strip() for item in value]
    keys: list[tuple[str, str]] = []
    for item in items:
        key_id, _, secret = item.partition(":")
        key_id, secret = key_id.strip(), secret.strip()
        if not (0 < len(key_id) <= 16 and all(c.isascii() and (c.isalnum() or c in "._-") for c in key_id)):
            raise ConfigError(f"AUDIT_CHAIN_KEYS: key id {key_id!r} must be 1-16 of A-Z a-z 0-9 . _ -")
        if not secret:
            raise ConfigError(f"AUDIT_CHAIN_KEYS: key {key_id!r} has no secret (write id:secret)")
        if key_id in {k for k, _ in keys}:
            raise ConfigError(f"AUDIT_CHAIN_KEYS: key id {key_id!r} appears twice")
        keys.append((key_id, secret))
    return keys


def normalize_database_url(url: str) -> str:
    """Map the common `postgres://` / `postgresql://` spellings to the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'tindak.db'}"


def default_base_url(env: Mapping[str, str]) -> str:
    """Where links in emails point when BASE_URL is unset: the address `make run` serves on (HOST, PORT; by
    default 127.0.0.1:5000). A wildcard host (0.0.0.0, ::) is not an address to open, so links name the loopback."""
    host = (env.get("HOST") or "").strip() or "127.0.0.1"
    port = _int(env.get("PORT"), 5000)
    if host in ("0.0.0.0", "::", "[::]"):  # noqa: S104 - a host read, not bound
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def load_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the configuration mapping from environment variables (DESIGN §7)."""
    env = os.environ if environ is None else environ
    tindak_env = env.get("TINDAK_ENV", "development").strip().lower()
    return {
        "TINDAK_ENV": tindak_env,
        "SECRET_KEY": env.get("SECRET_KEY") or DEV_SECRET_KEY,
        "DATABASE_URL": env.get("DATABASE_URL") or default_database_url(),
        # PostgreSQL: let psycopg prepare statements a connection runs often (off behind a pooler that cannot
        # track them: PgBouncer older than 1.21 in transaction mode, docs/operations.md)
        "DATABASE_PREPARED_STATEMENTS": _bool(env.get("DATABASE_PREPARED_STATEMENTS"), default=True),
        "DATABASE_PRE_PING": _bool(env.get("DATABASE_PRE_PING"), default=False),
        # mail
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _int(env.get("MAIL_PORT"), 25),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "Tindak <noreply@tindak.local>"),
        "MAIL_TIMEOUT": _int(env.get("MAIL_TIMEOUT"), 30),
        "OUTBOX_MAX_ATTEMPTS": _int(env.get("OUTBOX_MAX_ATTEMPTS"), 8),
        "OUTBOX_BATCH_SIZE": _int(env.get("OUTBOX_BATCH_SIZE"), 200),
        # workflow
        "FOLLOW_UP_WORKING_DAYS": _int(env.get("FOLLOW_UP_WORKING_DAYS"), 14),
        "SCHEDULER_ENABLED": _bool(env.get("SCHEDULER_ENABLED"), default=True),
        "BASE_URL": (env.get("BASE_URL") or default_base_url(env)).rstrip("/"),
        "OVERSIGHT_AUTHORITY_NAME": env.get("OVERSIGHT_AUTHORITY_NAME", "KASN"),
        # who signs the authority's letters (app/letters/numbering.py signer_for): the official's name, and a title
        # replacing the one on the authority's row; each issued letter keeps what it said (issued_letters)
        "LETTER_SIGNATORY_NAME": (env.get("LETTER_SIGNATORY_NAME") or "").strip(),
        "LETTER_SIGNATORY_TITLE": (env.get("LETTER_SIGNATORY_TITLE") or "").strip(),
        "ESCALATION_RECIPIENTS_MENPANRB": _list(env.get("ESCALATION_RECIPIENTS_MENPANRB")),
        "ESCALATION_RECIPIENTS_KEMENDAGRI": _list(env.get("ESCALATION_RECIPIENTS_KEMENDAGRI")),
        "ESCALATION_RECIPIENTS_KASN": _list(env.get("ESCALATION_RECIPIENTS_KASN")),
        "ESCALATION_RECIPIENTS_BKN": _list(env.get("ESCALATION_RECIPIENTS_BKN")),
        # production: `flask scheduler run` starts without a mailbox for a level-2 target only when this is true
        "ESCALATION_RECIPIENTS_OPTIONAL": _bool(env.get("ESCALATION_RECIPIENTS_OPTIONAL")),
        # escalation ladder as JSON (app/escalations/ladder.py; unset = the DESIGN §4 defaults), the working
        # hours emails to people wait for, the scheduler's intervals and the sweep's batch (0 = by database)
        "ESCALATION_LADDER": env.get("ESCALATION_LADDER") or None,
        # how many levels earlier an incumbent PPK's neutrality cases climb (the PPK in office is a candidate in the
        # case's election: app/escalations/ladder.py `incumbent_ladder`); 0 turns it off
        "INCUMBENT_ESCALATION_SHIFT": _int(env.get("INCUMBENT_ESCALATION_SHIFT"), 1),
        "WORKING_HOURS_START": env.get("WORKING_HOURS_START") or "08:00",
        "WORKING_HOURS_END": env.get("WORKING_HOURS_END") or "16:00",
        "SCHEDULER_SWEEP_SECONDS": _int(env.get("SCHEDULER_SWEEP_SECONDS"), 300),
        "SCHEDULER_OUTBOX_SECONDS": _int(env.get("SCHEDULER_OUTBOX_SECONDS"), 30),
        "ESCALATION_SWEEP_BATCH_SIZE": _int(env.get("ESCALATION_SWEEP_BATCH_SIZE"), 0),
        # weekly digest of escalated cases to each ministry (app/escalations/digest.py): on/off, and when
        # the scheduler sends it (day name mon … sun or senin … minggu, hour 0–23, in WIB)
        "DIGEST_ENABLED": _bool(env.get("DIGEST_ENABLED"), default=True),
        "DIGEST_WEEKDAY": (env.get("DIGEST_WEEKDAY") or "mon").strip().lower(),
        "DIGEST_HOUR": _int(env.get("DIGEST_HOUR"), 8),
        # how many open cases (by lateness) and ended ones the digest lists; the rest are counted and linked
        "DIGEST_TOP": _int(env.get("DIGEST_TOP"), 50),
        # the bodies (menpanrb, kemendagri; comma-separated) whose digest carries the full list as a CSV attachment
        "DIGEST_CSV": (env.get("DIGEST_CSV") or "").strip(),
        # how long the dashboard's figures of one scope are kept (seconds; 0: counted at every view)
        "DASHBOARD_CACHE_SECONDS": _int(env.get("DASHBOARD_CACHE_SECONDS"), 60),
        # the daily email of the bell's unread notices (app/inbox/digest.py): on/off, the time of day in each
        # person's zone (working days only), and how often the scheduler looks for people whose moment passed
        "NOTIFY_DIGEST_ENABLED": _bool(env.get("NOTIFY_DIGEST_ENABLED"), default=True),
        "NOTIFY_DIGEST_TIME": (env.get("NOTIFY_DIGEST_TIME") or "07:00").strip(),
        "SCHEDULER_NOTICE_DIGEST_SECONDS": _int(env.get("SCHEDULER_NOTICE_DIGEST_SECONDS"), 900),
        # storage and limits
        "ATTACHMENT_DIR": env.get("ATTACHMENT_DIR") or str(INSTANCE_DIR / "attachments"),
        # the history chain's keys (`id:secret,…`, the first signs; required in production) and its signed
        # checkpoints: directory (unset: instance/audit-checkpoints, none under TESTING) and interval
        "AUDIT_CHAIN_KEYS": env.get("AUDIT_CHAIN_KEYS") or None,
        "AUDIT_CHECKPOINT_DIR": env.get("AUDIT_CHECKPOINT_DIR") or None,
        "AUDIT_CHECKPOINT_SECONDS": _int(env.get("AUDIT_CHECKPOINT_SECONDS"), 86400),
        # mailboxes outside this system that receive each checkpoint's global head (comma-separated)
        "AUDIT_CHECKPOINT_RECIPIENTS": _list(env.get("AUDIT_CHECKPOINT_RECIPIENTS")),
        # IM-NKK method overrides: a JSON file merged over the defaults of app/index/method.py
        "INDEX_METHOD_FILE": env.get("INDEX_METHOD_FILE") or None,
        "MAX_CONTENT_LENGTH": _int(env.get("MAX_UPLOAD_BYTES"), 20 * 1024 * 1024),
        "API_TOKEN_TTL_HOURS": _int(env.get("API_TOKEN_TTL_HOURS"), 12),
        "SESSION_IDLE_MINUTES": _int(env.get("SESSION_IDLE_MINUTES"), 30),
        "LOGIN_MAX_FAILURES": _int(env.get("LOGIN_MAX_FAILURES"), 5),
        "LOGIN_LOCK_MINUTES": _int(env.get("LOGIN_LOCK_MINUTES"), 15),
        # per client address, for the web form and the API alike (counted in the database)
        "LOGIN_IP_MAX_FAILURES": _int(env.get("LOGIN_IP_MAX_FAILURES"), 20),
        "LOGIN_IP_WINDOW_MINUTES": _int(env.get("LOGIN_IP_WINDOW_MINUTES"), 15),
        "LOGIN_IP_BLOCK_MINUTES": _int(env.get("LOGIN_IP_BLOCK_MINUTES"), 5),
        # second factor mandatory for KASN roles and admins (unset: on in production, off elsewhere)
        "TOTP_REQUIRED": _bool(env.get("TOTP_REQUIRED"), default=tindak_env == "production"),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        # public figures (/publik, /api/v1/public/): the suppression threshold, a year published unless an
        # administrator withheld it, the refresh interval, the per-address request limit and the cache lifetime
        "PUBLIC_THRESHOLD": _int(env.get("PUBLIC_THRESHOLD"), 5),
        "PUBLIC_PUBLISH_DEFAULT": _bool(env.get("PUBLIC_PUBLISH_DEFAULT"), default=True),
        "SCHEDULER_PUBLIC_SECONDS": _int(env.get("SCHEDULER_PUBLIC_SECONDS"), 1800),
        "PUBLIC_RATE_LIMIT": env.get("PUBLIC_RATE_LIMIT", "300 per minute"),
        "PUBLIC_MAX_AGE": _int(env.get("PUBLIC_MAX_AGE"), 300),
        "PUBLIC_CACHE_SECONDS": _int(env.get("PUBLIC_CACHE_SECONDS"), 10),
        # the national civil-service register (app/people/register.py): `siasn` (BKN's web services), `file` (the
        # register imported as CSV/XLSX with `flask people import-register`) or `none`; the scheduler refreshes
        # people in the background, never the case workflow
        "REGISTER_ADAPTER": (env.get("REGISTER_ADAPTER") or "file").strip().lower(),
        "SIASN_BASE_URL": (env.get("SIASN_BASE_URL") or "https://apimws.bkn.go.id:8243").rstrip("/"),
        "SIASN_TOKEN_URL": env.get("SIASN_TOKEN_URL") or "https://apimws.bkn.go.id/oauth2/token",
        "SIASN_CONSUMER_KEY": env.get("SIASN_CONSUMER_KEY") or None,
        "SIASN_CONSUMER_SECRET": env.get("SIASN_CONSUMER_SECRET") or None,
        "SIASN_SSO_TOKEN": env.get("SIASN_SSO_TOKEN") or None,
        "REGISTER_TIMEOUT_SECONDS": _int(env.get("REGISTER_TIMEOUT_SECONDS"), 5),
        "REGISTER_REFRESH_SECONDS": _int(env.get("REGISTER_REFRESH_SECONDS"), 3600),
        "REGISTER_REFRESH_BATCH": _int(env.get("REGISTER_REFRESH_BATCH"), 50),
        "REGISTER_STALE_HOURS": _int(env.get("REGISTER_STALE_HOURS"), 24),
        "REGISTER_BREAKER_FAILURES": _int(env.get("REGISTER_BREAKER_FAILURES"), 3),
        "REGISTER_BREAKER_SECONDS": _int(env.get("REGISTER_BREAKER_SECONDS"), 300),
        # Personal data past its retention period (app/people/retention.py, docs/personal-data.md): reported by
        # `flask people retention`; pseudonymised only when RETENTION_PSEUDONYMISE is on (`--apply`, and the
        # scheduler every RETENTION_SECONDS), RETENTION_BATCH records per transaction, with a keyed hash under
        # PSEUDONYM_KEY (derived from SECRET_KEY when unset: the same person keeps the same pseudonym).
        "RETENTION_PSEUDONYMISE": _bool(env.get("RETENTION_PSEUDONYMISE"), False),
        "RETENTION_SECONDS": _int(env.get("RETENTION_SECONDS"), 86400),
        "RETENTION_BATCH": _int(env.get("RETENTION_BATCH"), 500),
        "PSEUDONYM_KEY": env.get("PSEUDONYM_KEY") or None,
    }


RECIPIENT_SETTINGS = (
    *(f"ESCALATION_RECIPIENTS_{target}" for target in ("MENPANRB", "KEMENDAGRI", "KASN", "BKN")),
    "AUDIT_CHECKPOINT_RECIPIENTS",
)


def recipient_setting(key: str, value: Any) -> list[str]:
    """An `ESCALATION_RECIPIENTS_*` value (a comma-separated string, or a list, from the environment or from
    `create_app` overrides) as a list of addresses; ConfigError naming what is not an email address."""
    from app.core.addresses import InvalidAddresses, address_list

    try:
        return address_list(value)
    except InvalidAddresses as exc:
        raise ConfigError(f"{key}: bukan alamat email: {exc}") from exc


def finalize(config: dict[str, Any]) -> dict[str, Any]:
    """Derive the library settings from ours and validate; called after overrides are applied."""
    config["DATABASE_URL"] = normalize_database_url(config["DATABASE_URL"])
    config.setdefault("SQLALCHEMY_DATABASE_URI", config["DATABASE_URL"])
    config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(config["SQLALCHEMY_DATABASE_URI"])
    production = config.get("TINDAK_ENV") == "production"
    for key in RECIPIENT_SETTINGS:
        config[key] = recipient_setting(key, config.get(key))
    if production and config.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY):
        raise ConfigError("SECRET_KEY must be set to a secret value in production (TINDAK_ENV=production)")
    if production and len(str(config["SECRET_KEY"])) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters in production")
    chain_keys = parse_chain_keys(config.get("AUDIT_CHAIN_KEYS"))
    if production and not chain_keys:
        raise ConfigError("AUDIT_CHAIN_KEYS must be set in production (TINDAK_ENV=production): see docs/audit.md")
    if production and any(len(secret) < 32 for _, secret in chain_keys):
        raise ConfigError("every AUDIT_CHAIN_KEYS secret must be at least 32 characters in production")
    config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    config.setdefault("SESSION_COOKIE_SECURE", production)
    config.setdefault("REMEMBER_COOKIE_SECURE", production)
    config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    config.setdefault("PERMANENT_SESSION_LIFETIME", 8 * 3600)
    # A server connection can drop (restart, failover). No ping per checkout (a round trip before every
    # request: a third statement per list page): a statement that meets a dead connection raises a disconnect
    # error, SQLAlchemy invalidates that connection and every pooled one older than it, the request answers 503
    # (app.errors) and the next request gets a fresh connection; a scheduler job runs once more
    # (app.scheduling.run_job). TCP keepalives find connections the network dropped while idle, and
    # pool_recycle replaces them before middleboxes forget them. DATABASE_PRE_PING=1 brings the ping back (a
    # proxy that drops idle connections silently).
    on_server = not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    engine_options: dict[str, Any] = {"pool_pre_ping": on_server and bool(config.get("DATABASE_PRE_PING"))}
    if on_server:
        engine_options["pool_recycle"] = 1800
        connect_args: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10}
        connect_args["keepalives_count"] = 3
        if not config.get("DATABASE_PREPARED_STATEMENTS", True):
            connect_args["prepare_threshold"] = None  # psycopg: never prepare
        engine_options["connect_args"] = connect_args
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options)
    config.setdefault("MAIL_SUPPRESS_SEND", False)
    config.setdefault("BABEL_DEFAULT_LOCALE", "id")
    config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")
    config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(BASE_DIR / "translations"))
    config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    config.setdefault("API_TITLE", "Tindak API")
    config.setdefault("API_VERSION", "v1")
    config.setdefault("OPENAPI_VERSION", "3.0.3")
    config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    config.setdefault("RATELIMIT_ENABLED", not config.get("TESTING", False))
    config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    return config
