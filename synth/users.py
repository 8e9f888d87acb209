"""Users, roles, API tokens and web sessions. Secrets are kept only as hashes.

- **Passwords** (for the web sign-in) are hashed with Argon2id (pwdlib's recommended settings); at least
  MIN_PASSWORD_CHARS characters, nothing else required.
- **API tokens** and **session ids** are 256-bit random strings shown once; the store keeps their SHA-256.
  A slow hash adds nothing for secrets this long, and a fast one lets every request check its token cheaply.
- **Sign-in is throttled per account**: after `max_failures` wrong passwords in a row the account refuses
  sign-in (even with the right password) until `lock_minutes` have passed.
- **Sessions expire** `session_hours` after sign-in; signing out deletes the session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Integer, String, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from synth.db import Base
from synth.db_engine import write_engine
from synth.errors import AccountError
from synth.schema import upgrade

MIN_PASSWORD_CHARS = 12
TOKEN_PREFIX = "synth_"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    leadership = "leadership"
    note_taker = "note_taker"


@dataclass(frozen=True)
class Caller:
    user_id: int
    name: str
    role: Role


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    failed_signins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class TokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "api" (bearer) or "session" (web sign-in)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite returns naive datetimes


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class SignInRefused(Exception):
    """A wrong name or password, or an account locked by too many failures (the message says which)."""


class UserStore:
    def __init__(self, engine: Engine, *, session_hours: float = 12, max_failures: int = 5,
                 lock_minutes: float = 15) -> None:
        upgrade(engine)  # a no-op on a RecordStore's engine (upgraded when opened)
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(write_engine(engine), expire_on_commit=False)
        self.session_hours = session_hours
        self.max_failures = max_failures
        self.lock_minutes = lock_minutes
        from pwdlib import PasswordHash

        self._passwords = PasswordHash.recommended()

    # -- users ------------------------------------------------------------------------------------------------
    def add(self, name: str, role: Role | str, password: str | None = None) -> str:
        """Create a user; returns their first API token."""
        import re

        if not re.match(NAME_PATTERN, name):
            raise AccountError(f"user name {name!r}: use 1-64 letters, digits and . _ @ - (starting with a "
                             "letter or digit)")
        role = self._role(role)
        with self._write.begin() as s:
            if s.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
                raise AccountError(f"user {name!r} already exists")
            row = UserRow(name=name, role=role.value, created_at=_now(), failed_signins=0,
                          password_hash=self._hash_password(password) if password is not None else None)
            s.add(row)
            s.flush()
            return self._new_token(s, row.id, "api", None)

    def list(self) -> list[tuple[str, Role, bool, int]]:
        """(name, role, has a password, live API tokens) per user, by name."""
        with self._read.begin() as s:
            users = s.scalars(select(UserRow).order_by(UserRow.name)).all()
            tokens = s.execute(select(TokenRow.user_id).where(TokenRow.kind == "api")).scalars().all()
        return [(u.name, Role(u.role), u.password_hash is not None, tokens.count(u.id)) for u in users]

    def issue_token(self, name: str) -> str:
        with self._write.begin() as s:
            return self._new_token(s, self._user(s, name).id, "api", None)

    def revoke(self, name: str) -> int:
        """Revoke every API token and session of a user; returns how many."""
        with self._write.begin() as s:
            user = self._user(s, name)
            ids = s.scalars(select(TokenRow.id).where(TokenRow.user_id == user.id)).all()
            s.execute(delete(TokenRow).where(TokenRow.id.in_(ids)))
            return len(ids)

    def set_password(self, name: str, password: str) -> None:
        with self._write.begin() as s:
            user = self._user(s, name)
            user.password_hash = self._hash_password(password)
            user.failed_signins, user.locked_until = 0, None
            s.execute(delete(TokenRow).where(TokenRow.user_id == user.id, TokenRow.kind == "session"))

    def role_of(self, name: str) -> Role:
        with self._read.begin() as s:
            return Role(self._user(s, name).role)

    # -- credentials --------------------------------------------------------------------------------------------
    def authenticate_token(self, token: str, *, kind: str = "api") -> Caller | None:
        """The caller a bearer token (or, with kind="session", a session id) belongs to; None if unknown or
        expired."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self._read.begin() as s:
            found = s.execute(select(TokenRow, UserRow).join(UserRow, UserRow.id == TokenRow.user_id)
                              .where(TokenRow.token_hash == hash_secret(token), TokenRow.kind == kind)).first()
        if found is None:
            return None
        token_row, user = found
        if token_row.expires_at is not None and _aware(token_row.expires_at) <= _now():
            return None
        return Caller(user.id, user.name, Role(user.role))

    def sign_in(self, name: str, password: str) -> tuple[Caller, str]:
        """Check a password; returns the caller and a new session id. Raises SignInRefused."""
        refusal = "wrong user name or password"
        with self._write.begin() as s:  # the failure count must be committed, so refusals are raised after it
            user = s.scalar(select(UserRow).where(UserRow.name == name))
            if user is None or user.password_hash is None:
                self._passwords.hash(password)  # spend the same time as a real check: names are not revealed
                accepted = None
            elif user.locked_until is not None and _aware(user.locked_until) > _now():
                accepted, refusal = None, "too many failed sign-ins: try again later"
            elif not self._passwords.verify(password, user.password_hash):
                failures = user.failed_signins + 1
                locked = _now() + dt.timedelta(minutes=self.lock_minutes) if failures >= self.max_failures else None
                s.execute(update(UserRow).where(UserRow.id == user.id)
                          .values(failed_signins=0 if locked else failures, locked_until=locked))
                accepted = None
            else:
                user.failed_signins, user.locked_until = 0, None
                expires = _now() + dt.timedelta(hours=self.session_hours)  # from now: the check above takes time
                accepted = (Caller(user.id, user.name, Role(user.role)),
                            self._new_token(s, user.id, "session", expires))
        if accepted is None:
            raise SignInRefused(refusal)
        return accepted

    def sign_out(self, session_id: str) -> None:
        with self._write.begin() as s:
            s.execute(delete(TokenRow).where(TokenRow.token_hash == hash_secret(session_id),
                                             TokenRow.kind == "session"))

    # -- helpers ------------------------------------------------------------------------------------------------
    @staticmethod
    def _role(role: Role | str) -> Role:
        try:
            return Role(role)
        except ValueError:
            raise AccountError(f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}") from None

    def _hash_password(self, password: str) -> str:
        if len(password) < MIN_PASSWORD_CHARS:
            raise AccountError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
        return self._passwords.hash(password)

    @staticmethod
    def _user(s: Session, name: str) -> UserRow:
        user = s.scalar(select(UserRow).where(UserRow.name == name))
        if user is None:
            raise AccountError(f"no user named {name!r} (see `synth users list`)")
        return user

    @staticmethod
    def _new_token(s: Session, user_id: int, kind: str, expires: dt.datetime | None) -> str:
        secret = new_secret()
        s.add(TokenRow(user_id=user_id, token_hash=hash_secret(secret), kind=kind, created_at=_now(),
                       expires_at=expires))
        return secret
