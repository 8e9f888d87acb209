"""The dashboard pages over TestClient (no browser): sign-in and sign-out, session cookie flags, CSRF on every
form, throttling and expiry, and each page admitting or refusing each role as tests/test_api_roles.py declares."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import Depends, Request
from fastapi.testclient import TestClient

from api.main import create_app
from api.web.session import page_caller
from synth.users import Role
from tests.test_api_roles import PAGE_TABLE

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)
PASSWORD = "correct horse battery"
OFFICER = Depends(page_caller(Role.note_taker))  # for a probe route: a note-taker's form


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


# -- the pages on the sample city --------------------------------------------------------------------------------
class Links(HTMLParser):
    """Every (tag, attribute, url) that loads or links something, and each link's text."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.anchors: list[tuple[str, str]] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action", "srcset", "poster", "data") and value:
                self.urls.append((tag, name, value))
        if tag == "a":
            self._open.append([dict(attrs).get("href") or "", ""])

    def handle_data(self, data: str) -> None:
        for anchor in self._open:
            anchor[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            href, text = self._open.pop()
            self.anchors.append((href, " ".join(text.split())))


def parse(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def records_listed(html: str) -> int:
    return html.count('<li id="record-')


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from samplecity import generate_city

    out = tmp_path_factory.mktemp("city")
    generate_city(out, records=300, seed=5, pii_records=5, injection_records=2)
    return out


@pytest.fixture
def city_web(services: Any, city: Path, web: Any) -> Any:
    services.ingestor.ingest([city / "notes", city / "comments"])
    services.settings.api_requests_per_minute = 10_000  # one reader opens every count within a minute
    return web


def test_every_count_link_lists_exactly_that_many_records(city_web: Any, services: Any) -> None:
    client = city_web("leadership")
    home = client.get("/")
    assert home.status_code == 200
    page_links = parse(home.text).anchors
    districts = [href for href, _ in page_links if href.startswith("/districts/")]
    assert "/districts/District%201" in districts
    pages = [home.text] + [client.get(href).text for href in dict.fromkeys(districts)]
    counted = cited = 0
    for html in pages:
        for href, text in parse(html).anchors:
            if not href.startswith("/evidence/records?"):
                continue
            query = parse_qs(urlsplit(unescape(href)).query)
            res = client.get(unescape(href))
            assert res.status_code == 200, (href, res.text[:300])
            if "theme" in query:
                expected = int(re.match(r"\d+", text).group())  # type: ignore[union-attr]
                assert re.search(rf'data-count="{expected}"', res.text), (href, text)
                counted += 1
            else:
                expected = len(query["record"])
                cited += 1
            assert records_listed(res.text) == expected, (href, text)
    assert counted >= 30 and cited >= 5, (counted, cited)
    [entry, *_] = services.audit.entries(action="evidence.read")
    assert entry.actor == "web-leadership"


def test_district_page_shows_themes_trends_quotes_and_citations(city_web: Any, services: Any) -> None:
    client = city_web("coordinator")
    page = client.get("/districts/District%202", params={"period": "all"})
    assert page.status_code == 200
    html = page.text
    assert "<h2 id=\"worries-title\">Worries</h2>" in html and "Praise" in html
    assert html.count('<svg class="spark" role="img" aria-label=') >= 2  # a sparkline with its text alternative
    quotes = re.findall(r"<blockquote><p>“([^”]+)”</p>", html)
    assert quotes and all(q.strip() for q in quotes)
    assert re.search(r'aria-label="cited record [^"]+">\[1\]</a>', html)
    assert client.get("/districts/Atlantis").status_code == 404
    assert client.get("/districts/district%202").status_code == 404  # names are exact, as in the API
    bad = client.get("/districts/District%202", params={"period": "2026-13"})
    assert bad.status_code == 422 and "text/html" in bad.headers["content-type"] and "period" in bad.text
    assert client.get("/evidence/records").status_code == 422
    token = services.users.add("api-reader", "leadership")  # the API's own 422 stays JSON
    api = TestClient(city_web.app).get("/summaries/District%202", params={"period": "2026-13"},
                                       headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 422 and api.headers["content-type"] == "application/json"


def test_no_page_refers_to_another_host(city_web: Any) -> None:
    signed_in, signed_out = city_web("admin"), TestClient(city_web.app)
    seen: set[str] = set()
    todo = ["/", "/districts/District%201", "/districts/City-wide", "signed out:/", "signed out:/signin"]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        client = signed_out if url.startswith("signed out:") else signed_in
        res = client.get(url.removeprefix("signed out:"))
        assert res.status_code == 200, url
        for tag, attr, value in parse(res.text).urls:
            parts = urlsplit(unescape(value))
            assert parts.scheme in ("", "data") and not parts.netloc, (url, tag, attr, value)  # data: is inline
            if tag == "a" and parts.path.startswith(("/districts/", "/evidence/")) and len(seen) < 12:
                todo.append(unescape(value))
        assert "Content-Security-Policy" in res.headers and "default-src 'self'" in res.headers[
            "Content-Security-Policy"]
    css = client.get("/static/style.css")
    assert css.status_code == 200 and not re.search(r"url\(|@import|https?://", css.text)


def test_a_real_polis_conversation_renders(services: Any, web: Any) -> None:
    from synth.ingest import IngestOptions
    from tests.paths import SHARED_DATA

    path = SHARED_DATA / "polis" / "london.youth.policing" / "comments.csv"
    if not path.is_file():
        pytest.skip("../shared/data is not beside the repository")
    services.ingestor.ingest([path], IngestOptions(profile="polis", defaults={"district": "London"}))
    client = web("leadership")
    home = client.get("/")
    assert home.status_code == 200 and '<a href="/districts/London">London</a>' in home.text
    page = client.get("/districts/London")
    assert page.status_code == 200 and "one-off consultation" in page.text
    assert "0 · 0 · 0" not in home.text or "meetings held" in home.text  # Polis has no meetings: zeros are fine
    for href, text in parse(page.text).anchors:
        if href.startswith("/evidence/records?") and "theme=" in href:
            res = client.get(unescape(href))
            assert records_listed(res.text) == int(re.match(r"\d+", text).group())  # type: ignore[union-attr]


def test_the_overview_follows_new_records(city_web: Any, services: Any, write: Any) -> None:
    client = city_web("coordinator")

    def records_shown() -> int:
        return int(re.search(r"</strong>: (\d+) records", client.get("/", params={"period": "all"}).text)
                   .group(1))  # type: ignore[union-attr]

    before = records_shown()
    assert before == services.records.count_records()
    path = write("more.jsonl", '{"id": "new-1", "kind": "comment", "district": "District 1", "date": "2026-11-20", '
                               '"text": "The street lights on Oak Ave have been out for two weeks now."}\n')
    services.ingestor.ingest([path])
    assert records_shown() == before + 1


def test_the_overview_lists_the_significant_changes_the_summaries_report(city_web: Any, services: Any) -> None:
    from synth.synthesis.facts import CITY_WIDE

    client = city_web("leadership")
    period = "2026-09..2026-11"
    html = client.get("/", params={"period": period}).text
    section = html[html.index('id="changes-title"'):]
    corpus = services.synthesizer.corpus()
    expected = set()
    for scope in [CITY_WIDE, *corpus.districts]:
        sheet = corpus.city_sheet(period) if scope == CITY_WIDE else corpus.sheet(scope, period)
        expected |= {(scope, t.label) for t in sheet.themes if t.change and t.change.significant}
    assert expected, "the sample city has trends: some change over a quarter is significant"
    listed = {(unescape(d), unescape(label)) for d, label in re.findall(
        r"<li>(?:<a [^>]+>)?([^<]+?)(?:</a>)?:\s*<strong>([^<]+)</strong>", section)}
    assert expected <= listed
    assert "a significant rise" in section or "a significant fall" in section


def test_a_district_name_with_a_slash_links_to_its_page(services: Any, web: Any, write: Any) -> None:
    lines = [f'{{"id": "ns-{i}", "kind": "comment", "district": "North/South", "date": "2026-10-0{i + 1}", '
             f'"text": "Cars speed down Elm Street every night and someone will get hurt."}}' for i in range(3)]
    services.ingestor.ingest([write("ns.jsonl", "\n".join(lines) + "\n")])
    client = web("admin")
    home = client.get("/").text
    assert '<a href="/districts/North%2FSouth">North/South</a>' in home
    page = client.get("/districts/North%2FSouth")
    assert page.status_code == 200 and "<h1>North/South</h1>" in page.text


def test_page_caller_refuses_a_post_without_the_session_csrf_token(web: Any) -> None:
    @web.app.post("/probe-form", include_in_schema=False)
    def probe(caller: Any = OFFICER) -> dict[str, str]:
        return {"ok": caller.name}

    officer, other = web("note_taker"), web("coordinator")
    token = csrf_of(officer.get("/").text)  # a 403 page, whose sign-out form carries the token
    assert officer.post("/probe-form", data={}).status_code == 403
    assert officer.post("/probe-form", data={"csrf_token": csrf_of(other.get("/").text)}).status_code == 403
    assert officer.post("/probe-form", data={"csrf_token": token}).json() == {"ok": "web-note_taker"}
    assert TestClient(web.app, follow_redirects=False).post("/probe-form", data={"csrf_token": token}
                                                            ).status_code == 303


def test_api_or_page_answers_a_token_with_json_and_a_browser_with_the_page(services: Any, web: Any) -> None:
    from api.web.session import api_or_page, wants_page

    either = Depends(api_or_page(Role.coordinator))

    @web.app.api_route("/probe-both", methods=["GET", "POST"], include_in_schema=False)
    def probe(request: Request, caller: Any = either) -> dict[str, Any]:
        return {"who": caller.name, "page": wants_page(request)}

    coordinator, officer = web("coordinator"), web("note_taker")
    token = services.users.add("api-coordinator", Role.coordinator)
    officer_token = services.users.add("api-officer", Role.note_taker)
    anonymous = TestClient(web.app, follow_redirects=False)
    assert coordinator.get("/probe-both").json() == {"who": "web-coordinator", "page": True}
    assert anonymous.get("/probe-both", headers={"Authorization": f"Bearer {token}"}).json() == {
        "who": "api-coordinator", "page": False}
    # no token, no session: an API caller gets 401 JSON, a browser the sign-in page
    refused = anonymous.get("/probe-both")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert anonymous.get("/probe-both", headers={"Accept": "text/html"}).status_code == 303
    # a refused role: 403 JSON to a token, a 403 page to a browser
    as_api = anonymous.get("/probe-both", headers={"Authorization": f"Bearer {officer_token}"})
    assert as_api.status_code == 403 and as_api.headers["content-type"] == "application/json"
    as_page = officer.get("/probe-both")
    assert as_page.status_code == 403 and as_page.headers["content-type"].startswith("text/html")
    # a browser's POST needs the session's CSRF token; a bearer's does not (no cookie can ride along)
    assert coordinator.post("/probe-both", data={}).status_code == 403
    assert coordinator.post("/probe-both", data={"csrf_token": csrf_of(coordinator.get("/").text)}).json()["page"]
    assert anonymous.post("/probe-both", headers={"Authorization": f"Bearer {token}"}).status_code == 200
