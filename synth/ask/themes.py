"""Which theme a question is about: words first (labels, keywords, descriptions, examples of the taxonomy),
then embedding similarity between the question's topic phrase and the theme centroids."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from synth.synthesis.models import Theme
from synth.synthesis.seeded import compile_cues
from synth.synthesis.themes import STOP_WORDS

Embed = Callable[[list[str]], np.ndarray]
_WORD = re.compile(r"[a-z][a-z']+")
# Words that say what kind of question it is, not what it is about.
QUESTION_WORDS = frozenset({
    "how", "many", "much", "what", "which", "who", "whom", "where", "when", "why", "is", "are", "was", "were", "do",
    "does", "did", "has", "have", "had", "anyone", "anybody", "someone", "people", "residents", "resident",
    "talking", "talk", "talked", "saying", "say", "said", "mention", "mentioned", "mentions", "mentioning",
    "raise", "raised", "raising", "meeting", "meetings", "notes", "note", "comments", "comment", "records",
    "record", "district", "districts", "most", "top", "main", "biggest", "worried", "worry", "worries",
    "concern", "concerns", "concerned", "issue", "issues", "problem", "problems", "complain", "complained",
    "complaints", "complaining", "praise", "praised", "share", "percent", "percentage", "proportion", "number",
    "count", "trend", "changed", "change", "compare", "compared", "versus", "vs", "since", "month", "months",
    "year", "last", "past", "latest", "recent", "city", "every", "each", "per", "feel", "think", "tell",
    "about", "any", "anything", "there", "topic", "topics", "theme", "themes", "brought", "bring", "come",
    "came", "up", "rising", "rise", "rose", "growing", "falling", "fell", "increase", "increased",
    "decrease", "decreased", "often", "neighborhood", "neighbors", "lately", "recently", "happy", "unhappy",
    "positive", "negative", "summarize", "summary", "describe", "overall", "mostly", "more", "less",
    "fewer", "than", "between", "across", "over", "time", "going", "get", "getting", "worse", "better",
    "leading", "greatest", "highest", "lowest", "least", "rank", "ranking", "kinds", "kind", "sort", "sorts",
    "surveys", "survey", "emails", "email", "form", "web", "forms", "writing", "wrote", "write", "asked",
    "ask", "frequently", "common", "commonly", "including", "hear", "heard", "hearing", "want", "like",
    "give", "show", "list", "breakdown", "broken", "down", "quarter", "today",
    "held", "hold", "took", "place", "received", "receive", "got", "submitted", "sent", "total", "altogether",
    "discussed", "discuss", "feedback", "times", "focus",
})
# The department's words for itself: a topic only when the question names nothing else.
SELF_WORDS = frozenset({"police", "policing", "department", "departments", "officer", "officers", "cops", "cop"})
_MONTH_WORDS = frozenset({"january", "february", "march", "april", "may", "june", "july", "august", "september",
                          "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
                          "sep", "sept", "oct", "nov", "dec", "one", "two", "three", "four", "five", "six"})


def stem(word: str) -> str:
    """A crude stem that is enough to meet 'lighting'/'lights', 'speeding'/'speed', 'parks'/'park'."""
    for suffix in ("ings", "ing", "ies", "es", "s", "ed", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:6]


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower())
            if w not in STOP_WORDS and w not in QUESTION_WORDS and w not in _MONTH_WORDS and len(w) > 2]


def topic_content(text: str) -> list[str]:
    """content_words of a question's topic. The police are a topic like any other, but a department asks
    about itself in many questions ("police response times", "trust in the police department"): its own
    words count only when nothing else is named."""
    words = content_words(text)
    other = [w for w in words if w not in SELF_WORDS]
    return other or words


# Words too vague to say what a topic is about ("the new park": "park").
GENERIC = frozenset({"new", "old", "good", "bad", "big", "small", "local", "recent", "current", "city",
                     "area", "place", "places", "stuff", "situation", "thing", "things", "lot", "lots"})


def distinctive_stems(topic: str) -> set[str]:
    return {stem(w) for w in content_words(topic) if w not in GENERIC}


BROAD_TIES = 3  # a topic whose words name this many themes' labels equally is broader than a theme


@dataclass(frozen=True)
class ThemeMatch:
    theme_id: str
    score: float
    how: str  # "words" or "embedding"


class ThemeMatcher:
    """Matches a topic phrase to concern themes. `embed` may be None (words only)."""

    def __init__(self, themes: Mapping[str, Theme], centroids: Mapping[str, np.ndarray], embed: Embed | None,
                 *, min_similarity: float = 0.55, min_margin: float = 0.03) -> None:
        self.themes = {tid: t for tid, t in themes.items() if t.is_concern}
        self.embed = embed
        self.min_similarity = min_similarity
        self.min_margin = min_margin
        self.ids = [tid for tid in sorted(self.themes) if tid in centroids]
        matrix = np.stack([centroids[t] for t in self.ids]) if self.ids else np.zeros((0, 1), dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True) if self.ids else np.ones((0, 1))
        self.centroids = matrix / np.where(norms == 0, 1, norms)
        self.strong: dict[str, Counter[str]] = {}  # label and keyword stems: weight 2
        self.weak: dict[str, Counter[str]] = {}  # description and example stems: weight 1
        self.words: set[str] = set()  # every word the taxonomy uses
        for tid, t in self.themes.items():
            # a seeded theme's id is not its name ("property_crime" is not all crime); a discovered one's is
            named = [t.label, *t.keywords] + ([tid] if t.source == "discovered" else [])
            self.strong[tid] = Counter({stem(w) for w in content_words(" ".join(named))})
            self.weak[tid] = Counter({stem(w) for w in content_words(" ".join([t.description, *t.examples]))})
            self.words.update(content_words(" ".join([t.label, *t.keywords, tid, t.description, *t.examples])))

    def stem(self, word: str) -> str:
        """stem(), but an '-ing' word the taxonomy never uses keeps its ending: 'parking' is not 'parks'."""
        return word if word.endswith(("ing", "ings")) and word not in self.words else stem(word)

    def by_words(self, topic: str) -> list[ThemeMatch]:
        stems = {self.stem(w) for w in content_words(topic)}
        if not stems:
            return []
        scored = []
        for tid in self.themes:
            strong = sum(1 for s in stems if s in self.strong[tid])
            weak = sum(1 for s in stems if s in self.weak[tid] and s not in self.strong[tid])
            if strong:
                scored.append(ThemeMatch(tid, 2.0 * strong + weak, "words"))
        return sorted(scored, key=lambda m: (-m.score, m.theme_id))

    def by_embedding(self, topic: str) -> list[ThemeMatch]:
        if self.embed is None or not self.ids or not content_words(topic):
            return []
        vector = self.embed([topic])[0]
        sims = self.centroids @ vector
        order = np.argsort(-sims)
        return [ThemeMatch(self.ids[i], float(sims[i]), "embedding") for i in order[:3]]

    def _cue_agrees(self, theme_id: str, topic: str) -> bool:
        """A seeded theme with cues is matched by embedding only when one of its cues occurs in the topic:
        "the minimum wage" is not "Local businesses and the economy" because the two sit close in MiniLM's
        space, and is then counted in the records' text instead."""
        pattern = compile_cues(tuple(self.themes[theme_id].cues))
        return pattern is None or pattern.search(topic) is not None

    def match(self, topic: str) -> ThemeMatch | None:
        """The one theme a topic phrase names, or None when nothing is close enough (or it is ambiguous, or
        broader than any one theme: "the police" names five starter themes, so it is counted in the text)."""
        words = self.by_words(topic)
        if words and (len(words) == 1 or words[0].score > words[1].score):
            return words[0]
        if set(content_words(topic)) <= SELF_WORDS:  # "the police", "officers", and no one theme is named so
            return None
        if len([m for m in words if m.score == words[0].score]) >= BROAD_TIES:
            return None
        ranked = [m for m in self.by_embedding(topic) if self._cue_agrees(m.theme_id, topic)]
        if ranked and ranked[0].score >= self.min_similarity and (
                len(ranked) == 1 or ranked[0].score - ranked[1].score >= self.min_margin):
            return ranked[0]
        if words:  # a tie in words: the embedding breaks it among the tied themes
            tied = {m.theme_id for m in words if m.score == words[0].score}
            for m in ranked:
                if m.theme_id in tied:
                    return ThemeMatch(m.theme_id, words[0].score, "words")
        return None

    def match_all(self, topics: Sequence[str]) -> list[ThemeMatch | None]:
        return [self.match(t) for t in topics]
