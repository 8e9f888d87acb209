"""A district narrative: words from the LLM, numbers from code, every sentence checked against its citations.

    result = write_narrative(sheet, record_index, chat_model)   # chat_model=None: no LLM at all
    result.text        # "Traffic came up in 40 of 95 records (42%). [r_ab12, wf-000123] ..."
    result.source      # "llm" or "fallback"

With a chat model, `prompts/narrative_v<N>.md | model | parse` is asked for JSON sentences with citations.
The prompt carries the fact sheet's numbers as display strings ("42%", "12 points"), so the model computes
nothing, and the resident quotes as untrusted data in a delimited block. A reply that does not parse, or
that `check_narrative` rejects, is answered with the problems (`synth.llm.structured`, with a reminder of
the grounding rules) in the same conversation, up to `max_attempts` calls in all; then the deterministic
narrative, written by code from the facts alone, is used instead. A failing model call (network, server)
raises LLMError.

Map-reduce: when the rendered prompt exceeds `budget_tokens`, the sheet's themes are split in halves (each
half keeps the sheet's totals and its own praised themes) until every part fits; each part's narrative is
written and checked on its own (map), then code joins them in theme order, drops repeated sentences, and
checks the whole against the full sheet (reduce). The reduce is code, not another model call, so it cannot
add a number or a claim.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from synth import readout
from synth.errors import ConfigError, StructuredOutputError
from synth.llm.chains import escaped_json
from synth.llm.model import ChatModel
from synth.llm.structured import StructuredOutput
from synth.period import PeriodError
from synth.prompts import load_prompt
from synth.synthesis.display import change_verdict, display_forms, theme_forms
from synth.synthesis.facts import CITY_WIDE, NO_DISTRICT
from synth.synthesis.grounding import (
    GroundingIssue,
    Narrative,
    NarrativeSentence,
    RecordIndex,
    ThemeKeywords,
    check_narrative,
)
from synth.synthesis.models import FactSheet, ThemeFacts
from synth.tokens import count_tokens

log = logging.getLogger(__name__)

PROMPT_NAME = "narrative"
RETRY_REMINDER = ("Use only numbers from FACTS exactly as written, and cite only record ids listed under the theme "
                  "each sentence names.")
DETERMINISTIC_PROMPT = "deterministic"  # recorded as the prompt when no model wrote anything
DETERMINISTIC_VERSION = 3  # bump when deterministic_narrative's wording changes
TOP_THEMES = 3  # worries the deterministic narrative reports
TOP_PRAISED = 2
MAX_CITATIONS = 3  # record ids per deterministic sentence
PROMPT_THEMES = 8  # themes (and praised themes) given to the model

TokenCounter = Callable[[str], int]


@dataclass
class NarrativeResult:
    """A narrative and how it was made. Token counts add up every model call.

    `issues` is empty when the model's narrative was used; after a fallback it holds the problems of the
    model's last reply; without a model it is empty. `prompt`/`prompt_version` name the narrative prompt
    when a model was called, else "deterministic" and DETERMINISTIC_VERSION.
    """

    text: str
    sentences: list[NarrativeSentence]
    citations: list[str]
    source: Literal["llm", "fallback"]
    prompt: str
    prompt_version: int
    model: str | None
    input_tokens: int
    output_tokens: int
    attempts: int
    issues: list[GroundingIssue] = field(default_factory=list)


def render_text(sentences: Sequence[NarrativeSentence]) -> str:
    """Sentences joined by spaces, each followed by its citations: "... (42%). [r_ab12, wf-000123]"."""
    parts = []
    for s in sentences:
        cited = list(dict.fromkeys(s.citations))
        parts.append(f"{s.text.strip()} [{', '.join(cited)}]" if cited else s.text.strip())
    return " ".join(parts)


# --- the deterministic narrative: code writes from the facts -------------------------------------------


def period_words(period: str | None) -> str | None:
    """ "2026-11" -> "November 2026"; "2026-06..2026-11" -> "June–November 2026" (`readout.period_label`);
    None stays None, an unreadable period is given as is."""
    if not period:
        return None
    try:
        return readout.period_label(period)
    except PeriodError:
        return period


def _opening(sheet: FactSheet) -> NarrativeSentence:
    where = {CITY_WIDE: "the city as a whole", NO_DISTRICT: "feedback without a district"}.get(
        sheet.district, sheet.district
    )
    return NarrativeSentence(text=f"This summary covers {where} for {period_words(sheet.period)}.")


def _change_words(theme: ThemeFacts, shown: Mapping[str, str], previous: str | None) -> str:
    """ ", up 12 points from 30% in October 2026, a significant rise", from the display forms; the theme lines
    of the text and markdown views state the same change and verdict (`display.change_phrase`)."""
    if theme.change is None or previous is None or "delta_points" not in shown:
        return ""
    points = int(shown["delta_points"])
    before = f"{'with' if points == 0 else 'from'} {shown['previous_share']} in {previous}"
    return f", {readout.change_words(points)} {before}, {change_verdict(theme.change)}"


def _caveat(theme: ThemeFacts, shown: Mapping[str, str]) -> str | None:
    """ "80% of these mentions came from a single meeting", when one source supplies most mentions."""
    if theme.dominated_by is None or "dominance_share" not in shown:
        return None
    source = "a single meeting" if theme.dominated_by == "meeting" else "a single note-taker"
    return f"{shown['dominance_share']} of these mentions came from {source}"


def _citations(theme: ThemeFacts) -> list[str]:
    return list(dict.fromkeys(q.record_id for q in theme.quotes))[:MAX_CITATIONS]


# How the n-th worry is introduced: the sentences read as a ranking, not one template repeated.
_WORRY_OPENINGS = (
    "Residents worried most about {label}, in {mentions} of {records} records ({share})",
    "They also worried about {label}, in {mentions} {records_noun} ({share})",
    "Residents also worried about {label}, in {mentions} {records_noun} ({share})",
)


def _worry_sentence(sheet: FactSheet, rank: int, theme: ThemeFacts, forms: Mapping[str, str]) -> NarrativeSentence:
    shown = theme_forms(forms, theme.id)
    opening = _WORRY_OPENINGS[min(rank, len(_WORRY_OPENINGS) - 1)]
    text = opening.format(label=theme.label, mentions=shown["mentions"], records=forms["records"],
                          records_noun="record" if theme.mentions == 1 else "records", share=shown["share"])
    text += _change_words(theme, shown, period_words(sheet.previous_period))
    if caveat := _caveat(theme, shown):
        text += f"; {caveat}"
    return NarrativeSentence(text=text + ".", citations=_citations(theme))


def _praise_sentence(rank: int, theme: ThemeFacts, forms: Mapping[str, str]) -> NarrativeSentence:
    shown = theme_forms(forms, theme.id)
    positive, mentions = shown.get("sentiment.positive", "0"), shown["mentions"]
    if rank == 0:
        text = (f"On the positive side, residents praised {theme.label}: {positive} of its {mentions} records "
                "were positive.")
    else:
        text = f"They also spoke well of {theme.label} ({positive} of {mentions} records positive)."
    return NarrativeSentence(text=text, citations=_citations(theme))


def _quoted_record_index(sheet: FactSheet) -> dict[str, tuple[str | None, set[str]]]:
    """The record index the sheet implies: each quoted record, the sheet's district, the themes quoting it."""
    district = None if sheet.district == NO_DISTRICT else sheet.district
    index: dict[str, tuple[str | None, set[str]]] = {}
    for theme in [*sheet.themes, *sheet.highlights]:
        for q in theme.quotes:
            index.setdefault(q.record_id, (district, set()))[1].add(theme.id)
    return index


