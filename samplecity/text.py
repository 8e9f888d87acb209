"""Text: a record's concerns turned into a comment, and the parts every text shares (slots, typos, fitting,
planted personal data). Meeting notes are written in samplecity/notes.py.

Every sentence is a `Part`; fillers pad a text up to its word range and droppable parts go first when it runs
long. Planted personal data and prompt injections are inserted last, so they are never misspelled. All wording
is drawn through a `Pen`: the text's random generator plus the city's `Lexicon` (its favourite wordings).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from samplecity.grammar import Lexicon
from samplecity.plan import COMMENT_TYPO_SHARE, COMMENT_WORDS, Plan
from samplecity.stories import Concern
from samplecity.vocabulary import (
    ABBREVIATIONS,
    AREA_CODES,
    COMMENT_FILLERS,
    COMMENT_LEADS,
    COMMENT_OPENERS,
    COMMENT_TAILS,
    EMAIL_DOMAINS,
    EMAIL_GREETINGS,
    EMAIL_SIGNOFFS,
    MISSPELLINGS,
    OFFICER_FIRST,
    OFFICER_LAST,
    PII_COMMENT_TEMPLATES,
    PII_TYPES,
    QUOTED_REMARKS,
    RESIDENT_FIRST,
    RESIDENT_LAST,
    DistrictGeo,
)
from synth.models import RecordKind


@dataclass
class Part:
    """One sentence of a text; droppable parts go first when a text is too long."""

    text: str
    droppable: bool = False
    typo_ok: bool = True
    attached: bool = False  # follows up the previous sentence: never starts a paragraph or a bullet


@dataclass
class Pen:
    """How a text is worded: the text's random generator and the city's favourite wordings."""

    rng: random.Random
    lex: Lexicon

    def pick(self, bank: tuple[str, ...] | list[str]) -> str:
        return self.lex.pick(self.rng, bank)

    def template(self, concern: Concern, avoid: str | None = None) -> str:
        """A bank entry that says the concern, other than `avoid` when there is another."""
        bank = [e for e in concern.theme.phrasings(concern.sentiment) if e != avoid]
        return self.lex.choice(self.rng, bank or [str(avoid)])

    def say(self, template: str, slots: dict[str, str]) -> str:
        return self.lex.expand(self.rng, template).format(**slots)


@dataclass
class Draft:
    concerns: list[Concern]
    pii: list[tuple[str, str]] = field(default_factory=list)  # (type, value)
    injection_text: str | None = None


_TYPO_WORD = re.compile(r"^([(\"']?)([a-z]{4,})([.,;:!?)\"']*)$")


def draw_slots(rng: random.Random, geo: DistrictGeo) -> dict[str, str]:
    street, cross = rng.sample(geo.streets, 2)
    return {"street": street, "cross": cross, "place": rng.choice(geo.places), "park": rng.choice(geo.parks),
            "center": rng.choice(geo.centers)}


def sentence(text: str, end: str = ".") -> str:
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else text + end


def shorthand(text: str) -> str:
    """A hurried note-taker's abbreviations ("people" -> "ppl", "with" -> "w/"); capitalised words stay."""
    words = text.split(" ")
    for i, word in enumerate(words):
        m = re.fullmatch(r"([a-z]+)([.,;:!?]*)", word)
        if m and m.group(1) in ABBREVIATIONS:
            words[i] = ABBREVIATIONS[m.group(1)] + m.group(2)
    return " ".join(words)


def _typo(rng: random.Random, word: str) -> str:
    if word in MISSPELLINGS and rng.random() < 0.7:
        return MISSPELLINGS[word]
    i = rng.randrange(1, len(word) - 2)
    roll = rng.random()
    if roll < 0.45:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # swapped letters
    if roll < 0.8:
        return word[:i] + word[i + 1:]  # dropped letter
    return word[:i] + word[i] + word[i:]  # doubled letter


def add_typos(rng: random.Random, parts: list[Part], count: int) -> None:
    """Misspell one lower-case word (4+ letters) in each of `count` parts that allow it."""
    candidates = [i for i, p in enumerate(parts)
                  if p.typo_ok and any(map(_TYPO_WORD.match, p.text.split(" ")))]
    for pi in rng.sample(candidates, min(count, len(candidates))):
        words = parts[pi].text.split(" ")
        wi = rng.choice([i for i, w in enumerate(words) if _TYPO_WORD.match(w)])
        lead, core, trail = _TYPO_WORD.match(words[wi]).groups()  # type: ignore[union-attr]
        words[wi] = lead + _typo(rng, core) + trail
        parts[pi].text = " ".join(words)


def _word_count(parts: list[Part]) -> int:
    return sum(len(p.text.split()) for p in parts)


def fit(rng: random.Random, parts: list[Part], bounds: tuple[int, int], fillers: tuple[str, ...],
         first: int) -> None:
    """Pad with neutral fillers (inserted at or after index `first`) or drop optional parts to fit bounds."""
    lo, hi = bounds
    unused = list(fillers)
    while _word_count(parts) < lo and unused:
        filler = unused.pop(rng.randrange(len(unused)))
        parts.insert(free_slot(rng, parts, first), Part(filler, droppable=True))
    while _word_count(parts) > hi:
        droppable = [i for i, p in enumerate(parts) if p.droppable]
        if not droppable:
            break
        del parts[droppable[-1]]


