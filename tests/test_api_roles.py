"""Every route of the app against a declared table of roles: a new route without a role rule, or with other
roles than the table says, fails here. Then every protected route is called without a token (401, JSON, never
a redirect), with every role it refuses (403), and with every role it admits (neither)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.main import create_app
from synth.users import Role

A, C, L, N = Role.admin, Role.coordinator, Role.leadership, Role.note_taker
READERS = {A, C, L}

PUBLIC = {("GET", "/health"), ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
          ("GET", "/redoc")}
ROLE_TABLE: dict[tuple[str, str], set[Role]] = {
    ("POST", "/records"): {A, C, N},
    ("GET", "/review/items"): {A, C},
    ("POST", "/review/corrections"): {A, C},
    ("DELETE", "/records/{record_id}"): {A, C},
    ("GET", "/districts"): READERS,
    ("POST", "/ask"): READERS,
    ("GET", "/audit"): {A},
    ("GET", "/records"): {A, C, L, N},  # a note-taker's own records only (tests/test_api_records_ingest.py)
    ("GET", "/summaries"): READERS,
    ("GET", "/summaries/{district}"): READERS,
    ("GET", "/evidence"): READERS,
    ("GET", "/themes"): READERS,
    ("GET", "/themes/edits"): {A, C},
    ("PATCH", "/themes/{theme_id}"): {A, C},
    ("POST", "/themes/merge"): {A, C},
    ("POST", "/themes/{theme_id}/split"): {A, C},
    ("POST", "/themes/{theme_id}/examples"): {A, C},
    ("POST", "/themes/preview"): {A, C},
    ("POST", "/ingest"): {A, C},
    ("POST", "/ingest/records"): {A, C},
    ("GET", "/ingest/{job_id}"): {A, C},
    ("GET", "/evals/latest"): READERS,
    ("POST", "/contacts"): {A, C, N},
    ("GET", "/contacts"): {A, C, L, N},  # a note-taker's own contacts only (tests/test_contacts.py)
    ("GET", "/actions"): READERS,  # also the board page for a signed-in browser (api_or_page)
    ("POST", "/actions"): {A, C},
    ("GET", "/actions/{action_id}"): READERS,  # also an action's page for a browser
    ("PATCH", "/actions/{action_id}"): {A, C},
}
# Dashboard pages (api/web/): signed out -> 303 to /signin (never 401), another role -> a 403 page; checked
# per role in tests/test_web_pages.py. "/" shows a signed-out visitor the sign-in form.
PAGE_PUBLIC = {("GET", "/signin"), ("POST", "/signin"), ("POST", "/signout")}
PAGE_TABLE: dict[tuple[str, str], set[Role]] = {
    ("GET", "/"): READERS,
    ("GET", "/districts/{district}"): READERS,
    ("GET", "/evidence/records"): READERS,
    ("GET", "/review"): {A, C},
    ("GET", "/notes/new"): {A, C, N},
    ("POST", "/notes/new"): {A, C, N},
    ("GET", "/questions"): READERS,  # the Ask page (POST /ask is the JSON API)
    ("POST", "/questions"): READERS,
    ("GET", "/ingest"): {A, C},  # the upload page (POST /ingest and GET /ingest/{job_id} are also its, above)
    ("GET", "/contacts/new"): {A, C, N},
    ("POST", "/contacts/new"): {A, C, N},
    ("GET", "/contacts/{contact_id}"): {A, C, N},
    ("GET", "/actions/new"): {A, C},
    ("POST", "/actions/new"): {A, C},  # the board's forms (GET /actions is in ROLE_TABLE)
    ("POST", "/actions/{action_id}"): {A, C},
    ("GET", "/reports/{district}"): READERS,
    ("POST", "/themes"): {A, C},  # the theme editor's forms (GET /themes is the API's row, as a page too)
}


def _roles_of(dependant: Any) -> frozenset[Role] | None:
    for dep in dependant.dependencies:
        roles = getattr(dep.call, "allowed_roles", None)
        if roles is not None:
            return frozenset(roles)
        if (found := _roles_of(dep)) is not None:
            return found
    return None


def _routes(app: Any) -> list[tuple[str, str, Any]]:
    """(method, path, route) of every route, also inside included routers (FastAPI keeps those as one entry;
    every router is included without a prefix)."""
    out = []
    for route in app.routes:
        if (included := getattr(route, "original_router", None)) is not None:
            out.extend(_routes(included))
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                out.append((method, route.path_format, route))  # "/summaries/{district}", as OpenAPI has it
    return out


def test_every_route_has_exactly_the_roles_the_table_declares(services: Any) -> None:
    seen = set()
    for method, path, route in _routes(create_app(services)):
        key = (method, path)
        seen.add(key)
        roles = _roles_of(route.dependant) if isinstance(route, APIRoute) else None
        if key in PUBLIC or key in PAGE_PUBLIC:
            assert roles is None, f"{key} is public in the table but requires {roles}"
            continue
        if key in PAGE_TABLE:
            assert roles == PAGE_TABLE[key], f"page {key}: allows {roles}, PAGE_TABLE says {PAGE_TABLE[key]}"
            continue
        assert key in ROLE_TABLE, f"{method} {path} has no row in ROLE_TABLE (or PAGE_TABLE): declare who may call it"
        assert roles == ROLE_TABLE[key], f"{key}: the route allows {roles}, the table says {ROLE_TABLE[key]}"
    assert set(ROLE_TABLE) | set(PAGE_TABLE) | PAGE_PUBLIC <= seen, "rows for routes that do not exist"


@pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)
def test_each_role_is_admitted_or_refused_as_declared(services: Any) -> None:
    app = create_app(services)
    tokens = {role: services.users.add(f"u-{role.value}", role) for role in Role}
    for (method, path), allowed in ROLE_TABLE.items():
        url = re.sub(r"\{[^}]+\}", "x", path)
        anonymous = TestClient(app, follow_redirects=False).request(method, url)
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        assert anonymous.headers["content-type"] == "application/json"
        assert anonymous.headers["www-authenticate"] == "Bearer"
        bad = TestClient(app).request(method, url, headers={"Authorization": "Bearer synth_forged"})
        assert bad.status_code == 401
        for role, token in tokens.items():
            res = TestClient(app).request(method, url, headers={"Authorization": f"Bearer {token}"})
            if role in allowed:
                assert res.status_code not in (401, 403), (method, path, role, res.text)
            else:
                assert res.status_code == 403, (method, path, role, res.status_code)
                assert role.value in res.json()["detail"]


def test_the_openapi_document_declares_the_bearer_scheme_on_protected_routes(services: Any) -> None:
    doc = TestClient(create_app(services)).get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearer"]["description"]}
    for (method, path) in ROLE_TABLE:
        op = doc["paths"][path][method.lower()]
        assert {"bearer": []} in op["security"], (method, path)
        assert {"401", "403", "429"} <= set(op["responses"]), (method, path)
    assert "security" not in doc["paths"]["/health"]["get"]