def deterministic_narrative(sheet: FactSheet, *, theme_keywords: ThemeKeywords | None = None) -> Narrative:
    """The narrative code writes from the facts alone: the top worries with mentions, share and change (with
    its significance), then what residents praised, each sentence citing the theme's quote record ids.

    Each candidate sentence is checked as it is added and dropped if it would break a grounding rule (a
    theme without quotes cannot be cited, so it is left out). It passes `check_narrative` against any record
    index in which each quoted record is in the sheet's district and raises the theme it is quoted for.
    """
    forms = display_forms(sheet)
    worries = [t for t in sheet.themes if t.tone == "worry" and t.mentions and t.quotes]
    praised = [t for t in sheet.highlights if t.mentions and t.quotes]
    candidates = [
        _opening(sheet),
        *(_worry_sentence(sheet, i, t, forms) for i, t in enumerate(worries[:TOP_THEMES])),
        *(_praise_sentence(i, t, forms) for i, t in enumerate(praised[:TOP_PRAISED])),
    ]
    index = _quoted_record_index(sheet)
    kept: list[NarrativeSentence] = []
    for sentence in candidates:
        trial = Narrative(sentences=[*kept, sentence])
        if not check_narrative(trial, sheet, index, theme_keywords=theme_keywords):
            kept.append(sentence)
    if not kept:  # even the opening names a theme through a keyword: say only what can't be wrong
        kept = [NarrativeSentence(text=f"Summary for {sheet.district}.")]
    return Narrative(sentences=kept)


# --- what the model is given ---------------------------------------------------------------------------


def _under(forms: Mapping[str, str], prefix: str) -> dict[str, str]:
    """The forms whose names start with `prefix`, by the rest of the name."""
    return {k[len(prefix) :]: v for k, v in forms.items() if k.startswith(prefix)}


