"""Passwords (argon2id), users, API tokens and login protection.

Why it is long: who may come in is one concern — passwords, accounts, tokens, the second factor and its recovery
codes, and the failure counts and locks that every way in shares (the web form, the token endpoint) — and its
rules read each other's state; the sign-in log itself is app/auth/activity.py."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app
from flask_login import LoginManager
from sqlalchemy import bindparam, func, or_, select, update

from app.auth import activity
from app.auth.sessions import address_blocked_until, end_all_sessions, minutes_until, register_address_failure
from app.core.clock import utcnow
from app.core.vocab import Body, Role
from app.db import db
from app.errors import Forbidden, TooManyRequests, Unauthorized, ValidationFailed
from app.models.agencies import Agency
from app.models.auth import ApiToken, RecoveryCode, User

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Tests only (config PASSWORD_HASH_FAST): the same algorithm with minimal cost, so suites stay fast.
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _ph() -> PasswordHasher:
    try:
        fast = bool(current_app.config.get("PASSWORD_HASH_FAST"))
    except RuntimeError:  # outside an application context
        fast = False
    return _fast_hasher if fast else _hasher


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
# A dummy hash verified for unknown emails, so response time does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("tindak-dummy-password")
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "12345678",
        "123456789",
        "1234567890",
        "qwertyuiop",
        "iloveyou",
        "admin123",
        "administrator",
        "passw0rd",
        "bismillah",
        "indonesia",
        "jakarta123",
        "11111111",
        "00000000",
        "abcdefgh",
        "sayang123",
        "qwerty123",
        "password123",
        "rahasia123",
        "rahasia",
    }
)


def hash_password(password: str) -> str:
    return _ph().hash(password)


def check_password_policy(password: str) -> None:
    """ASVS 6.2: length 8..128, not a common password; no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter.", details={"fields": {"password": ["terlalu pendek"]}}
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed("Kata sandi terlalu panjang.", details={"fields": {"password": ["terlalu panjang"]}})
    if password.lower() in COMMON_PASSWORDS:
        raise ValidationFailed(
            "Kata sandi terlalu umum.", details={"fields": {"password": ["kata sandi terlalu umum"]}}
        )


def verify_password(user: User | None, password: str) -> bool:
    """Verify, rehash when parameters changed; constant work for unknown users."""
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return False
    try:
        _ph().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _ph().check_needs_rehash(user.password_hash):
        user.password_hash = _ph().hash(password)
    return True


