"""Coordinator edits to the city-wide taxonomy, and what each does to the counts before it is applied.

`TaxonomyEditor` renames, pins, marks chatter, merges, splits and teaches example phrases; each edit is saved
with its author in the taxonomy's edit log, and later runs respect it (edited and pinned themes are never
rediscovered). With `dry_run=True` it works on a copy of the taxonomy and saves nothing: `preview` annotates
every stored span under that copy exactly as the corpus will after the edit (the same classifier, form learner
and thresholds), so the counts it shows are the counts the pages show once the edit is applied.

Under a seeded taxonomy spans are decided by example phrases and cues, not centroids, so a merge gives the
kept theme the examples and cues of the themes folded into it, and the parts of a split get the stored (redacted)
spans nearest their centres as examples; otherwise those spans would fall to no theme at all. A theme keeps its
former labels, and those of the themes merged into it, as aliases: notes whose "Top concerns" line names a
theme by its old name still count for it.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np

from synth.errors import TaxonomyError, ThemeNotFound
from synth.synthesis.models import OTHER_THEME, Annotation
from synth.synthesis.pipeline import Synthesizer, _is_seeded
from synth.synthesis.store import StoredSpan, SynthesisStore
from synth.synthesis.themes import TaxonomyState, _require, merge, normalize_rows, pin, rename, split

Action = Literal["rename", "merge", "split", "pin", "unpin", "chatter", "concern", "examples"]
ACTIONS: tuple[Action, ...] = ("rename", "merge", "split", "pin", "unpin", "chatter", "concern", "examples")
SPLIT_EXAMPLES = 6  # stored spans nearest a split part's centre that become its example phrases
MAX_EXAMPLES = 60  # example phrases a theme may carry (each is compared with every span)
AFFECTED_DISTRICTS = 8


@dataclass(frozen=True)
class TaxonomyChange:
    """One edit as a form or an API body gives it: `theme_ids` are the themes it acts on (merge: those folded
    into `into`, which may be among them)."""

    action: Action
    theme_ids: tuple[str, ...]
    into: str | None = None
    label: str | None = None
    parts: int = 2
    phrases: tuple[str, ...] = ()

    def describe(self, labels: Mapping[str, str]) -> str:
        """A sentence for people: 'Merge "Noise" and "Parties" into "Noise"'."""
        def name(tid: str | None) -> str:
            return f"“{labels.get(tid or '', tid)}”"

        first = name(self.theme_ids[0]) if self.theme_ids else ""
        folded = [t for t in self.theme_ids if t != self.into]
        return {
            "rename": f"Rename {first} to “{self.label}”",
            "merge": f"Merge {', '.join(name(t) for t in folded)} into {name(self.into)}",
            "split": f"Split {first} into {self.parts} themes",
            "pin": f"Pin {first}", "unpin": f"Unpin {first}",
            "chatter": f"Mark {first} as meeting chatter (not counted)",
            "concern": f"Count {first} as a concern again",
            "examples": f"Teach {first} {len(self.phrases)} example phrase{'s' if len(self.phrases) != 1 else ''}",
        }[self.action]


class TaxonomyEditor:
    """Edits applied to the stored taxonomy and logged (with `actor`), or with `dry_run` to a copy (`state`)."""

    def __init__(self, synth: Synthesizer, *, actor: str | None = None, dry_run: bool = False) -> None:
        self.synth = synth
        self.actor = actor
        self.dry_run = dry_run
        stored = synth.taxonomy()
        self.state = TaxonomyState(dict(stored.themes), dict(stored.centroids))
        self.assigned: Mapping[tuple[str, int], str] | None = None  # span -> theme now, when the caller knows

    def _current(self) -> TaxonomyState:
        """The taxonomy to edit: the dry run's copy, else the stored one read again (another editor may have
        saved since this one was made)."""
        if not self.dry_run:
            self.state = self.synth.taxonomy()
        return self.state

    def _save(self, action: str, payload: dict[str, object]) -> None:
        if not self.dry_run:
            self.synth.store.save_taxonomy(self.state, action, payload, actor=self.actor)

    def apply(self, change: TaxonomyChange) -> list[str]:
        """Carry out `change`; returns the ids it leaves (split: the new ones)."""
        [first, *_] = change.theme_ids or ("",)
        if change.action == "rename":
            self.rename(first, change.label or "")
        elif change.action in ("pin", "unpin"):
            self.pin(first, change.action == "pin")
        elif change.action in ("chatter", "concern"):
            self.set_concern(first, change.action == "concern")
        elif change.action == "merge":
            if change.into is None:
                raise TaxonomyError("a merge needs the theme to keep (into)")
            self.merge(change.theme_ids, change.into)
            return [change.into]
        elif change.action == "split":
            return self.split(first, change.parts)
        elif change.action == "examples":
            self.add_examples(first, change.phrases)
        return [first]

    # -- the edits ------------------------------------------------------------------------------------------
    def rename(self, theme_id: str, label: str) -> None:
        if not label.strip():
            raise TaxonomyError("a theme's new name cannot be empty")
        state = self._current()
        _require(state, theme_id)
        before = state.themes[theme_id]
        rename(state, theme_id, label)
        if before.label != label.strip():
            aliases = _unique([*before.aliases, before.label])
            state.themes[theme_id] = state.themes[theme_id].model_copy(update={"aliases": aliases})
        self._save("rename", {"id": theme_id, "label": label.strip()})

    def pin(self, theme_id: str, pinned: bool = True) -> None:
        pin(self._current(), theme_id, pinned)
        self._save("pin" if pinned else "unpin", {"id": theme_id})

    def set_concern(self, theme_id: str, is_concern: bool) -> None:
        state = self._current()
        if theme_id not in state.themes:
            raise ThemeNotFound(f"no theme {theme_id!r}")
        state.themes[theme_id] = state.themes[theme_id].model_copy(update={"is_concern": is_concern,
                                                                           "source": "edited"})
        self._save("concern" if is_concern else "chatter", {"id": theme_id})

    def merge(self, source_ids: Sequence[str], into: str) -> None:
        state = self._current()
        for tid in [*source_ids, into]:
            _require(state, tid)
        folded = [state.themes[t] for t in source_ids if t != into]
        if not folded:
            raise TaxonomyError("choose at least one theme to fold into another")
        kept = state.themes[into]
        examples = _unique([*kept.examples, *(e for t in folded if t.source != "discovered" for e in t.examples)])
        cues = _unique([*kept.cues, *(c for t in folded for c in t.cues)])
        vectors, _ = self._spans_by_theme(state)
        merge(state, source_ids, into, vectors)
        aliases = _unique([*kept.aliases, *(name for t in folded for name in [t.label, *t.aliases])])
        state.themes[into] = state.themes[into].model_copy(update={"examples": examples[:MAX_EXAMPLES],
                                                                   "cues": cues, "aliases": aliases})
        self._save("merge", {"from": list(source_ids), "into": into})

    def split(self, theme_id: str, parts: int = 2) -> list[str]:
        state = self._current()
        _require(state, theme_id)
        seeded = _is_seeded(state)
        vectors, texts = self._spans_by_theme(state)
        if theme_id not in vectors:
            raise TaxonomyError(f"theme {theme_id!r} has no spans to split")
        new_ids = split(state, theme_id, vectors[theme_id], texts[theme_id], parts, seed=self.synth.config.seed)
        if seeded:  # the classifier goes by examples: each part's are its own nearest spans
            unit = normalize_rows(vectors[theme_id])
            for tid in new_ids:
                nearest = np.argsort(-(unit @ state.centroids[tid]), kind="stable")
                picked = _unique(texts[theme_id][int(i)] for i in nearest)[:SPLIT_EXAMPLES]
                state.themes[tid] = state.themes[tid].model_copy(update={"examples": picked})
        self._save("split", {"id": theme_id, "into": new_ids})
        return new_ids

    def add_examples(self, theme_id: str, phrases: Sequence[str]) -> list[str]:
        """Teach a theme resident-like sentences (already redacted by the caller); returns those added. A
        discovered theme taught examples becomes an edited one, decided by its examples from then on."""
        state = self._current()
        _require(state, theme_id)
        theme = state.themes[theme_id]
        if not theme.is_concern:
            raise TaxonomyError(f"{theme.label!r} is chatter: example phrases teach concern themes")
        added = [p for p in _unique(p.strip() for p in phrases) if p and p not in theme.examples]
        if not added:
            raise TaxonomyError("no new example phrases: each is empty or the theme has it already")
        if len(theme.examples) + len(added) > MAX_EXAMPLES:
            raise TaxonomyError(f"a theme keeps at most {MAX_EXAMPLES} example phrases")
        state.themes[theme_id] = theme.model_copy(update={
            "examples": [*theme.examples, *added],
            "source": "edited" if theme.source == "discovered" else theme.source})
        self._save("examples", {"id": theme_id, "added": len(added)})
        return added

    def _spans_by_theme(self, state: TaxonomyState) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
        """Each theme's span vectors and texts as the offline annotator assigns them now (the seeded
        classifier's decisions under a seeded taxonomy, the nearest centre otherwise)."""
        spans = self.synth.spans()
        if not spans:
            return {}, {}
        theme_of = self.assigned if self.assigned is not None else \
            _span_themes(self.synth.offline_annotations(state, spans))
        vecs: dict[str, list[np.ndarray]] = {}
        texts: dict[str, list[str]] = {}
        for s in spans:
            tid = theme_of.get((s.record_id, s.idx), OTHER_THEME)
            vecs.setdefault(tid, []).append(s.vector)
            texts.setdefault(tid, []).append(s.text)
        return {k: np.stack(v) for k, v in vecs.items()}, texts


