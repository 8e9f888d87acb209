"""Property-based fuzzing of every operation in the OpenAPI document, authenticated as an admin: generated
requests (valid and invalid) must never cause a server error, and every response must be one the document
declares, with its declared content type and schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from api.main import create_app
from synth.settings import Settings

pytestmark = pytest.mark.slow

SAMPLE = [
    {"id": f"f{i}", "text": text, "district": district, "date": f"2026-{month:02d}-1{i % 9}", "kind": "comment"}
    for i, (text, district, month) in enumerate([
        ("The street lights on Birch are out again.", "District 1", 10),
        ("Cars speed past the school every morning.", "District 2", 11),
        ("Thank you to the officers at the football game.", "District 1", 11),
        ("Graffiti on the underpass needs cleaning.", "District 3/North", 9),
    ])
]


@pytest.fixture(scope="module", params=["empty", "seeded"])  # an empty store has its own answers (404s)
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Any]:
    from synth.redact import RegexRedactor
    from synth.services import Services
    from vectorstore.embeddings import HashingEmbedder

    data: Path = tmp_path_factory.mktemp("fuzz") / "data"
    svc = Services(Settings(data_dir=data, embedder="hashing", redactor="regex", _env_file=None,
                            api_requests_per_minute=1_000_000),
                   _embedder=HashingEmbedder(), _redactor=RegexRedactor())
    path = data.parent / "sample.json"
    path.write_text(__import__("json").dumps(SAMPLE))
    if request.param == "seeded":
        svc.ingestor.ingest([path])
    app = create_app(svc)
    app.state.fuzz_token = svc.users.add("fuzz-admin", "admin")
    yield app
    if getattr(app.state, "jobs", None) is not None:  # ingest jobs the fuzzer started
        app.state.jobs.close()
    svc.close()


def test_no_operation_fails_or_answers_off_its_document(fuzz_app: Any) -> None:
    """Each operation in turn (schemathesis's pytest plugin does not run under this pytest, so the operations
    are walked here), up to 25 generated cases each."""
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    headers = {"Authorization": f"Bearer {fuzz_app.state.fuzz_token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5

    for operation in operations:
        # A contact dated after tomorrow is schema-valid and refused (422): no JSON Schema states "not after
        # today". Every other operation must accept whatever its schema accepts.
        _fuzz(operation, headers, [positive_data_acceptance] if operation.label == "POST /contacts" else [])


def _fuzz(operation: Any, headers: dict[str, str], excluded: list[Any]) -> None:
    from hypothesis import given

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def fuzz(case: Any) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    fuzz()
