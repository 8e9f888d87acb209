"""`ask`: a question in, an Answer out. The router.

    parse (the rules' refusals first; then LLM -> validated StructuredQuery, else the rules parser)
      -> conversation context
      -> declined (named individuals, data synth does not hold: decided by code whichever parser ran)
      -> insufficient evidence (unknown district, nothing in scope, no matching theme)
      -> figures route (count, share, ranking, trend, compare: exact code over the annotations)
      -> retrieval route (open questions: quoted records from the vector index, filtered by scope and theme)
    -> phrasing (LLM, checked: only the figures' numbers and the given record ids; else the code's text)
    A failing chat model (LLMError) is logged and the offline path answers: the rules' query, the code's text.

    asker = Asker.from_services(svc)            # builds the FactIndex once; reuse it for many questions
    asker.ask("How many meetings mentioned lighting, by district?")
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from synth.ask.conversation import ConversationStore, with_context
from synth.ask.figures import FigureWriter, Result, coverage, period_label, scope_of, where_label
from synth.ask.mentions import MentionWriter
from synth.ask.models import Answer, Coverage, StructuredQuery
from synth.ask.parse import ParseContext, parse_question
from synth.ask.query import FactIndex
from synth.ask.retrieve import Retriever, open_answer_text
from synth.ask.themes import ThemeMatcher
from synth.errors import LLMError, QuestionError
from synth.outbound import Scrub

if TYPE_CHECKING:
    from synth.ask.cache import AskInputs
    from synth.ask.llm import AskLLM
    from synth.ask.names import NameLists
    from synth.services import Services
    from synth.synthesis.corpus import Corpus
    from synth.synthesis.facts import FactRow
    from synth.synthesis.themes import TaxonomyState
    from vectorstore.search import VectorSearch

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 1000


class Asker:
    def __init__(self, facts: FactIndex, matcher: ThemeMatcher, *,
                 index: VectorSearch | Callable[[], VectorSearch] | None = None,
                 conversations: ConversationStore | None = None, llm: AskLLM | None = None,
                 outbound: Scrub | None = None, names: NameLists | None = None) -> None:
        self.facts = facts
        self.outbound = outbound  # cited snippets pass the redactor again before they leave
        self.matcher = matcher
        self.retriever = Retriever(index, facts)
        self.conversations = conversations
        self.llm = llm
        self.context = ParseContext(districts=facts.districts, matcher=matcher, latest_month=facts.anchor_month,
                                    first_month=facts.first_month, latest_by_district=facts.latest_by_district,
                                    names=names)
        self.figures = FigureWriter(facts)
        self.mentions = MentionWriter(facts)

    @classmethod
    def build(cls, rows: list[FactRow], taxonomy: TaxonomyState, embed: Callable | None = None, *,
              clarity: Mapping[tuple[str, int], float] | None = None, **kwargs: object) -> Asker:
        facts = FactIndex(rows, taxonomy.themes, clarity)
        return cls(facts, ThemeMatcher(taxonomy.themes, taxonomy.centroids, embed), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def from_corpus(cls, corpus: Corpus, embed: Callable | None = None, **kwargs: object) -> Asker:
        """An Asker over a store's corpus: its fact rows, taxonomy and quote scores (as the summaries use)."""
        kwargs.setdefault("outbound", corpus.outbound)
        return cls.build(corpus.rows, corpus.taxonomy, embed, clarity=corpus.scores, **kwargs)

    @classmethod
    def from_inputs(cls, inputs: AskInputs, embed: Callable | None = None, **kwargs: object) -> Asker:
        from synth.ask.cache import collector_paused

        with collector_paused():  # its arrays and maps are built from 10,000s of rows and are all kept
            facts = FactIndex(inputs.rows, inputs.themes, inputs.scores)
        return cls(facts, ThemeMatcher(inputs.themes, inputs.centroids, embed), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def from_services(cls, svc: Services, *, refresh: bool = False, llm: AskLLM | None = None,
                      inputs: AskInputs | None = None) -> Asker:
        """An Asker over the store: the corpus, vector index and conversations of `svc`. What the corpus gives
        is kept in the store (synth/ask/cache.py) and reused, without a refresh, while nothing it depends on
        has changed (or given as `inputs`: the API's live corpus); the vector index and the embedder are opened
        when a question first needs them."""
        from synth.ask.cache import AskCache, AskInputs, index_snapshot, settings_key, store_fingerprint
        from synth.ask.names import cached_name_lists
        from vectorstore.snapshot import SnapshotIndex

        # an LLM annotator retries the records it failed on in the next run: its annotations are not kept
        cache = AskCache(svc.records) if svc.settings.annotator == "offline" else None
        fingerprint = None
        if cache is not None:
            fingerprint = store_fingerprint(svc.records, settings_key(svc.settings))
            inputs = inputs or cache.load(fingerprint, need_refreshed=refresh)
        if inputs is None:
            if refresh:
                svc.synthesizer.refresh()
                if cache is not None:  # read before the corpus: a write in between makes the next ask rebuild
                    fingerprint = store_fingerprint(svc.records, settings_key(svc.settings))
            inputs = AskInputs.of(svc.synthesizer.corpus())
            if cache is not None and fingerprint is not None:
                inputs.index = index_snapshot(svc)
                cache.save(fingerprint, inputs, refreshed=refresh)
        outbound: Scrub = svc.outbound
        if cache is not None and fingerprint is not None:
            outbound = cache.remembered(outbound, f"{fingerprint}|{svc.settings.redactor}")
        snapshot = inputs.index
        index = (lambda: SnapshotIndex(snapshot, svc.embedder)) if snapshot is not None else (lambda: svc.index)
        return cls.from_inputs(inputs, lambda texts: svc.embedder.embed(texts), index=index,
                               conversations=ConversationStore(svc.records), llm=llm, outbound=outbound,
                               names=cached_name_lists())

    # -- the one entry point ----------------------------------------------------------------------------
    def ask(self, question: str, conversation_id: str | None = None) -> Answer:
        question = " ".join(question.split())
        if not question:
            raise QuestionError("the question is empty: ask e.g. \"How many meetings mentioned lighting?\"")
        if len(question) > MAX_QUESTION_CHARS:
            raise QuestionError(f"the question is {len(question)} characters; keep it under {MAX_QUESTION_CHARS}")
        previous = None
        if conversation_id and self.conversations is not None:
            previous = self.conversations.load(conversation_id)
        tokens = 0
        parser: str = "rules"
        llm = self.llm
        query = parse_question(question, self.context)  # its refusals hold whichever parser reads the question
        if llm is not None and query.intent != "out_of_scope":
            try:
                llm_query, used = llm.parse(question, self.context, previous)
            except LLMError as e:
                log.warning("ask: %s; using the rules parser", e)
                llm_query, used, llm = None, _spent(e), None  # nor phrase with a model that just failed
            tokens += used
            if llm_query is not None:  # what a ranking orders is read by the rules ("which district ...")
                query, parser = llm_query.model_copy(update={"rank": query.rank}), "llm"
        query = with_context(question, query, previous)
        answer = self._redacted_again(self.answer(question, query))  # before any model phrases it
        answer.parser = parser  # type: ignore[assignment]
        if llm is not None and answer.status == "answered":
            try:
                answer, used = llm.phrase(answer)
                tokens += used
            except LLMError as e:
                log.warning("ask: %s; keeping the code's text", e)
                tokens += _spent(e)
        answer.llm_tokens = tokens
        if self.conversations is not None:
            conversation_id = conversation_id or ConversationStore.new_id()
            if query.intent != "out_of_scope":
                self.conversations.save(conversation_id, query)
            answer.conversation_id = conversation_id
        return answer

    def _redacted_again(self, answer: Answer) -> Answer:
        """Cited snippets pass the redactor again (synth/outbound.py), in the citations and where the text
        quotes them."""
        if self.outbound is None or not answer.citations:
            return answer
        snippets = self.outbound([c.snippet for c in answer.citations])
        text = answer.text
        for c, clean in zip(answer.citations, snippets, strict=True):
            if clean != c.snippet:
                text = text.replace(c.snippet, clean)
        citations = [c.model_copy(update={"snippet": s}) for c, s in zip(answer.citations, snippets, strict=True)]
        return answer.model_copy(update={"citations": citations, "text": text})

    # -- routing ------------------------------------------------------------------------------------------
    def answer(self, question: str, query: StructuredQuery) -> Answer:
        """Route a parsed query and compute its answer (no LLM here)."""
        if query.intent == "out_of_scope":
            return Answer(question=question, status="out_of_scope", query=query, route="declined",
                          text=query.decline_reason or "This question is outside what the feedback can answer.")
        if not self.facts.rows:
            return self._insufficient(question, query, "There are no annotated records yet: run `synth ingest`.")
        if query.unknown_districts and not query.districts:
            missing = ", ".join(query.unknown_districts)
            return self._insufficient(question, query, f"There are no records from {missing}; the districts in "
                                      f"the data are {', '.join(self.facts.districts)}.")
        scope = scope_of(query)
        mask = self.facts.mask(scope)
        cover = coverage(self.facts, scope, mask)
        if cover.records == 0:
            span = (f"{period_label(self.facts.first_month)} to {period_label(self.facts.latest_month)}"
                    if self.facts.latest_month else "no month (its records are undated or dated only by year)")
            return self._insufficient(question, query, f"There are no records in {where_label(query.districts)} for "
                                      f"{period_label(query.period)}; the data covers {span}.", cover)
        needs_theme = query.intent in ("trend", "share") or (query.intent in ("count", "compare", "open", "ranking")
                                                               and query.topic)
        if needs_theme and not query.themes:
            if query.intent == "open":
                return self._open(question, query, cover)
            if query.intent in ("count", "compare", "ranking"):  # no theme covers it: counted in the text
                return self._result(question, query, cover, self.mentions.answer(query))
            return self._insufficient(question, query, self._no_theme(query), cover)
        if query.intent == "open":
            return self._open(question, query, cover)
        return self._result(question, query, cover, self._figures(query))

    def _result(self, question: str, query: StructuredQuery, cover: Coverage, result: Result) -> Answer:
        status = "insufficient_evidence" if result.insufficient else "answered"
        return Answer(question=question, text=f"{result.text} ({cover.text}.)", status=status,
                      citations=result.citations, figures=result.figures, coverage=cover, query=query,
                      route="figures")

    def _figures(self, query: StructuredQuery) -> Result:
        if query.intent == "ranking":
            return self.figures.ranking(query)
        if query.intent == "trend":
            return self.figures.trend(query)
        if query.intent == "compare":
            return self.figures.compare(query)
        return self.figures.count(query, share=query.intent == "share")

    def _open(self, question: str, query: StructuredQuery, cover: object) -> Answer:
        from synth.ask.models import Coverage

        assert isinstance(cover, Coverage)
        topic = query.topic or question
        citations = self.retriever.search(query, topic)
        if not citations:
            return self._insufficient(question, query, f"Nothing in the records of {where_label(query.districts)}, "
                                      f"{period_label(query.period)} is close enough to {topic!r} to quote; "
                                      f"{self._themes_hint()}", cover)
        figures = []
        label = topic
        if query.themes:  # one count per theme named
            label = " and ".join(self.facts.themes[t].label for t in query.themes)
            figures = self.figures.count(query.model_copy(update={"intent": "count", "group_by": None})).figures
        text = open_answer_text(query, citations, label)
        # worded as the count question words it: "1 records complaining about X in D4, ..."
        text += "".join(f" {f.display} {f.name}." for f in figures)
        return Answer(question=question, text=f"{text} ({cover.text}.)", status="answered", citations=citations,
                      figures=figures, coverage=cover, query=query, route="retrieval")

    def _themes_hint(self) -> str:
        labels = sorted(t.label for t in self.facts.themes.values())
        return "themes in the data: " + "; ".join(labels[:20]) + "."

    def _no_theme(self, query: StructuredQuery) -> str:
        what = f"{query.topic!r}" if query.topic else "the question"
        return f"No theme in the data matches {what}, so there is no exact figure to give; {self._themes_hint()}"

    def _insufficient(self, question: str, query: StructuredQuery, text: str, cover: object = None) -> Answer:
        from synth.ask.models import Coverage

        return Answer(question=question, text=text, status="insufficient_evidence", query=query, route="declined",
                      coverage=cover if isinstance(cover, Coverage) else None)


def _spent(error: LLMError) -> int:
    """Tokens a failed LLM step had spent (AskLLMError carries them; other errors: none known)."""
    return int(getattr(error, "tokens", 0))
