"""`synth ask "..."`: a plain-language question, answered with exact figures or quoted records."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from synth.cli_common import err, out, services


def ask(
    question: Annotated[str, typer.Argument(help="e.g. \"How many meetings mentioned lighting, by district?\"")],
    conversation: Annotated[str | None, typer.Option(help="continue a conversation (its id is printed)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the whole answer as JSON")] = False,
    refresh: Annotated[bool, typer.Option(help="annotate new records first")] = True,
) -> None:
    """Answer a question about the feedback: figures computed by code, quotes with record ids, coverage."""
    import gc

    from synth.ask.service import Asker

    # One question, then the process ends: everything it loads lives until then, so the cyclic collector would
    # only walk the 100,000s of objects of the fact rows again and again (0.2-0.4 s of a warm answer).
    gc.disable()
    with services() as svc:
        llm = None
        if svc.chat_model is not None:
            from synth.ask.llm import AskLLM  # LangChain's chains load only when a model is configured

            llm = AskLLM(svc.chat_model)
        asker = Asker.from_services(svc, refresh=refresh, llm=llm)
        answer = asker.ask(question, conversation)
    if as_json:
        out.print_json(json.dumps(answer.model_dump(mode="json")))
        return
    out.print(answer.text, highlight=False, markup=False)
    for c in answer.citations:
        out.print(f"  [{c.record_id}] “{c.snippet}”", highlight=False, markup=False)
    err.print(f"status: {answer.status}; route: {answer.route}; conversation: {answer.conversation_id} "
              f"(follow up with --conversation {answer.conversation_id})", highlight=False, markup=False)
    if answer.status != "answered":
        raise typer.Exit(3)