def _theme_facts(theme: ThemeFacts, forms: Mapping[str, str]) -> dict[str, Any]:
    shown = theme_forms(forms, theme.id)
    facts: dict[str, Any] = {
        "id": theme.id,
        "label": theme.label,
        "mentions": shown["mentions"],
        "share_of_records": shown["share"],
        "status": theme.status,
        "tone": theme.tone,
        "records_by_sentiment": _under(shown, "sentiment."),
    }
    if theme.change is not None and "delta_points" in shown:
        points = int(shown["delta_points"])
        facts["change_since_previous_period"] = {
            "direction": readout.direction(points),
            "points": readout.points(points),
            "previous_share": shown["previous_share"],
            "previous_mentions": shown["previous_mentions"],
            "statistically_significant": theme.change.significant,
            "in_words": change_verdict(theme.change),
        }
    if caveat := _caveat(theme, shown):
        facts["caveat"] = caveat
    return facts


def prompt_variables(sheet: FactSheet) -> dict[str, str]:
    """The narrative prompt's variables: the facts (numbers as display strings) and the quotes by theme."""
    forms = display_forms(sheet)
    themes = sheet.themes[:PROMPT_THEMES]
    praised = [t for t in sheet.highlights if "mentions" in theme_forms(forms, t.id)][:PROMPT_THEMES]
    facts = {
        "district": sheet.district,
        "period": period_words(sheet.period),
        "previous_period": period_words(sheet.previous_period),
        "records": forms["records"],
        "meetings": forms["meetings"],
        "residents_reached": forms["residents_reached"],
        "records_by_kind": _under(forms, "records_by_kind."),
        "record_sentiment_counts": _under(forms, "sentiment."),
        "themes_by_mentions": [_theme_facts(t, forms) for t in themes],
        "praised_themes": [_theme_facts(t, forms) for t in praised],
    }
    if sheet.leading_theme_by_district:
        labels = {t.id: t.label for t in [*sheet.themes, *sheet.highlights]}
        facts["leading_theme_by_district"] = {
            d: labels.get(tid, tid) for d, tid in sheet.leading_theme_by_district.items()
        }
    quotes: dict[str, list[dict[str, str]]] = {}
    for theme in [*themes, *praised]:
        quotes.setdefault(theme.id, [{"record_id": q.record_id, "text": q.text} for q in theme.quotes])
    return {"facts_json": escaped_json(facts, indent=1), "quotes_json": escaped_json(quotes, indent=1)}


# --- the model's narrative ----------------------------------------------------------------------------


def write_narrative(
    sheet: FactSheet,
    record_index: RecordIndex,
    chat_model: ChatModel | None,
    *,
    max_attempts: int = 3,
    token_counter: TokenCounter = count_tokens,
    theme_keywords: ThemeKeywords | None = None,
    prompt_version: int | None = None,
    budget_tokens: int | None = None,
) -> NarrativeResult:
    """The narrative of `sheet`: the model's if it passes the grounding checks within `max_attempts` calls,
    else the deterministic one. `record_index` and `theme_keywords` are passed to `check_narrative`; a
    prompt over `budget_tokens` is split (map-reduce, see the module docstring)."""
    if max_attempts < 1:
        raise ConfigError(f"max_attempts must be at least 1, not {max_attempts}")
    if chat_model is None:
        return _deterministic_result(sheet, record_index, theme_keywords)
    prompt = load_prompt(PROMPT_NAME, prompt_version)
    variables = prompt_variables(sheet)
    rendered = prompt.render(**variables)  # strict: a missing or extra variable fails here
    if budget_tokens is not None and token_counter(rendered) > budget_tokens and len(sheet.themes) > 1:
        return _map_reduce(sheet, record_index, chat_model, max_attempts=max_attempts, token_counter=token_counter,
                           theme_keywords=theme_keywords, prompt_version=prompt_version, budget_tokens=budget_tokens)
    asker = StructuredOutput(chat_model, prompt, Narrative, max_reasks=max_attempts - 1, token_counter=token_counter,
                             reminder=RETRY_REMINDER, what="narrative", logger=log)
    issues: list[GroundingIssue] = []

    def check(narrative: Narrative) -> list[str]:  # the grounding issues, each naming its sentence
        issues[:] = check_narrative(narrative, sheet, record_index, theme_keywords=theme_keywords)
        return [(f'sentence {i.sentence + 1} ("{narrative.sentences[i.sentence].text[:80]}")'
                 if 0 <= i.sentence < len(narrative.sentences) else "the narrative") + f": {i.detail}" for i in issues]

    made = (prompt.name, prompt.version)
    try:
        accepted = asker.ask(variables, check, context=f"district={sheet.district} period={sheet.period}")
    except StructuredOutputError as e:
        if e.attempts[-1].value is None:  # the last reply did not parse
            issues[:] = [GroundingIssue(kind="unparseable", sentence=-1, detail="; ".join(e.attempts[-1].problems))]
        log.warning("narrative for %s %s: the model's replies failed the checks %d times; using the deterministic "
                    "narrative (last problems: %s)", sheet.district, sheet.period, max_attempts,
                    "; ".join(i.detail for i in issues[:3]))
        return _result(deterministic_narrative(sheet, theme_keywords=theme_keywords), "fallback", prompt=made,
                       model=asker.model, tokens=(asker.stats.input_tokens, asker.stats.output_tokens),
                       attempts=max_attempts, issues=list(issues))
    assert accepted.value is not None
    return _result(accepted.value, "llm", prompt=made, model=asker.model,
                   tokens=(asker.stats.input_tokens, asker.stats.output_tokens), attempts=accepted.number)


