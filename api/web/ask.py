"""The Ask page, `/questions` (`POST /ask` is the JSON API): a question box, then the answer with its figures,
its citations (links to the cited records) and its coverage. A follow-up keeps the conversation: the answer's
`conversation_id` rides in a hidden field, as the API's follow-ups send it. The same `Asker` answers both."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from api.routes.ask import _asker
from api.web.session import page_caller, render
from synth.errors import SynthError
from synth.synthesis.facts import CITY_WIDE
from synth.users import Caller, Role

router = APIRouter(include_in_schema=False)
ASKERS = (Role.admin, Role.coordinator, Role.leadership)
CONVERSATION_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_EARLIER = 5
EXAMPLES = ("What are residents most worried about?", "How many meetings mentioned lighting, by district?",
            "Is anyone talking about response times?")


def record_link(record_id: str, district: str | None) -> str:
    """The evidence page showing one cited record (in its district; the city's when it has none)."""
    return (f"/evidence/records?district={quote(district or CITY_WIDE, safe='')}&period=all"
            f"&record={quote(record_id, safe='')}")


def _page(request: Request, ctx: dict[str, Any], *, status: int = 200) -> Response:
    return render(request, "ask.html", {"active": "ask", "examples": EXAMPLES, "record_link": record_link,
                                        "answer": None, "error": None, "earlier": [], "conversation_id": "",
                                        "question": "", "prior": [], **ctx}, status=status)


@router.get("/questions")
def ask_page(request: Request, caller: Annotated[Caller, Depends(page_caller(*ASKERS))]) -> Response:
    return _page(request, {})


@router.post("/questions")
def ask_question(request: Request, caller: Annotated[Caller, Depends(page_caller(*ASKERS))],
                 question: Annotated[str, Form(max_length=1000)] = "",
                 conversation_id: Annotated[str, Form(max_length=64)] = "",
                 earlier: Annotated[list[str] | None, Form(max_length=MAX_EARLIER)] = None) -> Response:
    svc = request.app.state.services
    question = question.strip()
    conversation = conversation_id if CONVERSATION_PATTERN.fullmatch(conversation_id) else None
    history = [q[:1000] for q in (earlier or [])][-MAX_EARLIER:]
    if not question:
        return _page(request, {"error": "Type a question.", "conversation_id": conversation or "",
                               "earlier": history, "prior": history}, status=422)
    try:
        answer = _asker(request, svc).ask(question, conversation)
    except SynthError as e:  # a question ask cannot take, as the API's 422
        return _page(request, {"error": str(e), "question": question, "conversation_id": conversation or "",
                               "earlier": history, "prior": history}, status=422)
    svc.audit.record(caller.name, "ask", answer.conversation_id or "",
                     {"status": answer.status, "citations": [c.record_id for c in answer.citations]})
    return _page(request, {"answer": answer, "question": question, "conversation_id": answer.conversation_id or "",
                           "prior": history, "earlier": [*history, question][-MAX_EARLIER:]})
