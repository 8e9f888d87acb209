"""One error hierarchy: every domain error is a SynthError (synth/errors.py), and the API maps each to an HTTP
status in one handler (api/errors.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import synth.errors as errors
from api.errors import install_error_handlers
from api.main import create_app
from synth.ask.llm import AskLLMError
from tests.conftest import bearer

ERRORS: list[tuple[errors.SynthError, int]] = [
    (errors.InputError("a.csv", "empty file"), 422),
    (errors.RowError("a.csv", 3, "date", "not a date"), 422),
    (errors.QuestionError("the question is empty"), 422),
    (errors.DatasetError("x.csv: no data rows"), 422),
    (errors.TaxonomyError("theme t_a has 1 distinct spans; cannot split into 2"), 422),
    (errors.ThemeNotFound("no theme 't_nope'; known themes: none"), 404),
    (errors.StoreError("the vector index is unreachable"), 503),
    (errors.EmbeddingError("the embedding model could not be loaded"), 503),
    (errors.LLMError("the chat model timed out"), 503),
    (AskLLMError("the chat model failed during ask", tokens=12), 503),
    (errors.ConfigError("set SYNTH_DATABASE_URL"), 500),
    (errors.SynthError("something else"), 500),
]


def test_every_domain_error_is_a_synth_error_drawn_in_the_hierarchy() -> None:
    from evals.datasets import DatasetError

    assert DatasetError is errors.DatasetError
    assert issubclass(errors.ThemeNotFound, errors.TaxonomyError) and issubclass(AskLLMError, errors.LLMError)
    drawn = errors.__doc__ or ""
    for error, _ in ERRORS:
        assert isinstance(error, errors.SynthError)
        assert type(error).__name__ in drawn


@pytest.mark.parametrize(("error", "status"), ERRORS, ids=[type(e).__name__ for e, _ in ERRORS])
def test_the_api_maps_each_error_to_its_status_in_one_handler(error: errors.SynthError, status: int) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fail")
    def fail() -> None:
        raise error

    res = TestClient(app).get("/fail")
    assert res.status_code == status
    assert res.json() == {"error": type(error).__name__, "detail": str(error)}


@pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)  # the store is beside the point
def test_a_question_ask_cannot_take_is_a_422_from_the_one_handler(services: Any, write: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("r.jsonl", json.dumps({"id": "x1", "text": "The street lights are dark on Elm.",
                                        "district": "District 4", "date": "2026-10-01"}) + "\n")
    services.ingestor.ingest([path])
    from synth.ask.service import Asker
    from synth.errors import QuestionError

    with TestClient(create_app(services), headers=bearer(services)) as client:
        blank = client.post("/ask", json={"question": " \x1f "})  # only space, as Python reads it: the model's
        assert blank.status_code == 422 and blank.json()["detail"][0]["loc"] == ["body", "question"]

        def refusing(self: Asker, question: str, conversation_id: str | None = None) -> Any:
            raise QuestionError("the question is empty: ask e.g. \"How many meetings mentioned lighting?\"")

        monkeypatch.setattr(Asker, "ask", refusing)  # what ask itself refuses goes through the one handler
        res = client.post("/ask", json={"question": "How many?"})
        assert res.status_code == 422
        assert res.json()["error"] == "QuestionError" and res.json()["detail"].startswith("the question is empty")