def create_user(
    email: str,
    password: str,
    role: str,
    *,
    name: str = "",
    agency_code: str | None = None,
    body: str | None = None,
    enforce_policy: bool = True,
) -> User:
    """Create a user after validating role, agency and body; flushes, never commits."""
    email = email.strip().lower()
    fields: dict[str, list[str]] = {}
    if "@" not in email or len(email) > 254:
        fields["email"] = ["alamat email tidak sah"]
    try:
        Role(role)
    except ValueError:
        fields["role"] = [f"peran tidak dikenal; pilih salah satu: {', '.join(r.value for r in Role)}"]
    agency = None
    if agency_code:
        agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
        if agency is None:
            fields["agency"] = [f"instansi dengan kode {agency_code!r} tidak ditemukan"]
    if role == Role.PPK and not agency_code:
        fields["agency"] = ["pengguna PPK wajib terkait dengan instansi (--agency KODE)"]
    if role == Role.OVERSEER:
        if body not in {b.value for b in Body}:
            fields["body"] = ["pengguna pengawas wajib memilih --body menpanrb atau kemendagri"]
    elif body:
        fields["body"] = ["--body hanya untuk peran overseer"]
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        fields["email"] = ["email sudah terdaftar"]
    if fields:
        raise ValidationFailed("Data pengguna tidak valid.", details={"fields": fields})
    if enforce_policy:
        check_password_policy(password)
    user = User(
        email=email,
        name=name or email.split("@")[0],
        password_hash=hash_password(password),
        role=role,
        agency_id=agency.id if agency else None,
        body=body if role == Role.OVERSEER else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def is_locked(user: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return user.locked_until is not None and user.locked_until > now


def lock_ends_at(user: User, now: datetime | None = None) -> datetime | None:
    """When the account's temporary lock ends, while it is locked; otherwise None. Only for an answer that
    already shows the lock (the second-factor step, where the password was right): never for the password."""
    return user.locked_until if is_locked(user, now) else None


def register_failure(user: User | None, now: datetime | None = None) -> None:
    """Count a failed login; after N failures lock for an increasing, bounded time (never permanent)."""
    if user is None:
        return
    now = now or utcnow()
    user.failed_logins += 1
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    if user.failed_logins >= limit:
        # 15 min, 30 min, 60 min ... capped at 2 hours: an attacker can delay, not lock out for long.
        step = min(user.failed_logins - limit, 3)
        minutes = min(current_app.config["LOGIN_LOCK_MINUTES"] * (2**step), 120)
        user.locked_until = now + timedelta(minutes=minutes)


def register_success(user: User, now: datetime | None = None) -> None:
    """A sign-in is complete: the failure count starts again, and the sign-in log has it."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now or utcnow()
    activity.record(activity.SIGN_IN, user=user, now=user.last_login_at)


def register_code_failure(user: User, now: datetime | None = None) -> None:
    """A wrong second-factor code after the right password: counted like a wrong password, and logged."""
    register_failure(user, now)
    activity.sign_in_refused(activity.WRONG_CODE, user=user, now=now)


# One answer for every refused sign-in (unknown email, wrong password, disabled or locked account), by web and
# by API alike: it must not tell whether an email is an account, nor whether a guessed password was right.
SIGN_IN_REFUSED = (
    "Email atau kata sandi salah. Bila keduanya benar, akun mungkin dikunci sementara karena terlalu banyak "
    "percobaan gagal; coba lagi nanti."
)
SECOND_FACTOR_REFUSED = "Kode verifikasi salah."
# Where the answer already shows a block, it says how long it lasts. The address block (429) tells nothing about
# an account; the account's lock is shown only after a wrong second factor, when the password was right.
ADDRESS_BLOCKED = "Terlalu banyak percobaan masuk yang gagal dari alamat ini. Coba lagi dalam {minutes} menit."
LOCKED_AFTER_CODES = (
    "Kode verifikasi salah. Terlalu banyak percobaan yang gagal: akun dikunci sementara. "
    "Coba lagi dalam {minutes} menit."
)


def check_credentials(email: str, password: str, now: datetime | None = None) -> User:
    """The user whose email and password these are, when the account may sign in; else Unauthorized with the
    one answer for every refusal. The password is hashed whatever the case (same work for an unknown email or
    a locked account). A wrong password counts towards the account's lock; the second factor (if any) is still
    to come, so success is not registered here (`register_success` once the sign-in is complete)."""
    now = now or utcnow()
    user = find_user_by_email(email or "")
    ok = verify_password(user, password or "")
    if user is None or not user.is_active or is_locked(user, now) or not ok:
        if user is not None and not ok and not is_locked(user, now):
            register_failure(user, now)
        activity.sign_in_refused(_refusal(user, ok, now), user=user, email=email, now=now)
        raise Unauthorized(SIGN_IN_REFUSED, code="invalid_credentials")
    return user


def _refusal(user: User | None, password_ok: bool, now: datetime) -> str:
    """Why a sign-in was refused, for the administrator's log (the person reads one answer for all)."""
    if user is None:
        return activity.UNKNOWN_ACCOUNT
    if not user.is_active:
        return activity.DISABLED
    if is_locked(user, now):
        return activity.LOCKED
    return activity.WRONG_PASSWORD if not password_ok else activity.LOCKED


def authenticate(email: str, password: str) -> User:
    """Email and password alone, for accounts without a second factor (tests, the CLI): the user, with the
    success registered; raises Unauthorized as `check_credentials` does."""
    user = check_credentials(email, password)
    register_success(user)
    return user


def second_factor_required(user: User) -> bool:
    """A KASN role (investigator, commissioner, admin) must use a second factor when TOTP_REQUIRED is on
    (the default in production): it reads the confidential reporter."""
    return bool(current_app.config.get("TOTP_REQUIRED")) and totp_allowed(user)


def accept_second_factor(user: User, code: str | None, now: datetime | None = None) -> bool:
    """A current TOTP code (6 digits, once) or one of the user's unused recovery codes (once). Flushes."""
    digits = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(digits) == 6 and len((code or "").strip()) <= 7:
        return accept_totp(user, code, now)
    return use_recovery_code(user, code, now)


def sign_in_for_token(email: str, password: str, code: str | None, address: str, now: datetime | None = None) -> User:
    """The API's way in: the same counts and blocks as the web form (per address and per account, in the
    database, so every worker and host sees them), the same answer for every refused password, and the second
    factor in the same request (`totp`: a current code or a recovery code). Flushes; the caller commits even
    when this raises, so the counters persist."""
    now = now or utcnow()
    until = address_blocked_until(address, now)
    if until is not None:
        minutes = minutes_until(until, now)
        activity.sign_in_refused(activity.ADDRESS_BLOCKED, email=email, now=now)
        raise TooManyRequests(
            ADDRESS_BLOCKED.format(minutes=minutes),
            details={"retry_after": until.isoformat(), "retry_after_minutes": minutes},
        )
    try:
        user = check_credentials(email, password, now)
    except Unauthorized:
        register_address_failure(address, now)
        raise
    if user.totp_secret:
        if not (code or "").strip():
            raise Unauthorized(
                "Akun ini memakai verifikasi dua langkah: sertakan kode dari aplikasi autentikator (field totp) "
                "atau kode pemulihan.",
                code="second_factor_required",
            )
        if not accept_second_factor(user, code, now):
            register_code_failure(user, now)
            register_address_failure(address, now)
            locked = lock_ends_at(user, now)
            if locked is not None:  # the password was right: this answer may show the lock it caused
                minutes = minutes_until(locked, now)
                raise Unauthorized(
                    LOCKED_AFTER_CODES.format(minutes=minutes),
                    code="invalid_second_factor",
                    details={"retry_after": locked.isoformat(), "retry_after_minutes": minutes},
                )
            raise Unauthorized(SECOND_FACTOR_REFUSED, code="invalid_second_factor")
    elif second_factor_required(user):
        raise Forbidden(
            "Akun ini wajib memakai verifikasi dua langkah. Aktifkan dahulu di halaman Akun pada web, lalu minta "
            "token dengan kodenya.",
            code="second_factor_enrolment_required",
        )
    register_success(user, now)
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"])
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token), expires_at=expires_at))
    db.session.flush()
    return token, expires_at


