"""Planted stories and the theme model: which themes a record raises, and with what sentiment.

Each district has one story (`STORIES`): a per-month multiplier on one theme's weight and, for some, an override
of its sentiment mix. `ThemeModel` applies them to the base weights and mixes from themes.yaml, and draws a
record's concerns: distinct themes, one sentiment each.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from samplecity.vocabulary import DISTRICTS, SENTIMENT_ORDER, THEMES, Theme
from synth.models import Sentiment

StoryPattern = Literal["surge", "dominant", "worsening", "fading", "praised", "turnaround"]


@dataclass(frozen=True)
class Story:
    id: str
    district: str
    theme: str
    pattern: StoryPattern
    summary: str

    def late_months(self, n: int) -> range:
        """Month indices in which the story's change is in effect."""
        if self.pattern == "surge":
            return range(max(0, n - 2), n)
        if self.pattern == "worsening":
            return range(n - 1, n)
        if self.pattern == "turnaround":
            return range(n // 2, n)
        return range(n)

    def weight(self, m: int, n: int) -> float:
        late = m in self.late_months(n)
        if self.pattern == "surge":
            return 8.0 if late else 2.0
        if self.pattern == "dominant":
            return 4.0
        if self.pattern == "worsening":
            return 6.0 if late else 1.0
        if self.pattern == "fading":
            return 4.5 if n == 1 else 4.5 + (0.2 - 4.5) * m / (n - 1)
        if self.pattern == "praised":
            return 2.0
        return 2.5 if late else 1.0  # turnaround

    def mix(self, m: int, n: int) -> tuple[float, float, float, float] | None:
        late = m in self.late_months(n)
        if self.pattern == "worsening":
            return (0.95, 0.01, 0.02, 0.02) if late else (0.55, 0.25, 0.12, 0.08)
        if self.pattern == "praised":
            return (0.05, 0.85, 0.05, 0.05)
        if self.pattern == "turnaround":
            return (0.10, 0.75, 0.07, 0.08) if late else (0.80, 0.02, 0.10, 0.08)
        return None


STORIES: tuple[Story, ...] = (
    Story("d3-lighting-surge", "District 3", "street_lighting", "surge",
          "Street lighting is District 3's leading concern and surges in the last two months."),
    Story("d5-speeding-dominant", "District 5", "traffic_safety", "dominant",
          "Speeding and traffic safety is the dominant concern in District 5 in every month."),
    Story("d2-response-worsening", "District 2", "response_times", "worsening",
          "Police response times worsen in District 2 in the last month: many more mentions, nearly all "
          "negative (before: an ordinary share, a quarter of them positive)."),
    Story("d1-graffiti-fading", "District 1", "vandalism_graffiti", "fading",
          "Vandalism and graffiti is a top concern in District 1 in the first month and fades steadily."),
    Story("d4-youth-praised", "District 4", "youth_programs", "praised",
          "Youth programs are mentioned more often in District 4 than elsewhere and overwhelmingly "
          "praised there (elsewhere mostly complaints and requests)."),
    Story("d6-parks-turnaround", "District 6", "parks_public_spaces", "turnaround",
          "Parks in District 6 turn around from mid-period: more mentions, mostly positive from then on, "
          "mostly negative before."),
)


@dataclass
class Concern:
    theme: Theme
    sentiment: Sentiment


class ThemeModel:
    """Theme weights and sentiment mixes per (district, month), with the planted stories applied."""

    def __init__(self, months: int) -> None:
        self.weights: dict[tuple[int, int], list[tuple[Theme, float]]] = {}
        self.mixes: dict[tuple[int, int, str], tuple[float, float, float, float]] = {}
        for d, geo in enumerate(DISTRICTS):
            for m in range(months):
                row = []
                for theme in THEMES:
                    weight, mix = theme.weight, theme.mix
                    for story in STORIES:
                        if story.district == geo.name and story.theme == theme.id:
                            weight *= story.weight(m, months)
                            mix = story.mix(m, months) or mix
                    row.append((theme, weight))
                    self.mixes[(d, m, theme.id)] = mix
                self.weights[(d, m)] = row

    def draw(self, rng: random.Random, district: int, month: int, k: int) -> list[Concern]:
        pool = list(self.weights[(district, month)])
        concerns = []
        for _ in range(min(k, len(pool))):
            r = rng.random() * sum(w for _, w in pool)
            pick = len(pool) - 1  # float round-off: fall back to the last theme
            for i, (_, w) in enumerate(pool):
                r -= w
                if r < 0:
                    pick = i
                    break
            theme = pool.pop(pick)[0]
            mix = self.mixes[(district, month, theme.id)]
            concerns.append(Concern(theme, rng.choices(SENTIMENT_ORDER, weights=mix)[0]))
        return concerns
