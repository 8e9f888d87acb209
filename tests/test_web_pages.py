"""The dashboard pages over TestClient (no browser): sign-in and sign-out, session cookie flags, CSRF on every
form, throttling and expiry, and each page admitting or refusing each role as tests/test_api_roles.py declares."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from synth.users import Role
from tests.test_api_roles import PAGE_TABLE

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)
PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD, **extra: str) -> Any:
    form = client.get("/")
    assert form.status_code == 200 and 'name="username"' in form.text and 'name="password"' in form.text
    return client.post("/signin", data={"username": name, "password": password, "csrf_token": csrf_of(form.text),
                                        **extra})


@pytest.fixture
def web(services: Any) -> Any:
    """web(role) -> a TestClient signed in through the form as a new user of `role`."""
    app = create_app(services)

    def _client(role: Role | str = Role.coordinator, name: str | None = None) -> TestClient:
        name = name or f"web-{Role(role).value}"
        services.users.add(name, role, password=PASSWORD)
        client = TestClient(app, follow_redirects=False)
        assert sign_in(client, name).status_code == 303
        return client

    _client.app = app  # type: ignore[attr-defined]
    return _client


def test_sign_in_sets_a_hardened_session_cookie_and_lands_by_role(services: Any, web: Any) -> None:
    services.users.add("cora", "coordinator", password=PASSWORD)
    client = TestClient(web.app, follow_redirects=False)
    res = sign_in(client, "cora")
    assert res.status_code == 303 and res.headers["location"] == "/"
    cookie = next(c for c in res.headers.get_list("set-cookie") if c.startswith("synth_session="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "secure" not in cookie.lower()
    assert client.get("/").status_code == 200 and "City overview" in client.get("/").text

    services.users.add("otto", "note_taker", password=PASSWORD)
    officer = TestClient(web.app, follow_redirects=False)
    assert sign_in(officer, "otto").headers["location"] == "/notes/new"

    services.users.add("hugo", "leadership", password=PASSWORD)
    over_https = TestClient(web.app, follow_redirects=False, base_url="https://testserver")
    res = sign_in(over_https, "hugo")
    cookie = next(c for c in res.headers.get_list("set-cookie") if c.startswith("synth_session="))
    assert "secure" in cookie.lower()
    behind_proxy = TestClient(web.app, follow_redirects=False, headers={"X-Forwarded-Proto": "https"})
    nonce = behind_proxy.get("/signin").headers["set-cookie"]
    assert nonce.startswith("synth_csrf=") and "secure" in nonce.lower()
    assert [e.action for e in services.audit.entries(action="web.")][:1] == ["web.signin"]


def test_sign_in_needs_its_csrf_token_and_says_why_it_refuses(services: Any, web: Any) -> None:
    services.users.add("cora", "coordinator", password=PASSWORD)
    client = TestClient(web.app, follow_redirects=False)
    token = csrf_of(client.get("/signin").text)
    no_token = client.post("/signin", data={"username": "cora", "password": PASSWORD})
    assert no_token.status_code == 403 and "synth_session" not in no_token.headers.get("set-cookie", "")
    other_browser = TestClient(web.app, follow_redirects=False)  # the token without its nonce cookie
    assert other_browser.post("/signin", data={"username": "cora", "password": PASSWORD,
                                               "csrf_token": token}).status_code == 403
    wrong = client.post("/signin", data={"username": "cora", "password": "not the password", "csrf_token": token})
    assert wrong.status_code == 401 and "wrong user name or password" in wrong.text.lower()
    for _ in range(services.users.max_failures):
        client.post("/signin", data={"username": "cora", "password": "still wrong!!", "csrf_token": token})
    locked = client.post("/signin", data={"username": "cora", "password": PASSWORD, "csrf_token": token})
    assert locked.status_code == 429 and "too many failed sign-ins" in locked.text.lower()


def test_sign_out_needs_csrf_and_ends_the_session(web: Any) -> None:
    client = web("admin")
    page = client.get("/")
    assert client.post("/signout", data={}).status_code == 403
    assert client.get("/").status_code == 200 and "City overview" in client.get("/").text
    res = client.post("/signout", data={"csrf_token": csrf_of(page.text)})
    assert res.status_code == 303
    assert 'name="password"' in client.get("/").text  # signed out: the form again
    old = client.cookies.get("synth_session")
    assert old is None or client.get("/", cookies={"synth_session": old}).text.count('name="password"') == 1


def test_an_expired_session_signs_the_visitor_out(services: Any, web: Any) -> None:
    from sqlalchemy import update

    from synth.users import TokenRow

    client = web("leadership")
    assert "City overview" in client.get("/").text
    with services.users._write.begin() as s:
        s.execute(update(TokenRow).where(TokenRow.kind == "session")
                  .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    assert 'name="password"' in client.get("/").text


def test_the_sign_in_redirect_stays_on_this_site(services: Any, web: Any) -> None:
    services.users.add("cora", "coordinator", password=PASSWORD)
    for target, landed in (("/districts/District%201", "/districts/District%201"), ("//evil.example/", "/"),
                           ("https://evil.example/", "/")):
        client = TestClient(web.app, follow_redirects=False)
        assert sign_in(client, "cora", next=target).headers["location"] == landed


def test_each_page_admits_or_refuses_each_role_as_declared(web: Any) -> None:
    clients = {role: web(role) for role in Role}
    anonymous = TestClient(web.app, follow_redirects=False)
    for (method, path), allowed in PAGE_TABLE.items():
        url = re.sub(r"\{[^}]+\}", "x", path)
        res = anonymous.request(method, url)
        if path == "/":
            assert res.status_code == 200 and 'name="password"' in res.text
        else:
            assert res.status_code == 303 and res.headers["location"].startswith("/signin?next="), (path, res)
        for role, client in clients.items():
            # a form is sent with its CSRF token (any page, even a refusal, carries one in the sign-out form)
            data = {"csrf_token": csrf_of(client.get(url).text)} if method == "POST" else None
            res = client.request(method, url, data=data)
            if role in allowed:
                assert res.status_code not in (303, 401, 403), (method, path, role, res.status_code)
            else:
                assert res.status_code == 403, (method, path, role, res.status_code)
                assert "text/html" in res.headers["content-type"]