@dataclass(frozen=True, slots=True)
class TokenCaller:
    """Who holds a valid bearer token: what authorization and the visibility rule read, without loading the
    user as an entity (the read-only hot paths need nothing more)."""

    id: int
    role: str
    agency_id: int | None
    body: str | None


# One statement object for every request: SQLAlchemy keys and compiles it once (see the case list's).
_CALLER_FOR_TOKEN = (
    select(User.id, User.role, User.agency_id, User.body)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
)


def caller_for_token(token: str) -> TokenCaller | None:
    """The active user holding this bearer token, while the token is neither revoked nor expired."""
    # Columns only: Core execution on the session's connection (no ORM compile or loading step).
    params = {"token_hash": _token_digest(token), "now": utcnow()}
    row = db.session.connection().execute(_CALLER_FOR_TOKEN, params).first()
    return TokenCaller(*row) if row is not None else None


def init_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message = "Silakan masuk untuk membuka halaman ini."
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(user_id: str) -> Any:
        try:
            raw_id, raw_version = user_id.split(":")
            uid, version = int(raw_id), int(raw_version)
        except ValueError:
            return None
        user = db.session.get(User, uid)
        if user is None or not user.is_active or user.session_version != version:
            return None
        return user


# --- Second factor (TOTP), session lifetime and per-address throttling (web sign-in) ---------------------------

TOTP_ISSUER = "Tindak"


