"""A city's own way of putting things: per-seed preferences among alternative wordings.

Phrase-bank entries may hold alternation groups, ``[a|b|c]`` (``[a|]`` is optional), which `Lexicon.expand`
fills in; `Lexicon.pick` chooses a bank entry and expands it. Both choose with weights that belong to the seed:
each option list gets its own ranking drawn from (seed, the options), so one city favours "the lamps are out"
where another writes "the streetlights have been dead since last month". Within one city every option stays
possible, just less likely, so a concern still has many phrasings.

The weights depend only on the seed and the option text, never on the order of the draws, so a city is
reproducible and adding a bank entry does not reshuffle the preferences of every other bank.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator, Sequence

_GROUP = re.compile(r"\[([^\[\]]*)\]")
GROUP_RATIO = 0.45  # weight of the k-th favourite alternative in a group: GROUP_RATIO ** k
BANK_RATIO = 0.7  # the same for whole bank entries (banks are longer, so flatter)


def _tidy(text: str) -> str:
    text = re.sub(r" {2,}", " ", text)
    return re.sub(r" ([,.;:?!])", r"\1", text).strip()


def alternatives(template: str) -> int:
    """How many different strings `template` expands to (slots left as they are)."""
    total = 1
    for group in _GROUP.findall(template):
        total *= len(group.split("|"))
    return total


def expansions(template: str) -> Iterator[str]:
    """Every string `template` can expand to (slots left as they are), for checking a bank."""
    pieces = _GROUP.split(template)  # literal, group, literal, group, ...
    groups = [p.split("|") for p in pieces[1::2]]
    for combo in itertools.product(*groups):
        out = pieces[0]
        for choice, literal in zip(combo, pieces[2::2], strict=True):
            out += choice + literal
        yield _tidy(out)


class Lexicon:
    """Seed-specific weights over alternatives; draws use the caller's random generator."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._weights: dict[tuple[tuple[str, ...], float], list[float]] = {}

    def weights(self, options: tuple[str, ...], ratio: float) -> list[float]:
        key = (options, ratio)
        if key not in self._weights:
            order = list(range(len(options)))
            random.Random(f"samplecity-lexicon|{self.seed}|{'|'.join(options)}").shuffle(order)
            weights = [0.0] * len(options)
            for rank, i in enumerate(order):
                weights[i] = ratio ** rank
            self._weights[key] = weights
        return self._weights[key]

    def choice(self, rng: random.Random, options: Sequence[str], ratio: float = BANK_RATIO) -> str:
        options = tuple(options)
        if len(options) == 1:
            return options[0]
        return rng.choices(options, weights=self.weights(options, ratio))[0]

    def expand(self, rng: random.Random, template: str) -> str:
        if "[" not in template:
            return template
        return _tidy(_GROUP.sub(lambda m: self.choice(rng, m.group(1).split("|"), GROUP_RATIO), template))

    def pick(self, rng: random.Random, bank: Sequence[str], ratio: float = BANK_RATIO) -> str:
        return self.expand(rng, self.choice(rng, bank, ratio))

    def favourite(self, key: str, options: Sequence[str]) -> str:
        """The seed's fixed choice for `key` (e.g. a note-taker's usual style)."""
        return random.Random(f"samplecity-favourite|{self.seed}|{key}").choice(list(options))
