"""The upload page over TestClient: a signed-in coordinator's form posts to the API's own POST /ingest, is sent to
the job's page, and sees the counts and each rejection by file, row, field and reason (never the value); a
profile and a district as the CLI takes them; the size cap, roles and CSRF."""

from __future__ import annotations

import re
import time
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from synth.users import Role
from tests.test_web_pages import PASSWORD, csrf_of, sign_in

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)

GOOD_AND_BAD = ("id,text,district,date\n"
                "w1,Noise from the bar on Elm every night,District 4,2026-11-02\n"
                "w2,Cars race down Oak Avenue call 555-201-7788,District 4,2026-13-40\n"
                "w3,The park lights are broken,District 4,2026-11-03\n")


@pytest.fixture
def signed_in(services: Any) -> Any:
    """signed_in(role) -> a TestClient signed in as a new user of `role`. The app is made at the first call, so a
    test may change the settings before."""
    made: list[str] = []

    def _client(role: Role | str = Role.coordinator) -> TestClient:
        if not hasattr(_client, "app"):
            _client.app = create_app(services)  # type: ignore[attr-defined]
        name = f"up-{Role(role).value}-{len(made)}"
        made.append(name)
        services.users.add(name, role, password=PASSWORD)
        client = TestClient(_client.app, follow_redirects=False)  # type: ignore[attr-defined]
        assert sign_in(client, name).status_code == 303
        return client

    return _client


def _upload(client: TestClient, files: list[tuple[str, bytes]], **form: str) -> Any:
    token = csrf_of(client.get("/ingest").text)
    return client.post("/ingest", data={"csrf_token": token, **form}, headers={"Accept": "text/html"},
                       files=[("files", (name, body, "application/octet-stream")) for name, body in files])


def _finished(client: TestClient, job_url: str) -> dict[str, Any]:
    """The job as the page's script polls it (the session asks the same URL for JSON), once it has ended."""
    deadline = time.monotonic() + 60
    while True:
        job = client.get(job_url, headers={"Accept": "application/json"}).json()
        if job["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def _cells(html: str) -> list[list[str]]:
    body = html.split('<table class="rejections">', 1)[1].split("</table>", 1)[0]
    return [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)]


def test_an_upload_goes_to_its_job_page_which_lists_the_rejected_row_and_why(services: Any, signed_in: Any) -> None:
    client = signed_in("coordinator")
    page = client.get("/ingest")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert 'src="/static/ingest.js"' in page.text and 'name="profile"' in page.text
    res = _upload(client, [("Jorge Alvarado notes.csv", GOOD_AND_BAD.encode())])
    assert res.status_code == 303, res.text
    job_url = res.headers["location"]
    assert re.fullmatch(r"/ingest/[0-9a-f]{32}", job_url)
    job = _finished(client, job_url)
    assert (job["status"], job["accepted"], job["rejected"], job["duplicates"]) == ("done", 2, 1, 0)
    shown = client.get(job_url)
    assert shown.status_code == 200 and "text/html" in shown.headers["content-type"]
    assert "Upload finished" in shown.text and 'http-equiv="refresh"' not in shown.text
    assert re.search(r'id="count-stored">2<', shown.text) and re.search(r'id="count-rejected">1<', shown.text)
    [row] = _cells(shown.text)
    assert row[:3] == ["[PERSON] notes.csv", "2", "date"] and "date" in row[3].lower()  # file, row, field, why
    assert "2026-13-40" not in shown.text and "555-201-7788" not in shown.text and "Jorge" not in shown.text
    assert {r.id for r in list(services.records.iter_records())} == {"w1", "w3"}
    assert [e.action for e in services.audit.entries(action="ingest.")] == ["ingest.files"]
    # Sent again: the stored rows are counted once.
    again = _finished(client, _upload(client, [("notes.csv", GOOD_AND_BAD.encode())]).headers["location"])
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 2, 1)