def totp_allowed(user: User) -> bool:
    """The optional second factor is offered to KASN roles (investigator, commissioner, admin)."""
    return user.is_kasn


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def totp_step(secret: str | None, code: str | None, now: datetime | None = None) -> int | None:
    """The 30-second step whose code `code` is (one step of clock drift either way), or None."""
    digits = "".join(ch for ch in (code or "") if ch.isdigit())
    if not secret or len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    moment = now or utcnow()
    for drift in (0, -1, 1):
        at = moment + timedelta(seconds=drift * totp.interval)
        if hmac.compare_digest(totp.at(at), digits):
            return totp.timecode(at)
    return None


def accept_totp(user: User, code: str | None, now: datetime | None = None) -> bool:
    """Accept `code` as the user's second factor at most once: the code's step must be later than the last
    accepted one. The step is recorded with a compare-and-set UPDATE, so two requests racing with the same
    code cannot both pass. Flushes (the caller commits)."""
    step = totp_step(user.totp_secret, code, now)
    if step is None:
        return False
    table = User.__table__
    done = db.session.execute(
        update(table)
        .where(table.c.id == user.id, or_(table.c.totp_last_step.is_(None), table.c.totp_last_step < step))
        .values(totp_last_step=step)
    )
    if done.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def enable_totp(user: User, secret: str, code: str) -> None:
    """Turn the second factor on once the user proved the authenticator holds `secret`; flushes."""
    if not totp_allowed(user):
        raise ValidationFailed("Verifikasi dua langkah hanya tersedia untuk peran KASN.")
    step = totp_step(secret, code)
    if step is None:
        raise ValidationFailed("Kode verifikasi salah.", details={"fields": {"code": ["Kode verifikasi salah."]}})
    user.totp_secret = secret
    user.totp_last_step = step  # the code that proved the secret cannot also sign in
    db.session.flush()


def disable_totp(user: User, code: str) -> None:
    """Turn the second factor off; the current code is required so a stolen session cannot do it. Refused
    where the second factor is mandatory."""
    if second_factor_required(user):
        raise ValidationFailed("Verifikasi dua langkah wajib untuk peran Anda dan tidak dapat dimatikan.")
    if not accept_totp(user, code):
        raise ValidationFailed("Kode verifikasi salah.", details={"fields": {"code": ["Kode verifikasi salah."]}})
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    db.session.flush()


def reset_totp(user: User) -> None:
    """Administrator: remove a user's second factor (lost phone) and end the user's sessions and tokens."""
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    end_all_sessions(user)


# --- Recovery codes ------------------------------------------------------------------------------------------

RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)


def _recovery_digest(code: str | None) -> str:
    normal = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return hashlib.sha256(f"tindak-recovery:{normal}".encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODES new ones, returned once to be shown (only their
    digests are kept). Each is 10 characters (about 49 bits): a guess is counted like a wrong code. Flushes."""
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_digest(raw)))
    db.session.flush()
    return codes


def recovery_codes_left(user: User) -> int:
    return int(
        db.session.scalar(select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))
        or 0
    )


def use_recovery_code(user: User, code: str | None, now: datetime | None = None) -> bool:
    """Spend one of the user's recovery codes (compare-and-set: two requests cannot both use it). Flushes."""
    if not user.totp_secret or not (code or "").strip():
        return False
    table = RecoveryCode.__table__
    done = db.session.execute(
        update(table)
        .where(
            table.c.user_id == user.id,
            table.c.code_hash == _recovery_digest(code),
            table.c.used_at.is_(None),
        )
        .values(used_at=now or utcnow())
    )
    return done.rowcount == 1


def change_own_password(user: User, current: str, new: str) -> None:
    """The user changes their password: the current one is required; every session and token ends (the
    caller opens a new session for the browser that asked). Flushes."""
    if not verify_password(user, current or ""):
        raise ValidationFailed(
            "Kata sandi saat ini salah.", details={"fields": {"current_password": ["Kata sandi saat ini salah."]}}
        )
    try:
        check_password_policy(new or "")
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, details={"fields": {"new_password": [exc.message]}}) from exc
    user.password_hash = hash_password(new)
    end_all_sessions(user)