# -- the preview ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CountChange:
    theme_id: str
    label: str
    before: int
    after: int
    district: str | None = None  # None: city-wide

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass
class Preview:
    """What an edit does to the mentions (records raising a theme): per theme city-wide, and the district
    themes that move most, before → after."""

    change: TaxonomyChange
    description: str
    themes: list[CountChange]  # every theme the edit touches or whose count moves, biggest move first
    districts: list[CountChange]
    unchanged: int  # themes whose count stays
    new_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0
    estimate: bool = False  # the LLM annotator decides the real counts: both sides are the offline annotator's


def mentions(annotations: Iterable[Annotation], district_of: Mapping[str, str | None] | None = None
             ) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Records raising each theme, city-wide and per (district, theme), as the fact sheets count them."""
    city: Counter[str] = Counter()
    by_district: Counter[tuple[str, str]] = Counter()
    for a in annotations:
        city.update(a.themes)
        if district_of is not None and (d := district_of.get(a.record_id)):
            by_district.update((d, t) for t in a.themes)
    return city, by_district


def preview(synth: Synthesizer, change: TaxonomyChange, before: Sequence[Annotation],
            district_of: Mapping[str, str | None]) -> Preview:
    """Dry-run `change` and annotate every stored span under the result; `before` are the annotations the
    pages show now, `district_of` each record's district. With the LLM annotator both sides are the offline
    annotator's, an estimate (the model is asked again only once the edit is applied)."""
    started = time.perf_counter()
    synth = _dry(synth)
    editor = TaxonomyEditor(synth, dry_run=True)
    if synth.llm_annotator is None:  # the pages' annotations are the offline annotator's: no second pass
        editor.assigned = _span_themes({a.record_id: a for a in before})
    labels_before = {tid: t.label for tid, t in editor.state.themes.items()}
    description = change.describe(labels_before)
    new_ids = editor.apply(change)
    spans: list[StoredSpan] = synth.spans()
    estimate = synth.llm_annotator is not None  # re-asking the model about every record is not a preview
    if estimate:
        before = list(synth.offline_annotations(synth.taxonomy(), spans).values())
        after = synth.offline_annotations(editor.state, spans).values()
    else:
        after = synth.annotations(editor.state, spans).values()
    labels = {**labels_before, **{tid: t.label for tid, t in editor.state.themes.items()}}
    city_before, districts_before = mentions(before, district_of)
    city_after, districts_after = mentions(after, district_of)
    touched = {*change.theme_ids, *(change.into and [change.into] or []), *new_ids}
    theme_ids = sorted({*city_before, *city_after, *touched} - {OTHER_THEME})
    themes = [CountChange(t, labels.get(t, t), city_before[t], city_after[t]) for t in theme_ids
              if t in touched or city_before[t] != city_after[t]]
    themes.sort(key=lambda c: (c.theme_id not in touched, -abs(c.delta), c.label))
    moved = [CountChange(t, labels.get(t, t), districts_before[(d, t)], districts_after[(d, t)], district=d)
             for d, t in {*districts_before, *districts_after}
             if districts_before[(d, t)] != districts_after[(d, t)] and t != OTHER_THEME]
    moved.sort(key=lambda c: (-abs(c.delta), c.district or "", c.label))
    return Preview(change, description, themes, moved[:AFFECTED_DISTRICTS], len(theme_ids) - len(themes),
                   new_ids=new_ids, seconds=time.perf_counter() - started, estimate=estimate)