def _result(narrative: Narrative, source: Literal["llm", "fallback"], *, prompt: tuple[str, int], model: str | None,
            tokens: tuple[int, int] = (0, 0), attempts: int = 0,
            issues: list[GroundingIssue] | None = None) -> NarrativeResult:
    return NarrativeResult(
        text=render_text(narrative.sentences), sentences=narrative.sentences,
        citations=list(dict.fromkeys(c for s in narrative.sentences for c in s.citations)), source=source,
        prompt=prompt[0], prompt_version=prompt[1], model=model, input_tokens=tokens[0], output_tokens=tokens[1],
        attempts=attempts, issues=issues or [])


def _deterministic_result(
    sheet: FactSheet, record_index: RecordIndex, theme_keywords: ThemeKeywords | None
) -> NarrativeResult:
    narrative = deterministic_narrative(sheet, theme_keywords=theme_keywords)
    if problems := check_narrative(narrative, sheet, record_index, theme_keywords=theme_keywords):
        log.warning(  # the sheet's quotes disagree with the store: worth a look, not a reason to fail
            "deterministic narrative for %s %s fails against the record index: %s",
            sheet.district, sheet.period, "; ".join(p.detail for p in problems[:3]),
        )  # fmt: skip
    return _result(narrative, "fallback", prompt=(DETERMINISTIC_PROMPT, DETERMINISTIC_VERSION), model=None)


# --- map-reduce for sheets whose prompt exceeds the budget ---------------------------------------------


def split_sheet(sheet: FactSheet) -> list[FactSheet]:
    """Two sheets with the same totals, each holding half of the themes (by rank) and its praised themes."""
    half = (len(sheet.themes) + 1) // 2
    parts = []
    for themes in (sheet.themes[:half], sheet.themes[half:]):
        ids = {t.id for t in themes}
        parts.append(sheet.model_copy(update={"themes": themes,
                                              "highlights": [h for h in sheet.highlights if h.id in ids]}))
    return parts


def _map_reduce(
    sheet: FactSheet,
    record_index: RecordIndex,
    chat_model: ChatModel,
    *,
    max_attempts: int,
    token_counter: TokenCounter,
    theme_keywords: ThemeKeywords | None,
    prompt_version: int | None,
    budget_tokens: int,
) -> NarrativeResult:
    parts = [write_narrative(part, record_index, chat_model, max_attempts=max_attempts, token_counter=token_counter,
                             theme_keywords=theme_keywords, prompt_version=prompt_version, budget_tokens=budget_tokens)
             for part in split_sheet(sheet)]
    seen: set[str] = set()
    sentences = []
    for part in parts:
        for sentence in part.sentences:
            key = " ".join(sentence.text.lower().split())
            if key not in seen:
                seen.add(key)
                sentences.append(sentence)
    combined = Narrative(sentences=sentences)
    tokens = (sum(p.input_tokens for p in parts), sum(p.output_tokens for p in parts))
    first = parts[0]
    issues = check_narrative(combined, sheet, record_index, theme_keywords=theme_keywords)
    if issues:  # each part passed against its own half; the whole must pass against the whole sheet too
        log.warning("narrative for %s %s: the joined parts fail the checks (%s); using the deterministic narrative",
                    sheet.district, sheet.period, "; ".join(i.detail for i in issues[:3]))
        combined = deterministic_narrative(sheet, theme_keywords=theme_keywords)
    source: Literal["llm", "fallback"] = "llm" if not issues and all(p.source == "llm" for p in parts) \
        else "fallback"
    return _result(combined, source, prompt=(first.prompt, first.prompt_version), model=first.model, tokens=tokens,
                   attempts=sum(p.attempts for p in parts), issues=issues or [i for p in parts for i in p.issues])
