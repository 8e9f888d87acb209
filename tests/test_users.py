"""Accounts: roles, API tokens and web sessions kept only as hashes, sign-in throttled per account, sessions
that expire, and the `synth users` / `synth audit` commands."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from synth.errors import AccountError
from synth.users import Role, SignInRefused, UserStore

PASSWORD = "correct horse battery"


@pytest.fixture
def users(tmp_path: Path) -> UserStore:
    return UserStore(create_engine(f"sqlite:///{tmp_path / 'u.db'}"), session_hours=1, max_failures=3,
                     lock_minutes=0.05)


def test_a_token_names_its_user_and_role_until_revoked(users: UserStore) -> None:
    token = users.add("ana", "coordinator")
    second = users.issue_token("ana")
    caller = users.authenticate_token(token)
    assert caller is not None and (caller.name, caller.role) == ("ana", Role.coordinator)
    assert users.authenticate_token(second) == caller
    assert users.authenticate_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert users.authenticate_token("not-a-token") is None
    assert users.revoke("ana") == 2
    assert users.authenticate_token(token) is None and users.authenticate_token(second) is None


def test_only_hashes_of_secrets_are_stored(users: UserStore, tmp_path: Path) -> None:
    token = users.add("ben", "leadership", PASSWORD)
    _, session = users.sign_in("ben", PASSWORD)
    stored = (tmp_path / "u.db").read_bytes()
    for secret in (token, session, PASSWORD):
        assert secret.encode() not in stored
    assert b"$argon2id$" in stored


@pytest.mark.parametrize(("name", "role", "password", "message"), [
    ("cat", "sheriff", None, "unknown role"),
    ("has space", "admin", None, "user name"),
    ("dan", "admin", "short", "at least 12"),
])
def test_bad_accounts_are_refused_with_a_reason(users: UserStore, name: str, role: str, password: str | None,
                                               message: str) -> None:
    with pytest.raises(AccountError, match=message):
        users.add(name, role, password)
    assert users.list() == []


def test_a_name_is_taken_once(users: UserStore) -> None:
    users.add("eve", "admin")
    with pytest.raises(AccountError, match="already exists"):
        users.add("eve", "note_taker")


def test_sign_in_is_throttled_per_account_and_recovers(users: UserStore) -> None:
    users.add("fay", "coordinator", PASSWORD)
    users.add("gus", "coordinator", PASSWORD)
    for _ in range(3):
        with pytest.raises(SignInRefused, match="wrong"):
            users.sign_in("fay", "wrong password 123")
    with pytest.raises(SignInRefused, match="too many"):
        users.sign_in("fay", PASSWORD)  # locked even with the right password
    caller, _ = users.sign_in("gus", PASSWORD)  # another account is not affected
    assert caller.name == "gus"
    time.sleep(3.2)  # lock_minutes=0.05: 3 s
    assert users.sign_in("fay", PASSWORD)[0].name == "fay"


def test_unknown_users_and_wrong_passwords_get_the_same_answer(users: UserStore) -> None:
    users.add("hal", "leadership", PASSWORD)
    with pytest.raises(SignInRefused) as unknown:
        users.sign_in("nobody", PASSWORD)
    with pytest.raises(SignInRefused) as wrong:
        users.sign_in("hal", "not the password")
    assert str(unknown.value) == str(wrong.value)


def test_sessions_expire_and_end_on_sign_out_or_password_change(tmp_path: Path) -> None:
    users = UserStore(create_engine(f"sqlite:///{tmp_path / 's.db'}"), session_hours=1.5 / 3600)
    users.add("ivy", "leadership", PASSWORD)
    _, short = users.sign_in("ivy", PASSWORD)
    assert users.authenticate_token(short, kind="session") is not None
    assert users.authenticate_token(short) is None  # a session id is not an API token
    time.sleep(1.6)
    assert users.authenticate_token(short, kind="session") is None
    users.session_hours = 1
    _, signed_out = users.sign_in("ivy", PASSWORD)
    users.sign_out(signed_out)
    assert users.authenticate_token(signed_out, kind="session") is None
    _, changed = users.sign_in("ivy", PASSWORD)
    users.set_password("ivy", "another long password")
    assert users.authenticate_token(changed, kind="session") is None


def _synth(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "synth.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_users_commands_print_a_working_token_and_are_audited(cli_env: Path) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from synth.services import Services
    from synth.settings import Settings

    added = _synth("users", "add", "jo", "--role", "leadership", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    assert _synth("users", "add", "jo", "--role", "admin").returncode == 1
    short = _synth("users", "add", "kim", "--role", "admin", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least 12" in short.stderr
    listed = _synth("users", "list", "--json")
    assert '"name": "jo", "role": "leadership", "password": true, "tokens": 1' in listed.stdout

    svc: Any = Services(Settings())
    try:
        client = TestClient(create_app(svc))
        assert client.get("/districts", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert _synth("users", "revoke", "jo").returncode == 0
        assert client.get("/districts", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    finally:
        svc.close()
    assert _synth("users", "password", "jo", "--password-stdin", stdin="a new long password\n").returncode == 0
    audit = _synth("audit", "--action", "users.", "--json")
    actions = [e["action"] for e in __import__("json").loads(audit.stdout)]
    assert actions == ["users.password", "users.revoke", "users.add"]
    assert PASSWORD not in audit.stdout and token not in audit.stdout