class _DryStore:
    """The synthesis store for a dry run: reads pass through; the form learner's decisions for the edited
    taxonomy stay in memory (the store keeps one set of decisions, the live taxonomy's, which a preview must not
    evict)."""

    def __init__(self, store: SynthesisStore) -> None:
        self._store = store
        self._learned: dict[str, dict[tuple[str, int], str]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def load_learned(self, key: str) -> dict[tuple[str, int], str] | None:
        return self._learned.get(key) or self._store.load_learned(key)

    def save_learned(self, key: str, decisions: dict[tuple[str, int], str]) -> None:
        self._learned[key] = decisions

    def save_taxonomy(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("a dry run saves no taxonomy")


def _dry(synth: Synthesizer) -> Synthesizer:
    """A copy of `synth` that writes nothing: its own store view and its own last fitted learner (the live
    one, fitted for the stored taxonomy, stays the process's)."""
    dry = copy.copy(synth)
    dry.store = cast(SynthesisStore, _DryStore(synth.store))
    return dry


def _span_themes(annotations: Mapping[str, Annotation]) -> dict[tuple[str, int], str]:
    """(record id, span index) -> the theme the annotation gives it first."""
    out: dict[tuple[str, int], str] = {}
    for a in annotations.values():
        for c in a.concerns:
            out.setdefault((a.record_id, c.index), c.theme_id)
    return out


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))

