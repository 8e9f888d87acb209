"""POST /ask: a plain-language question, answered by the same library function as `synth ask`; a follow-up
sends the `conversation_id` of the answer before it. The response leaves out how the answer was reached (the
parsed query, the parser, token counts)."""

from __future__ import annotations

import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from api.deps import ServicesDep
from api.responses import errors
from api.routes.themes import VISIBLE
from api.security import READERS, Caller, allow
from synth.ask.models import Citation, Coverage, Figure, Status
from synth.ask.service import Asker

router = APIRouter(tags=["ask"])
_lock = threading.Lock()


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=1000, pattern=VISIBLE)
    conversation_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$",
                                        description="the conversation_id of an earlier answer, for a follow-up")


class AskResponse(BaseModel):
    question: str
    text: str
    status: Status
    citations: list[Citation]
    figures: list[Figure]
    coverage: Coverage | None
    route: Literal["figures", "retrieval", "declined"]
    phrased_by: Literal["code", "llm"]
    conversation_id: str | None = Field(description="send it with a follow-up question")


def _asker(request: Request, svc: ServicesDep) -> Asker:
    """One Asker per app over the process's live corpus (synth/synthesis/live.py), rebuilt when that corpus is:
    records annotated (by the background refresher) or deleted, or the taxonomy changed in any way (a rename,
    merge or chatter flag changes labels and counts as much as a new theme). Its FactIndex is built once."""
    from synth.ask.cache import AskInputs
    from synth.ask.llm import AskLLM

    corpus = svc.live.corpus()
    with _lock:
        cached = getattr(request.app.state, "asker", None)
        if cached is None or cached[0] is not corpus:
            chat_model = svc.chat_model
            llm = AskLLM(chat_model) if chat_model is not None else None
            request.app.state.asker = (corpus, Asker.from_services(svc, llm=llm, inputs=AskInputs.of(corpus)))
        return request.app.state.asker[1]


@router.post("/ask", response_model=AskResponse, responses=errors(422, 503))
def ask(body: AskRequest, request: Request, svc: ServicesDep,
        caller: Annotated[Caller, Depends(allow(*READERS))]) -> AskResponse:
    """Counts, shares, rankings, trends and comparisons come from code over the annotations; open questions
    are answered with quoted records. Every answer has a status, citations, figures and coverage. A question
    ask cannot take (QuestionError) is a 422, as every SynthError is mapped in api/errors.py."""
    answer = _asker(request, svc).ask(body.question, body.conversation_id)
    svc.audit.record(caller.name, "ask", answer.conversation_id or "",
                     {"status": answer.status, "citations": [c.record_id for c in answer.citations]})
    return AskResponse.model_validate(answer.model_dump(include=set(AskResponse.model_fields)))