def test_a_running_job_page_reloads_itself_without_javascript(services: Any, signed_in: Any) -> None:
    from synth.ingest_jobs import JobStore  # a job still running, as a visitor sees it mid-way

    client = signed_in("admin")
    store = JobStore(services.records)
    job_id = store.create(["big.csv"], None)
    store.start(job_id)
    store.progress(job_id, 40, 160)
    page = client.get(f"/ingest/{job_id}")
    assert page.status_code == 200 and "Uploading" in page.text
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page.text
    assert re.search(r'<progress id="job-bar" max="160" value="40">25%</progress>', page.text)
    api = client.get(f"/ingest/{job_id}", headers={"Accept": "application/json"}).json()
    assert (api["status"], api["done"], api["total"]) == ("running", 40, 160)
    assert client.get("/ingest/" + "0" * 32).status_code == 404


def test_a_polis_export_uploads_with_its_profile_district_and_conversation(services: Any, signed_in: Any) -> None:
    client = signed_in("coordinator")
    polis = ("timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
             "1536000000000,x,1,7,3,1,1,Police should talk to young people in the park\n"
             "1536000100000,x,2,8,0,5,-1,Spam spam spam\n")
    unnamed = _upload(client, [("comments.csv", polis.encode())], profile="polis")  # named by its content
    assert unnamed.status_code == 303
    assert _finished(client, unnamed.headers["location"])["accepted"] == 1
    again = _finished(client, _upload(client, [("comments.csv", polis.encode())], profile="polis"
                                      ).headers["location"])
    assert (again["accepted"], again["duplicates"]) == (0, 1), again  # the same file: the same source
    res = _upload(client, [("comments.csv", polis.encode())], profile="polis", district="Youth panel",
                  source="London youth")
    job = _finished(client, res.headers["location"])
    assert (job["accepted"], job["rejected"]) == (1, 1), job
    assert "moderators rejected" in job["rejections"][0]["reason"]
    [record] = [r for r in services.records.iter_records() if r.district == "Youth panel"]
    assert (record.id, record.kind) == ("polis-london-youth-1", "comment")
    [unnamed_record] = [r for r in services.records.iter_records() if r.district != "Youth panel"]
    assert re.fullmatch(r"polis-[0-9a-f]{10}-1", unnamed_record.id), unnamed_record.id
    assert _upload(client, [("comments.csv", polis.encode())], profile="nope").status_code == 422


def test_an_upload_over_the_size_cap_is_refused_before_it_is_read(services: Any, signed_in: Any) -> None:
    services.settings.max_file_bytes = cap = 50_000
    client = signed_in("coordinator")
    assert f'data-max-bytes="{cap}"' in client.get("/ingest").text  # the script checks before sending
    small = _upload(client, [("small.csv", GOOD_AND_BAD.encode())])
    assert small.status_code == 303
    big = b"id,text\n" + b"x" * (cap + 10)
    res = _upload(client, [("big.csv", big)])
    assert res.status_code == 413 and "text/html" in res.headers["content-type"] and "Too large" in res.text
    assert f"{cap:,} bytes" in res.text and '<a href="/ingest">Back</a>' in res.text
    _finished(client, small.headers["location"])
    assert len(list(services.records.iter_records())) == 2 and len(services.audit.entries(action="ingest.")) == 1


def test_only_editors_upload_and_every_upload_carries_the_form_token(services: Any, signed_in: Any) -> None:
    for role in ("note_taker", "leadership"):
        client = signed_in(role)
        assert client.get("/ingest").status_code == 403
        res = client.post("/ingest", headers={"Accept": "text/html"}, data={"csrf_token": "x"},
                          files=[("files", ("a.csv", GOOD_AND_BAD.encode(), "text/csv"))])
        assert res.status_code == 403 and "may not open this page" in res.text
    coordinator = signed_in("coordinator")
    forged = coordinator.post("/ingest", headers={"Accept": "text/html"}, data={"csrf_token": "forged"},
                              files=[("files", ("a.csv", GOOD_AND_BAD.encode(), "text/csv"))])
    assert forged.status_code == 403 and "expired" in forged.text
    assert re.search(r'<input id="files" name="files" type="file" multiple required', coordinator.get("/ingest").text)
    assert list(services.records.iter_records()) == []
    signed_out = TestClient(signed_in.app, follow_redirects=False)
    assert signed_out.get("/ingest").status_code == 303
    assert signed_out.get("/ingest", headers={"Accept": "text/html"}).headers["location"].startswith("/signin")
    home = coordinator.get("/")
    assert 'href="/ingest"' in home.text
    assert 'href="/ingest"' not in signed_in("leadership").get("/").text
