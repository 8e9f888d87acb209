"""Short human theme labels ("Broken streetlights") written by the LLM from each theme's keywords and
example spans, instead of the keyword label ("streetlights / dark / weeks").

    labels = label_themes(chat_model, state.themes, examples)   # theme id -> label, for every theme

Only discovered, unpinned themes are relabelled: a coordinator's label (pinned, edited) and a seeded label
are already human and are returned unchanged. `prompts/theme_labels_v<N>.md | model | parse` gets as many
themes per call as fit `budget_tokens` of rendered prompt; example spans are resident text and go in a
delimited, escaped data block. A reply must give every theme of the call exactly one label of 2 to 5 words
(no digits, ids or line breaks; no label used twice); a failing reply is answered with its problems
(`synth.llm.structured`) up to `max_retries` times, then each theme still without a valid label keeps
its keyword label. A failing model call (network, server) raises LLMError.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from synth.errors import StructuredOutputError
from synth.llm.chains import data_json, pack
from synth.llm.model import ChatModel
from synth.llm.structured import StructuredOutput
from synth.prompts import load_prompt
from synth.synthesis.models import Theme
from synth.synthesis.themes import label_from_keywords
from synth.tokens import count_tokens

log = logging.getLogger(__name__)

PROMPT_NAME = "theme_labels"
DEFAULT_BUDGET_TOKENS = 3000
MAX_THEMES_PER_CALL = 40  # bounds the reply
KEYWORDS_PER_THEME = 8
EXAMPLES_PER_THEME = 4
EXAMPLE_CHARS = 160  # an example longer than this is cut at a word boundary
LABEL_WORDS = (2, 5)
LABEL_CHARS = 48


class ThemeLabel(BaseModel):
    id: str
    label: str


class ThemeLabels(BaseModel):
    """The reply's schema."""

    labels: list[ThemeLabel]


@dataclass
class LabelStats:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    labelled: int = 0  # themes given the model's label
    fallback: int = 0  # themes that kept the keyword label


def relabelable(theme: Theme) -> bool:
    """Only labels that code wrote are replaced: never a pinned, edited or seeded theme's."""
    return theme.source == "discovered" and not theme.pinned


def keyword_label(theme: Theme) -> str:
    """The fallback: the name discovery gave the theme (a phrase of its own text), else its top keyword."""
    return theme.label or label_from_keywords(theme.keywords)


def label_problem(label: str, taken: set[str]) -> str | None:
    """Why `label` is not a short human label, or None when it is one."""
    words = label.split()
    if not LABEL_WORDS[0] <= len(words) <= LABEL_WORDS[1]:
        return f"has {len(words)} words; use {LABEL_WORDS[0]} to {LABEL_WORDS[1]}"
    if len(label) > LABEL_CHARS:
        return f"is {len(label)} characters long; keep it under {LABEL_CHARS}"
    if any(ch.isdigit() for ch in label) or "t_" in label or "\n" in label:
        return "contains digits, an id or a line break"
    if label.casefold() in taken:
        return "is already the label of another theme; make each label distinct"
    return None


def label_themes(chat_model: ChatModel | None, themes: Mapping[str, Theme], examples: Mapping[str, list[str]],
                 *, encoding: str = "cl100k_base", budget_tokens: int = DEFAULT_BUDGET_TOKENS,
                 max_retries: int = 2, prompt_version: int | None = None,
                 stats: LabelStats | None = None) -> dict[str, str]:
    """Theme id -> label for every theme: the model's for discovered unpinned themes when valid, else the
    keyword label; other themes keep theme.label. `examples`: theme id -> resident spans of the theme."""
    stats = stats if stats is not None else LabelStats()
    out = {tid: t.label for tid, t in themes.items() if not relabelable(t)}
    todo = [t for _, t in sorted(themes.items()) if relabelable(t)]
    if chat_model is None or not todo:
        out.update({t.id: keyword_label(t) for t in todo})
        stats.fallback += len(todo)
        return out
    prompt = load_prompt(PROMPT_NAME, prompt_version)
    entries = [_entry(t, examples.get(t.id, [])) for t in todo]
    batches = pack(entries, lambda b: count_tokens(prompt.render(themes_json=data_json(b)), encoding),
                   budget=budget_tokens, max_items=MAX_THEMES_PER_CALL)
    asker = StructuredOutput(chat_model, prompt, ThemeLabels, encoding=encoding, max_reasks=max_retries, stats=stats,
                             what="theme labels", logger=log)
    for batch in batches:
        taken = {label.casefold() for label in out.values()}
        ids = [e["id"] for e in batch]
        labels = _ask(asker, batch, ids, taken)
        for entry in batch:
            tid = entry["id"]
            out[tid] = labels.get(tid) or keyword_label(themes[tid])
        stats.labelled += len(labels)
        stats.fallback += len(batch) - len(labels)
    return {tid: out[tid] for tid in themes}


def _ask(asker: StructuredOutput[ThemeLabels], batch: list[dict[str, Any]], ids: list[str],
         taken: set[str]) -> dict[str, str]:
    """All labels of the first fully valid reply, else the valid ones of the last reply."""
    found: dict[str, str] = {}

    def check(reply: ThemeLabels) -> list[str]:
        labels, problems = check_labels(reply, ids, taken)
        found.clear()
        found.update(labels)
        return problems

    try:
        asker.ask({"themes_json": data_json(batch)}, check, context=f"themes={len(ids)}")
    except StructuredOutputError as e:
        if e.attempts[-1].value is None:  # the last reply did not parse: it has no valid label
            found.clear()
        log.warning("theme labels: %d of %d themes keep their keyword label after %d calls (last problems: %s)",
                    len(ids) - len(found), len(ids), len(e.attempts), "; ".join(e.attempts[-1].problems[:3]))
    return found


def _entry(theme: Theme, spans: Sequence[str]) -> dict[str, Any]:
    shown = list(dict.fromkeys(_shorten(s) for s in spans if s.strip()))[:EXAMPLES_PER_THEME]
    return {"id": theme.id, "keywords": theme.keywords[:KEYWORDS_PER_THEME], "examples": shown}


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= EXAMPLE_CHARS:
        return text
    return text[:EXAMPLE_CHARS].rsplit(" ", 1)[0] + " ..."


def check_labels(reply: ThemeLabels, ids: Sequence[str], taken: set[str]) -> tuple[dict[str, str], list[str]]:
    """The valid labels by theme id, and the problems (unknown, repeated or missing ids; bad labels)."""
    wanted = set(ids)
    labels: dict[str, str] = {}
    problems: list[str] = []
    used = set(taken)
    for item in reply.labels:
        label = " ".join(item.label.split()).strip(" .\"'")
        if item.id not in wanted:
            problems.append(f"id {item.id!r} is not a theme in THEMES; label only the ids given")
        elif item.id in labels:
            problems.append(f"theme {item.id} is labelled more than once; give it one label")
        elif problem := label_problem(label, used):
            problems.append(f"theme {item.id}: label {label!r} {problem}")
        else:
            labels[item.id] = label
            used.add(label.casefold())
    problems += [f"theme {tid} has no label; label every theme" for tid in ids if tid not in labels
                 and not any(i.id == tid for i in reply.labels)]
    return labels, problems