def pii_values(rng: random.Random, geo: DistrictGeo) -> list[tuple[str, str]]:
    types = rng.sample(PII_TYPES, rng.choice((1, 1, 2)))
    return [(t, _pii_value(rng, t, geo)) for t in types]


def _pii_value(rng: random.Random, kind: str, geo: DistrictGeo) -> str:
    if kind == "resident_name":
        return f"{rng.choice(RESIDENT_FIRST)} {rng.choice(RESIDENT_LAST)}"
    if kind == "officer_name":
        return f"{rng.choice(OFFICER_FIRST)} {rng.choice(OFFICER_LAST)}"
    if kind == "phone":
        return _phone(rng)
    if kind == "email":
        first, last = rng.choice(RESIDENT_FIRST).lower(), rng.choice(RESIDENT_LAST).lower()
        user = rng.choice((f"{first}.{last}", f"{first[0]}{last}{rng.randint(1, 99)}", f"{last}_{first}"))
        return f"{user}@{rng.choice(EMAIL_DOMAINS)}"
    return f"{rng.randint(12, 4890)} {rng.choice(geo.streets)}"  # address


def _phone(rng: random.Random) -> str:
    area, line = rng.choice(AREA_CODES), f"01{rng.randint(0, 99):02d}"  # 555-0100..0199 are fictional
    formats = (f"({area}) 555-{line}", f"{area}-555-{line}", f"{area}.555.{line}", f"{area} 555 {line}",
               f"+1 {area}-555-{line}", f"{area}555{line}")
    return rng.choice(formats)


def pii_parts(rng: random.Random, draft: Draft, templates: Mapping[str, tuple[str, ...]]) -> list[Part]:
    return [Part(rng.choice(templates[t]).format(v=v), typo_ok=False) for t, v in draft.pii]


def free_slot(rng: random.Random, parts: list[Part], first: int) -> int:
    """A random insertion index >= first that does not separate a sentence from its follow-up."""
    return rng.choice([i for i in range(first, len(parts) + 1) if i == len(parts) or not parts[i].attached])


def insert_randomly(rng: random.Random, parts: list[Part], extra: list[Part], first: int) -> None:
    for part in extra:
        parts.insert(free_slot(rng, parts, first), part)


def _comment_parts(pen: Pen, geo: DistrictGeo, draft: Draft, texting: bool) -> list[Part]:
    """A comment's body: optional opener, a sentence (maybe with a lead, maybe plus a tail) per concern, planted
    extras. `texting`: typed in shorthand."""
    rng = pen.rng
    parts: list[Part] = []
    lead_at = rng.randrange(len(draft.concerns)) if rng.random() < 0.35 else -1  # at most one lead per comment
    for i, concern in enumerate(draft.concerns):
        clause = pen.say(pen.template(concern), draw_slots(rng, geo))
        if i == lead_at:
            clause = f"{pen.pick(COMMENT_LEADS[concern.sentiment])} {clause}"
        parts.append(Part(sentence(clause, rng.choice(".....!"))))
        if rng.random() < 0.35:
            parts.append(Part(pen.pick(COMMENT_TAILS[concern.sentiment]), droppable=True))
    head = 0
    if rng.random() < 0.3:
        parts.insert(0, Part(pen.pick(COMMENT_OPENERS).format(**draw_slots(rng, geo)), droppable=True))
        head = 1
    fit(rng, parts, COMMENT_WORDS, tuple(pen.pick([f]) for f in COMMENT_FILLERS), head)
    if texting:
        for part in parts:
            part.text = shorthand(part.text)
    if rng.random() < COMMENT_TYPO_SHARE:
        add_typos(rng, parts, 1)
    if draft.injection_text:
        parts.insert(head + 1, Part(draft.injection_text, typo_ok=False))  # right after the first complaint
    insert_randomly(rng, parts, pii_parts(rng, draft, PII_COMMENT_TEMPLATES), head)
    return parts


def comment_text(pen: Pen, plan: Plan, geo: DistrictGeo, draft: Draft, row: int) -> str:
    rng = pen.rng
    texting = plan.kind is not RecordKind.email and rng.random() < 0.12
    texts = [p.text for p in _comment_parts(pen, geo, draft, texting)]
    if plan.kind is RecordKind.comment:
        if row % 41 == 7:
            texts.append(rng.choice(QUOTED_REMARKS))  # embedded double quotes
        if row % 37 == 5 and len(texts) > 1:
            return texts[0] + "\n" + " ".join(texts[1:])  # embedded newline
    if plan.kind is RecordKind.email:
        greeting, signoff = pen.pick(EMAIL_GREETINGS), pen.pick(EMAIL_SIGNOFFS)
        sep = rng.choice((" ", "\n\n"))
        return sep.join((greeting, " ".join(texts), signoff))
    planted = draft.pii or draft.injection_text
    if plan.kind is RecordKind.survey_response and rng.random() < 0.4 and not planted:
        return " ".join(texts).lower().rstrip(".!")  # typed quickly into a survey box
    return " ".join(texts)


def comment_location(rng: random.Random, geo: DistrictGeo) -> str:
    street, cross = rng.sample(geo.streets, 2)
    options = (f"{street} & {cross}", street, rng.choice(geo.places), "", f"near {rng.choice(geo.parks)}")
    return rng.choice(options)
