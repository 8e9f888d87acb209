"""The last check before residents' words leave synth (synth/outbound.py): quotes in summaries, the snippets
`ask` cites and the rows `synth records export` writes pass the current redactor again, so a store written by an
earlier redactor that missed something is not quoted as it is."""

from __future__ import annotations

import json
from typing import Any

from synth.outbound import OutboundScrubber
from synth.redact import Redacted, RegexRedactor
from synth.services import Services
from synth.settings import Settings
from synth.synthesis.taxonomy_file import load_seed_file
from tests.test_records import SEED, VICTIM
from tests.test_synthesis import PLAN, make_records
from vectorstore.embeddings import HashingEmbedder

PLANTED = "jo@example.com"


class MissesEverything:
    """A redactor that found nothing: what an earlier, weaker redactor left in a store."""

    name = "misses-everything"

    def redact_batch(self, texts: list[str]) -> list[Redacted]:
        return [Redacted(t) for t in texts]


class Counting(RegexRedactor):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def redact_batch(self, texts: list[str]) -> list[Redacted]:
        self.seen += texts
        return super().redact_batch(texts)


def test_the_scrubber_builds_its_redactor_on_first_use_and_redacts_each_text_once() -> None:
    built: list[Counting] = []

    def build() -> Counting:
        if not built:
            built.append(Counting())
        return built[0]

    scrub = OutboundScrubber(build)
    assert built == []  # nothing loaded until a quote leaves
    out = scrub(["call 555-867-5309 tonight", "no contact here", "call 555-867-5309 tonight"])
    assert out == ["call [PHONE] tonight", "no contact here", "call [PHONE] tonight"]
    assert scrub(["no contact here", "[PHONE] stays"]) == ["no contact here", "[PHONE] stays"]
    assert built[0].seen == ["call 555-867-5309 tonight", "no contact here", "[PHONE] stays"]
    # a stream read once (an export) is redacted every time and not remembered
    assert scrub(["text me on 555-201-3344"], remember=False) == ["text me on [PHONE]"]
    assert scrub(["text me on 555-201-3344"], remember=False) == ["text me on [PHONE]"]
    assert built[0].seen[-2:] == ["text me on 555-201-3344"] * 2


def test_quotes_answers_and_exports_are_redacted_again_on_their_way_out(settings: Settings, write: Any) -> None:
    from synth.ask.service import Asker
    from synth.cli_records import _redacted_again

    older = Services(settings, _embedder=HashingEmbedder(), _redactor=MissesEverything())
    path = write("city.jsonl", "\n".join(json.dumps(r) for r in [*make_records(PLAN), VICTIM]) + "\n")
    assert older.ingestor.ingest([path]).accepted == 90
    stored = older.records.get_record("victim")
    assert stored is not None and PLANTED in stored.text  # the older redactor left it in the store
    older.close()

    svc = Services(settings, _embedder=HashingEmbedder(), _redactor=RegexRedactor())
    try:
        svc.synthesizer.refresh(seeds=load_seed_file(write("seed.yaml", SEED)))
        summaries = {s.district: s for s in svc.synthesizer.summarize(period="2026-11")}
        quotes = {q.record_id: q.text for t in summaries["District A"].themes for q in t.quotes}
        assert "victim" in quotes and PLANTED not in quotes["victim"] and "[EMAIL]" in quotes["victim"]
        dumped = json.dumps([s.model_dump(mode="json") for s in summaries.values()])
        assert PLANTED not in dumped

        answer = Asker.from_services(svc).ask("What did residents say about Quincewood Lane?")
        assert [c.record_id for c in answer.citations] == ["victim"]
        assert PLANTED not in answer.model_dump_json() and "[EMAIL]" in answer.citations[0].snippet

        rows = _redacted_again(svc, [r.model_dump(mode="json") for r in svc.records.iter_records()])
        assert len(rows) == 90 and PLANTED not in json.dumps(rows)
    finally:
        svc.close()
